"""Cohort screening end to end: a real store, real patient files, CSV/JSONL rows checked against match_one,
resume after an interruption, bad patient files, local processes and a real Dask LocalCluster."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from trialscout import screening, screening_table
from trialscout.app import Trialscout, derive_criteria
from trialscout.errors import TrialscoutError
from trialscout.ingest import ingest
from trialscout.patient import from_json, load_patient
from trialscout.screening import LIST_SEP, ScreeningError, TrialSelection, screen, select_trials, short
from trialscout.search import build_filters
from trialscout.store import SqliteStore

COHORT = FIXTURES / "cohort"
PATIENTS = COHORT / "patients"
GOOD = ["breast_her2.json", "lymphoma_note.txt", "melanoma_note.txt", "ovarian_frail.json"]
BAD = {"broken.json": "not valid JSON", "empty_note.txt": "nothing could be understood"}
TODAY = dt.date(2024, 6, 1)
ONCOLOGY = ["NCT00001504", "NCT00001705", "NCT00001827", "NCT00001835", "NCT00001944", "NCT00004935",
            "NCT00006256", "NCT00006721"]
Key = tuple[str, str]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("screen") / "store.db"
    with SqliteStore(path) as store:
        report = ingest(store, [COHORT / "trials", FIXTURES / "xml"], derive=derive_criteria)
    assert report.rejected == 0 and report.inserted == 8 + 47
    return path


def expected_row(ts: Trialscout, patient: str, facts: Any, nct_id: str, policy: str | None = None) -> dict[str, Any]:
    """What screening must write for one pair: match_one's verdicts, scored on eligibility alone (relevance 0)."""
    m = ts.match_one(facts, nct_id, relevance=0.0, today=TODAY, policy=policy)
    standing = [c for c in m.criteria if c.alternative_of is None]  # alternatives are settled through their lead-in
    texts = {v: [short(c.text) for c in standing if c.computable and c.verdict == v] for v in ("fail", "unknown")}
    return {"patient": patient, "nct_id": nct_id, "eligibility": m.eligibility, "score": round(m.score, 6),
            "n_pass": m.counts["pass"], "n_fail": m.counts["fail"], "n_unknown": m.counts["unknown"],
            "n_not_computable": m.counts["not_computable"], "failing": texts["fail"], "unknown": texts["unknown"],
            "n_presumed": m.counts["presumed"], "n_not_applicable": m.counts["not_applicable"], "summary": m.summary,
            "to_confirm": [short(c.text) for c in standing if c.verdict == "pass" and c.presumed]}


@pytest.fixture(scope="module")
def expected(db: Path) -> dict[Key, dict[str, Any]]:
    """The table screening must produce for the good directory patients, built pair by pair with match_one."""
    with Trialscout(db) as ts:
        ids = ts.store.nct_ids()
        return {(p, n): expected_row(ts, p, load_patient(PATIENTS / p), n) for p in GOOD for n in ids}


def read_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["score"] = float(r["score"])
        for k in ("n_pass", "n_fail", "n_unknown", "n_not_computable", "n_presumed", "n_not_applicable"):
            r[k] = int(r[k])
        for k in ("failing", "unknown", "to_confirm"):
            r[k] = r[k].split(LIST_SEP) if r[k] else []
    return rows


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def keyed(rows: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    table = {(r["patient"], r["nct_id"]): r for r in rows}
    assert len(table) == len(rows), "duplicate patient x trial rows"
    return table


def test_csv_rows_equal_match_one_for_every_pair(db: Path, expected: dict[Key, dict], tmp_path: Path) -> None:
    out = tmp_path / "cohort.csv"
    report = screen(PATIENTS, None, out, db=db, workers=1, today=TODAY, progress=False)
    assert (report.trials, report.patients, report.screened, report.rows) == (55, 6, 4, 4 * 55)
    assert keyed(read_csv(out)) == expected
    verdicts = {r["eligibility"] for r in expected.values()}
    assert {"ineligible", "uncertain"} <= verdicts
    assert any(r["failing"] for r in expected.values()) and any(r["unknown"] for r in expected.values())
    assert any(r["to_confirm"] for r in expected.values()) and any(r["n_not_applicable"] for r in expected.values())
    assert list(read_csv(out)[0]) == screening_table.COLUMNS


def test_bad_patient_files_are_reported_and_skipped(db: Path, tmp_path: Path) -> None:
    report = screen(PATIENTS, TrialSelection(nct_ids=("NCT00004935",)), tmp_path / "o.csv", db=db, workers=1,
                    today=TODAY, progress=False)
    reasons = dict(report.bad)
    assert set(reasons) == set(BAD) and report.screened == len(GOOD)
    for name, why in BAD.items():
        assert why in reasons[name]
    assert not any("cohort-broken" in r or "platelets" in r for r in reasons.values())  # no patient content
    assert {r["patient"] for r in read_csv(tmp_path / "o.csv")} == set(GOOD)


def test_ndjson_on_local_processes_as_jsonl(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screening, "MIN_PARALLEL_PAIRS", 0)  # small job, but really use the process pool
    monkeypatch.setattr(screening, "TARGET_PAIRS_PER_CHUNK", 55)  # one patient per chunk
    out = tmp_path / "cohort.jsonl"
    report = screen(COHORT / "cohort.ndjson", None, out, db=db, workers=2, today=TODAY, progress=False)
    assert dict(report.bad).keys() == {"line 4", "line 5"}
    assert "duplicate patient id" in dict(report.bad)["line 4"]
    lines = (COHORT / "cohort.ndjson").read_text().splitlines()
    patients = {"nd-1": lines[0], "nd-2": lines[1], "nd-3": lines[2], "line 7": lines[6]}
    with Trialscout(db) as ts:
        ids = ts.store.nct_ids()
        want = {(p, n): expected_row(ts, p, from_json(text), n) for p, text in patients.items() for n in ids}
    assert keyed(read_jsonl(out)) == want


def interrupt_second_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second chunk is half written to the output when the run is interrupted."""
    calls = {"n": 0}
    original = screening_table.ResultTable.commit

    def commit(self: screening_table.ResultTable, data: bytes, done: list[str]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            self.out.write(data[: len(data) // 2])
            self.out.flush()
            raise KeyboardInterrupt
        original(self, data, done)

    monkeypatch.setattr(screening_table.ResultTable, "commit", commit)


def test_resume_after_interruption(db: Path, expected: dict[Key, dict], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cohort = tmp_path / "cohort"
    shutil.copytree(PATIENTS, cohort)
    out = tmp_path / "cohort.csv"
    interrupt_second_commit(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        screen(cohort, None, out, db=db, workers=1, today=TODAY, progress=False)
    monkeypatch.undo()
    assert len(out.read_text().splitlines()) > 1 + 55  # one whole patient, then half of the next one's rows
    progress = out.with_name(out.name + ".progress")
    with progress.open("ab") as f:  # and a progress line cut short: that chunk was never committed
        f.write(b'{"done": ["melanoma_note.txt"], "offset": 99}')
    report = screen(cohort, None, out, db=db, workers=1, today=TODAY, progress=False)
    assert (report.already_done, report.screened) == (1, 3)
    assert keyed(read_csv(out)) == expected  # no duplicate, no missing, no half row
    again = screen(cohort, None, out, db=db, workers=1, today=TODAY, progress=False)
    assert (again.already_done, again.screened, again.rows) == (4, 0, 0)
    assert keyed(read_csv(out)) == expected


def test_resume_refuses_another_selection_and_no_resume_starts_over(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    screen(PATIENTS, TrialSelection(nct_ids=("NCT00004935",)), out, db=db, workers=1, progress=False)
    with pytest.raises(ScreeningError, match="another trial selection"):
        screen(PATIENTS, TrialSelection(nct_ids=("NCT00001504",)), out, db=db, workers=1, progress=False)
    report = screen(PATIENTS, TrialSelection(nct_ids=("NCT00001504",)), out, db=db, workers=1, resume=False,
                    progress=False)
    assert report.screened == 4 and {r["nct_id"] for r in read_jsonl(out)} == {"NCT00001504"}
    foreign = tmp_path / "mine.csv"
    foreign.write_text("not a screening table\n")
    with pytest.raises(ScreeningError, match="no screening progress file"):
        screen(PATIENTS, None, foreign, db=db, workers=1, progress=False)
    with pytest.raises(ScreeningError, match=".csv or .jsonl"):
        screen(PATIENTS, None, tmp_path / "o.xlsx", db=db, workers=1, progress=False)


def test_damaged_progress_file_and_unreachable_cluster(db: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "o.csv"
    screen(PATIENTS, TrialSelection(nct_ids=("NCT00004935",)), out, db=db, workers=1, progress=False)
    progress = out.with_name(out.name + ".progress")
    progress.write_bytes(progress.read_bytes().replace(b'"offset"', b'"offsat"'))
    with pytest.raises(ScreeningError, match="progress file is damaged"):
        screen(PATIENTS, TrialSelection(nct_ids=("NCT00004935",)), out, db=db, workers=1, progress=False)
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr(screening, "CLUSTER_TIMEOUT", "1s")
    with pytest.raises(ScreeningError, match="cannot reach the Dask scheduler"):
        screen(PATIENTS, None, tmp_path / "c.csv", db=db, cluster="tcp://127.0.0.1:9", progress=False)


def test_trial_selection(db: Path) -> None:
    with SqliteStore(db, readonly=True) as store:
        assert len(select_trials(store, TrialSelection())) == 55
        breast = select_trials(store, TrialSelection(query="breast cancer"))
        assert "NCT00004935" in breast and "NCT00001705" not in breast
        recruiting = select_trials(store, TrialSelection(filters=build_filters(statuses=["RECRUITING"])))
        assert recruiting and set(recruiting) <= set(store.nct_ids()) and "NCT00004935" not in recruiting
        assert select_trials(store, TrialSelection(nct_ids=("nct00001705", "NCT00004935"))) == ONCOLOGY[1:6:4]
        with pytest.raises(ScreeningError, match="NCT09999999"):
            select_trials(store, TrialSelection(nct_ids=("NCT09999999",)))
        with pytest.raises(ScreeningError, match="no stored trial"):
            select_trials(store, TrialSelection(query="zzzyyyxxx"))


def test_dask_local_cluster_gives_the_same_table(db: Path, expected: dict[Key, dict], tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        out = tmp_path / "cohort.csv"
        report = screen(PATIENTS, None, out, db=db, cluster=c.scheduler_address, today=TODAY, progress=False)
    assert report.screened == 4 and set(dict(report.bad)) == set(BAD)
    assert keyed(read_csv(out)) == expected


def test_cli_screen(db: Path, tmp_path: Path) -> None:
    exe = str(Path(sys.executable).with_name("trialscout"))
    out = tmp_path / "o.csv"
    args = [exe, "screen", str(PATIENTS), "--trial", "NCT00004935", "--trial", "NCT00001504", "--out", str(out),
            "--db", str(db), "--workers", "1"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "screened=4" in proc.stdout and "bad=2" in proc.stdout and "skipped patient: broken.json" in proc.stderr
    assert len(read_csv(out)) == 8
    again = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert "screened=0 already_done=4" in again.stdout and len(read_csv(out)) == 8
    bad = subprocess.run([*args[:-4], "--out", str(tmp_path / "o.txt"), "--db", str(db)], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr


def test_rows_say_what_is_presumed_and_never_call_a_trial_with_open_criteria_eligible(
        db: Path, expected: dict[Key, dict]) -> None:
    for row in expected.values():
        assert row["n_presumed"] == len(row["to_confirm"]) <= row["n_pass"]
        assert row["summary"] == row["eligibility"] + (
            f", {row['n_presumed']} point{'s' if row['n_presumed'] != 1 else ''} to confirm" if row["n_presumed"]
            else "")
        if row["n_unknown"] or row["n_not_computable"]:
            assert row["eligibility"] != "eligible", row
        if row["n_fail"]:
            assert row["eligibility"] == "ineligible", row


ONE_PASS_THREE_UNREAD = {"protocolSection": {
    "identificationModule": {"nctId": "NCT09999901", "briefTitle": "One computable criterion and three others"},
    "statusModule": {"overallStatus": "RECRUITING"},
    "eligibilityModule": {"eligibilityCriteria": "Inclusion Criteria:\n\n  - ECOG performance status 0-1\n"
                          "  - Able to swim 50 metres unaided\n  - Owns a working bicycle\n"
                          "  - Lives on an island with a lighthouse\n"}}}


def test_one_pass_and_three_not_computable_is_uncertain_not_eligible(tmp_path: Path) -> None:
    record, db = tmp_path / "trial.json", tmp_path / "one.db"
    record.write_text(json.dumps(ONE_PASS_THREE_UNREAD), "utf-8")
    with SqliteStore(db) as store:
        ingest(store, [record], derive=derive_criteria)
    patients = tmp_path / "patients"
    patients.mkdir()
    (patients / "p.txt").write_text("A 50-year-old man with colon cancer. ECOG 1.", "utf-8")
    for policy in ("default", "strict"):
        out = tmp_path / f"{policy}.jsonl"
        screen(patients, None, out, db=db, workers=1, today=TODAY, progress=False, policy=policy)
        [row] = read_jsonl(out)
        assert (row["n_pass"], row["n_not_computable"], row["n_fail"]) == (1, 3, 0)
        assert row["eligibility"] == "uncertain" and row["summary"] == "uncertain"


def test_strict_policy_presumes_nothing_and_a_policy_change_is_not_resumed(db: Path, expected: dict[Key, dict],
                                                                           tmp_path: Path) -> None:
    out = tmp_path / "strict.csv"
    report = screen(PATIENTS, None, out, db=db, workers=1, today=TODAY, progress=False, policy="strict")
    assert report.screened == len(GOOD)
    rows = keyed(read_csv(out))
    with Trialscout(db) as ts:
        some = list(rows)[:: max(1, len(rows) // 12)]
        assert all(rows[k] == expected_row(ts, k[0], load_patient(PATIENTS / k[0]), k[1], "strict") for k in some)
    assert all(r["n_presumed"] == 0 and r["to_confirm"] == [] and r["summary"] == r["eligibility"]
               for r in rows.values())
    assert sum(r["n_unknown"] + r["n_not_computable"] for r in rows.values()) > \
        sum(r["n_unknown"] + r["n_not_computable"] for r in expected.values())  # what was presumed is open now
    with pytest.raises(ScreeningError, match="policy"):
        screen(PATIENTS, None, out, db=db, workers=1, today=TODAY, progress=False, policy="default")
    with pytest.raises(TrialscoutError, match="no absence policy 'lenient'"):
        screen(PATIENTS, None, tmp_path / "x.csv", db=db, workers=1, progress=False, policy="lenient")


def test_cli_screen_policy(db: Path, tmp_path: Path) -> None:
    exe = str(Path(sys.executable).with_name("trialscout"))
    out = tmp_path / "strict.jsonl"
    args = [exe, "screen", str(PATIENTS), "--trial", "NCT00004935", "--out", str(out), "--db", str(db),
            "--workers", "1", "--policy", "strict"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert {r["n_presumed"] for r in read_jsonl(out)} == {0}
    bad = subprocess.run([*args[:-1], "lenient"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "no absence policy 'lenient'" in bad.stderr and "Traceback" not in bad.stderr
