"""Matching a patient against every stored trial: compiled criteria, the pruning query, and verdicts that equal a
full evaluation of every trial of the bundled sample, parsed afresh from its Study."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from trialscout.app import CRITERIA, Trialscout
from trialscout.criteria import parse_criteria
from trialscout.errors import TrialscoutError
from trialscout.match import match_study
from trialscout.model.compiled import compile_trial, is_compiled, load_trial, to_model
from trialscout.patient import from_json, load_patient
from trialscout.store import SqliteStore, StudyFilters

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PATIENTS = [FIXTURES / "cohort/patients/breast_her2.json", FIXTURES / "cohort/patients/ovarian_frail.json",
            FIXTURES / "patients/valid.json"]
NOTE = Path(__file__).resolve().parents[1] / "src/trialscout/data/demo-note.txt"
AS_OF = dt.date(2024, 6, 1)


def _facts(path: Path):
    facts = load_patient(path)
    facts.as_of = facts.as_of or AS_OF
    return facts


def _without_rank(contract: dict) -> dict:
    return {k: v for k, v in contract.items() if k not in ("score", "relevance", "pruned")}


@pytest.fixture(scope="module")
def full_evaluation(served_db: Path) -> dict[str, tuple]:
    """Every stored trial as a Study with criteria parsed now from its text: the reference, no compiled form."""
    with SqliteStore(served_db, readonly=True) as store:
        return {nct: (study := store.get(nct), parse_criteria(study.eligibility_text or ""))
                for nct in store.nct_ids()}


@pytest.mark.parametrize("patient", [*PATIENTS, NOTE], ids=lambda p: p.stem)
def test_every_trial_gets_the_verdict_full_evaluation_gives(served_db: Path, full_evaluation: dict,
                                                            patient: Path) -> None:
    facts = _facts(patient)
    with Trialscout(served_db) as ts:
        found = ts.match_all(facts, top=None)
    assert len(found.ranked) == len(found.shown) == len(full_evaluation) == found.evaluated + found.pruned
    for m in found.shown:
        study, crits = full_evaluation[m.nct_id]
        full = match_study(study, facts, criteria=crits, relevance=m.relevance)
        assert m.eligibility == full.eligibility, m.nct_id
        if m.pruned:
            assert m.eligibility == "ineligible"
            assert "fail" in [c.verdict for c in m.criteria]
        else:
            assert _without_rank(m.to_contract()) == _without_rank(full.to_contract()), m.nct_id
            assert m.score == pytest.approx(full.score)
    # the summaries that rank every trial agree with the explanations rebuilt for the ones shown
    assert [(r.nct_id, r.eligibility, r.counts, r.score) for r in found.ranked] == \
        [(m.nct_id, m.eligibility, m.counts, m.score) for m in found.shown]


def test_the_pruning_query_drops_exactly_the_trials_outside_the_records_age_range_or_sex(served_db: Path) -> None:
    facts = from_json({"age": 75, "sex": "male", "as_of": "2024-06-01",
                       "diagnoses": [{"name": "prostate adenocarcinoma"}]})
    with Trialscout(served_db) as ts:
        found = ts.match_all(facts, top=None)
        pruned = {m.nct_id for m in found.shown if m.pruned}
        with SqliteStore(served_db, readonly=True) as store:
            outside = {nct for nct, sex, low, high in store.conn.execute(
                "SELECT nct_id, sex, min_age_years, max_age_years FROM studies")
                if sex == "FEMALE" or (low is not None and low > 75) or (high is not None and high < 75)}
        assert pruned == outside and pruned
        for m in found.shown:
            if m.pruned:
                assert m.criteria[0].evidence[0].constraint["kind"] in ("age", "sex")
        # a patient whose age and sex are unknown prunes nothing
        bare = ts.match_all(from_json({"diagnoses": [{"name": "prostate adenocarcinoma"}]}), top=3)
        assert bare.pruned == 0 and len(bare.shown) == 3
        # a status filter narrows the set before pruning
        only = ts.match_all(facts, filters=StudyFilters(statuses=["RECRUITING"]), top=None)
        with SqliteStore(served_db, readonly=True) as store:
            recruiting = store.conn.execute("SELECT count(*) FROM studies WHERE overall_status = 'RECRUITING'")
            assert len(only.ranked) == recruiting.fetchone()[0]


def test_worker_processes_give_the_same_ranking(served_db: Path) -> None:
    facts = _facts(PATIENTS[0])
    with Trialscout(served_db) as ts:
        one, two = ts.match_all(facts, top=5), ts.match_all(facts, top=5, workers=2)
    assert one.ranked == two.ranked
    assert [m.to_contract() for m in one.shown] == [m.to_contract() for m in two.shown]


def test_compiled_criteria_are_small_and_read_back_as_parsed(served_db: Path) -> None:
    with SqliteStore(served_db, readonly=True) as store:
        for nct in store.nct_ids():
            study, doc = store.get(nct), store.get_derived(nct, CRITERIA)
            assert is_compiled(doc)
            text = json.dumps(doc)
            assert "null" not in text.replace('"null', "")  # no null fields (a criterion may say "null")
            block = study.eligibility_text or ""
            parsed = parse_criteria(block)
            trial = load_trial(json.loads(json.dumps(doc)))
            assert [to_model(c) for c in trial.criteria] == parsed
            assert [c.to_contract() for c in trial.criteria] == [c.to_contract() for c in parsed]
            again = compile_trial(nct, study.brief_title, block, parsed)["criteria"]
            assert again == doc["criteria"]
            for stored, c in zip(doc["criteria"], parsed, strict=True):
                assert ("text" in stored) == (block[c.span[0]:c.span[1]] != c.text)  # no repeated text


def test_cli_match_all(served_db: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "trialscout.cli", "match", str(PATIENTS[0]), "--db", str(served_db),
                           "--all", "--top", "2", "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert len(shown) == 2 and all(m["criteria"] for m in shown)
    assert "trials judged:" in done.stderr and "pruned by their record's age range or sex" in done.stderr
    refused = subprocess.run([sys.executable, "-m", "trialscout.cli", "match", str(PATIENTS[0]), "--db",
                              str(served_db), "--all", "--trial", "NCT00000000"], capture_output=True, text=True,
                             timeout=300)
    assert refused.returncode != 0 and "--all" in refused.stderr


def test_a_damaged_compiled_document_is_parsed_again(tmp_path: Path, served_db: Path) -> None:
    import shutil

    db = tmp_path / "damaged.db"
    shutil.copy(served_db, db)
    with SqliteStore(db) as store:
        nct = store.nct_ids()[0]
        study_id = store.conn.execute("SELECT id FROM studies WHERE nct_id = ?", (nct,)).fetchone()[0]
        doc = store.get_derived(nct, CRITERIA)
        doc["criteria"] = [{"type": "inclusion"}]  # no span: not a compiled criterion
        with store.transaction():
            store.put_derived(study_id, CRITERIA, doc)
    facts = _facts(PATIENTS[0])
    with Trialscout(db) as ts, Trialscout(served_db) as intact:
        assert ts.match_one(facts, nct).to_contract() == intact.match_one(facts, nct).to_contract()
        assert [c.to_contract() for c in ts.criteria(nct)] == [c.to_contract() for c in intact.criteria(nct)]


def _rewrite_criteria(db: Path, nct: str, text: str) -> None:
    """A newer version of one stored record with other criteria, upserted as ingest does."""
    from trialscout.app import derive_criteria
    from trialscout.model import Study

    with SqliteStore(db) as store:
        doc = store.get_json(nct)
        doc["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = text
        doc["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2099-01-01"}
        study = Study.model_validate(doc)
        with store.transaction():
            assert store.upsert(study, derived=derive_criteria(study)) == "updated"


def test_held_trials_are_read_once_and_read_again_when_the_store_changes(tmp_path: Path, served_db: Path) -> None:
    import shutil

    from trialscout.app import held_trials

    db = tmp_path / "held.db"
    shutil.copy(served_db, db)
    SqliteStore(db).close()  # opened for writing once, as any ingest does: the store keeps a generation
    facts = _facts(PATIENTS[0])
    with Trialscout(db) as ts:
        first = ts.match_all(facts, top=3)
        held = held_trials(ts.store)
        assert held is not None and len(held) == first.evaluated
        kept = dict(held)
        again = ts.match_all(facts, top=3)
        assert again.ranked == first.ranked
        assert all(held_trials(ts.store)[nct] is trial for nct, trial in kept.items())  # nothing read again
    target = next(r.nct_id for r in first.ranked if r.eligibility != "ineligible")
    _rewrite_criteria(db, target, "Inclusion Criteria:\n\n- Age 90 years or older\n")
    with Trialscout(db) as ts:
        changed = {r.nct_id: r for r in ts.match_all(facts, top=None).ranked}
        assert held_trials(ts.store)[target] is not kept[target]
        assert all(held_trials(ts.store)[nct] is not trial for nct, trial in kept.items())
    with Trialscout(db, hold=False) as once:
        assert list(changed.values()) == once.match_all(facts, top=None).ranked
    with SqliteStore(db, readonly=True) as store:
        study = store.get(target)
    full = match_study(study, facts, criteria=parse_criteria(study.eligibility_text or ""))
    assert changed[target].eligibility == full.eligibility == "ineligible"


def test_a_store_made_again_at_the_same_path_is_not_taken_for_the_one_held(tmp_path: Path, served_db: Path) -> None:
    import shutil

    db = tmp_path / "again.db"
    shutil.copy(served_db, db)
    SqliteStore(db).close()
    facts = _facts(PATIENTS[0])
    with Trialscout(db) as ts:
        before = ts.match_all(facts, top=None).ranked
    target = next(r.nct_id for r in before if r.eligibility != "ineligible")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(served_db, db)
    SqliteStore(db).close()
    _rewrite_criteria(db, target, "Inclusion Criteria:\n\n- Age 90 years or older\n")
    with Trialscout(db) as ts:
        after = {r.nct_id: r for r in ts.match_all(facts, top=None).ranked}
    assert after[target].eligibility == "ineligible"
    with Trialscout(db, hold=False) as once:
        assert list(after.values()) == once.match_all(facts, top=None).ranked


def test_a_store_bigger_than_a_process_should_hold_is_read_each_time(tmp_path: Path, served_db: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from trialscout.app import held_trials

    db = tmp_path / "big.db"
    shutil.copy(served_db, db)
    SqliteStore(db).close()
    facts = _facts(PATIENTS[0])
    monkeypatch.setenv("TRIALSCOUT_HOLD_LIMIT", "10")
    with Trialscout(db) as ts:
        limited = ts.match_all(facts, top=3)
        assert len(held_trials(ts.store)) <= 3  # only the trials shown, read one by one, up to the limit
    monkeypatch.setenv("TRIALSCOUT_HOLD_LIMIT", "ten")
    with Trialscout(db) as ts, pytest.raises(TrialscoutError, match="TRIALSCOUT_HOLD_LIMIT"):
        ts.match_all(facts, top=3)
    monkeypatch.delenv("TRIALSCOUT_HOLD_LIMIT")
    with Trialscout(db) as ts:
        assert ts.match_all(facts, top=3).ranked == limited.ranked
        assert len(held_trials(ts.store)) == limited.evaluated
