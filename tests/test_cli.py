"""The command line end to end: real processes, real SQLite files, the bundled sample."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

TRIALSCOUT = Path(sys.executable).with_name("trialscout")


def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(TRIALSCOUT), *args], capture_output=True, text=True, timeout=300)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "sample.db"
    first = run("ingest", "--sample", "--db", str(db))
    assert "read=300 inserted=300 updated=0 unchanged=0 rejected=0 stored=300" in first.stdout
    again = run("ingest", "--sample", "--db", str(db))
    assert "read=300 inserted=0 updated=0 unchanged=300 rejected=0 stored=300" in again.stdout
    return db


def test_search_show_and_json(sample_db: Path) -> None:
    res = json.loads(run("search", "breast cancer", "--db", str(sample_db), "--limit", "5", "--json").stdout)
    assert res["total"] >= 5 and len(res["hits"]) == 5
    top = res["hits"][0]
    assert any("breast" in c.lower() for c in top["conditions"]) or "breast" in (top["title"] or "").lower()
    shown = run("show", top["nct_id"], "--db", str(sample_db)).stdout
    assert top["nct_id"] in shown and "Eligibility criteria" in shown
    as_json = json.loads(run("show", top["nct_id"], "--db", str(sample_db), "--json").stdout)
    assert as_json["protocolSection"]["identificationModule"]["nctId"] == top["nct_id"]


def test_search_filters_from_the_command_line(sample_db: Path) -> None:
    res = json.loads(run("search", "", "--status", "recruiting", "--db", str(sample_db), "--limit", "100",
                         "--json").stdout)
    assert res["total"] > 0 and {h["status"] for h in res["hits"]} == {"RECRUITING"}
    res = json.loads(run("search", "cancer", "--phase", "Phase 3", "--age", "70", "--sex", "female",
                         "--db", str(sample_db), "--json").stdout)
    assert all("PHASE3" in h["phases"] for h in res["hits"])


def test_errors_are_one_line_and_non_zero(sample_db: Path, tmp_path: Path) -> None:
    bad = run("search", "x", "--status", "sorta", "--db", str(sample_db), ok=False)
    assert bad.returncode == 1 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr
    missing = run("show", "NCT00000000", "--db", str(sample_db), ok=False)
    assert missing.returncode == 1 and "no study NCT00000000" in missing.stderr
    nodb = run("search", "x", "--db", str(tmp_path / "none.db"), ok=False)
    assert nodb.returncode == 1 and "no database" in nodb.stderr


def test_convert_prints_ndjson_and_reports_bad_records(tmp_path: Path, v2_json_dir: Path) -> None:
    (tmp_path / "good.json").write_bytes((v2_json_dir / "NCT03418623.json").read_bytes())
    (tmp_path / "bad.json").write_text('{"protocolSection": {"identificationModule": {}}}', "utf-8")
    proc = run("convert", str(tmp_path), ok=False)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["protocolSection"]["identificationModule"]["nctId"] == \
        "NCT03418623"
    assert "bad.json" in proc.stderr and "no NCT ID" in proc.stderr


def test_ingest_lists_rejects_with_reasons(tmp_path: Path, v2_json_dir: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.json").write_bytes((v2_json_dir / "NCT03418623.json").read_bytes())
    (src / "broken.json").write_text("{", "utf-8")
    db, rejects = tmp_path / "x.db", tmp_path / "rejects.jsonl"
    proc = run("ingest", str(src), "--db", str(db), "--rejects", str(rejects))
    assert "read=2 inserted=1 updated=0 unchanged=0 rejected=1" in proc.stdout
    listed = [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
    assert len(listed) == 1 and "broken.json" in listed[0]["where"] and "not valid JSON" in listed[0]["why"]


def test_db_from_environment(tmp_path: Path, v2_json_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "env.db"
    monkeypatch.setenv("TRIALSCOUT_DB", str(db))
    run("ingest", str(v2_json_dir / "NCT03418623.json"))
    assert db.exists()
    assert "NCT03418623" in run("show", "NCT03418623").stdout


def test_untrusted_markup_in_records_is_printed_literally(tmp_path: Path, v2_json_dir: Path) -> None:
    data = json.loads((v2_json_dir / "NCT03418623.json").read_text("utf-8"))
    data["protocolSection"]["identificationModule"]["briefTitle"] = "[red]<script>alert(1)</script>[/red]"
    f = tmp_path / "x.json"
    f.write_text(json.dumps(data), "utf-8")
    db = tmp_path / "x.db"
    run("ingest", str(f), "--db", str(db))
    assert "[red]<script>alert(1)</script>[/red]" in run("show", "NCT03418623", "--db", str(db)).stdout
    assert "[red]<script>" in run("search", "alert", "--db", str(db)).stdout


SEEDS = Path(__file__).resolve().parent / "fixtures" / "pages" / "seeds"


def test_criteria_for_a_stored_trial_and_for_a_file(sample_db: Path, v2_json_dir: Path) -> None:
    nct = json.loads(run("search", "breast cancer", "--db", str(sample_db), "--limit", "1", "--json").stdout)[
        "hits"][0]["nct_id"]
    contract = json.loads(run("criteria", nct, "--db", str(sample_db), "--json").stdout)
    assert contract and {"type", "text", "span", "computable", "constraints"} <= set(contract[0])
    assert {c["type"] for c in contract} <= {"inclusion", "exclusion"}
    stored = run("criteria", nct, "--db", str(sample_db)).stdout
    assert nct in stored and "criteria" in stored
    from_file = json.loads(run("criteria", str(v2_json_dir / "NCT02210780.json"), "--json").stdout)
    assert any(k["kind"] == "age" for c in from_file for k in c["constraints"])


def test_patient_and_match_contract(sample_db: Path, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("A 58-year-old woman with metastatic breast cancer to the liver, ER positive, HER2 negative. "
                    "ECOG 1. Platelets 220,000/mm3. She denies any history of HIV.", "utf-8")
    understood = run("patient", str(note)).stdout
    assert "58" in understood and "breast" in understood.lower()
    facts = json.loads(run("patient", str(note), "--json").stdout)
    assert facts["sex"]["value"] == "FEMALE"
    ranked = json.loads(run("match", str(note), "--db", str(sample_db), "--top", "5", "--json").stdout)
    assert 1 <= len(ranked) <= 5
    assert [m["score"] for m in ranked] == sorted((m["score"] for m in ranked), reverse=True)
    for m in ranked:
        assert m["eligibility"] in ("eligible", "ineligible", "uncertain") and m["policy"] == "default"
        assert m["to_confirm"] == m["counts"]["presumed"] and m["summary"].startswith(m["eligibility"])
        for c in m["criteria"]:
            assert c["type"] in ("inclusion", "exclusion")
            assert c["verdict"] in ("pass", "fail", "unknown", "not_applicable")
            assert isinstance(c["text"], str) and isinstance(c["evidence"], list)
            assert not c.get("presumed") or c["verdict"] == "pass"
    one = json.loads(run("match", str(note), "--db", str(sample_db), "--trial", ranked[0]["nct_id"],
                         "--json").stdout)
    assert [m["nct_id"] for m in one] == [ranked[0]["nct_id"]]


MATCH_NOTE = ("A 58-year-old man with stage IV non-small cell lung cancer, EGFR exon 19 deletion. ECOG 1. "
              "He denies smoking. No brain metastases. Platelets 200,000/mm3.")


def test_a_trial_scores_the_same_ranked_or_named(sample_db: Path, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(MATCH_NOTE, "utf-8")
    ranked = json.loads(run("match", str(note), "--db", str(sample_db), "--top", "8", "--json").stdout)
    picked = [ranked[0], ranked[3], ranked[-1]]
    args = [a for m in picked for a in ("--trial", m["nct_id"])]
    named = {m["nct_id"]: m for m in json.loads(run("match", str(note), "--db", str(sample_db), *args,
                                                    "--json").stdout)}
    for m in picked:
        assert (named[m["nct_id"]]["score"], named[m["nct_id"]]["relevance"]) == (m["score"], m["relevance"])
    assert named[ranked[0]["nct_id"]]["relevance"] == 1.0


def test_match_policy_and_the_ranked_view(sample_db: Path, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(MATCH_NOTE, "utf-8")
    base = ["match", str(note), "--db", str(sample_db), "--top", "5"]
    default = json.loads(run(*base, "--json").stdout)
    strict = json.loads(run(*base, "--policy", "strict", "--json").stdout)
    assert any(m["to_confirm"] for m in default)
    assert {m["policy"] for m in strict} == {"strict"}
    assert all(m["to_confirm"] == 0 and m["summary"] == m["eligibility"] for m in strict)
    assert not any(c.get("presumed") for m in strict for c in m["criteria"])
    shown = run(*base).stdout
    first = next(m for m in default if m["to_confirm"])
    n = first["to_confirm"]
    assert f"{first['nct_id']}  {first['eligibility'].upper()}, {n} point{'s' if n != 1 else ''} to confirm" in shown
    assert f"{first['counts']['pass']} pass ({n} presumed)" in shown and " not applicable, " in shown
    confirm = next(c for c in first["criteria"] if c.get("presumed") and c["question"])
    assert f"(✓) [{confirm['type'][:3]}] {confirm['text'][:100]}" in shown
    assert confirm["question"][:100] in shown
    strict_shown = run(*base, "--policy", "strict").stdout
    assert "to confirm" not in strict_shown and "(✓)" not in strict_shown and " presumed)" not in strict_shown
    bad = run(*base, "--policy", "lenient", ok=False)
    assert bad.returncode == 1 and bad.stderr.startswith("error: ") and "no absence policy 'lenient'" in bad.stderr


def test_bad_patient_input_is_a_clear_error(tmp_path: Path, sample_db: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"age": 50, "sex": "female", "labs": [ {"analyte": "platelets" "value": 10} ]}', "utf-8")
    proc = run("match", str(bad), "--db", str(sample_db), ok=False)
    assert proc.returncode == 1 and "bad.json" in proc.stderr and "Traceback" not in proc.stderr


def test_pages_convert_and_explain() -> None:
    proc = run("convert", str(SEEDS / "000_f1e35e3a65172f8b.txt"))
    study = json.loads(proc.stdout)
    assert study["protocolSection"]["identificationModule"]["nctId"] == "NCT07295132"
    partial = run("convert", str(SEEDS / "001_5df66866aaec1231.txt"))
    record = json.loads(partial.stdout)
    assert record["protocolSection"]["identificationModule"]["acronym"] == "NATARS"
    assert "no NCT ID" in partial.stderr and "NCT03838718" not in partial.stdout
    explained = run("convert", "--explain", str(SEEDS / "000_f1e35e3a65172f8b.txt")).stdout
    assert "layout:" in explained and "line 1: Viewing Study NCT07295132" in explained


def _modules_after(*argv: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `trialscout ARGV`."""
    code = ("import sys\nfrom trialscout.cli import app\n"
            f"try:\n    app({list(argv)!r})\nexcept SystemExit:\n    pass\n"
            "print('\\n'.join(sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(done.stdout.split())


HEAVY = ("fastapi", "starlette", "fhir", "uvicorn", "dask", "ir_measures", "trialscout.match", "trialscout.criteria",
         "trialscout.patient", "trialscout.api")


def test_help_and_search_do_not_import_the_web_stack_fhir_or_the_matcher(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    subprocess.run([sys.executable, "-m", "trialscout.cli", "ingest", str(FIXTURES / "xml"), "--db", str(db)],
                   check=True, capture_output=True, timeout=300)
    for argv in (["--help"], ["search", "cancer", "--db", str(db)], ["show", "NCT00000188", "--db", str(db)]):
        loaded = _modules_after(*argv)
        assert not [m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY)], argv
    # `criteria` needs the criteria engine, but not the web stack nor the FHIR models
    loaded = _modules_after("criteria", "NCT00000188", "--db", str(db))
    web_or_fhir = ("fastapi", "starlette", "fhir", "uvicorn", "dask", "trialscout.api", "trialscout.web")
    assert "trialscout.criteria" in loaded
    assert not [m for m in loaded if m.split(".")[0] in web_or_fhir or m.startswith(web_or_fhir)]


def test_the_cli_lists_match_the_library() -> None:
    from trialscout import cli, ingest, sources
    from trialscout.console import policy_names
    from trialscout.match.policy import names

    assert cli.FORMATS == sources.FORMATS
    assert policy_names() == names()
    assert inspect.signature(cli.ingest).parameters["batch_size"].default == ingest.BATCH_SIZE
