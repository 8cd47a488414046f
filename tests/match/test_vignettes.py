"""Patient vignettes against the seed trials and twelve real oncology trials: every computable verdict checked.

Each trial has an expectation file (`tests/fixtures/vignettes/expectations/NCT….json`):

- `expected`: the verdict a research nurse would give each computable criterion (and any other criterion it lists)
  for the trial's passing patient, under the default absence policy (a pass the record's silence presumes is a pass;
  a criterion on people the patient is not is `not_applicable`), keyed by a prefix of the criterion's text (every
  computable criterion must be listed, and each key must name one criterion, or several with the same text);
- `unsettleable`: criteria the passing patient's record cannot settle (the patient schema holds no lesion
  measurements; the vignette gives no temperature), which leave even the passing patient `uncertain`;
- `patients`: the passing patient (`pass`), one failing exactly one chosen criterion (`fail`, its `target`) and
  one leaving exactly one chosen criterion unknown (`unknown`); `changes` are their verdicts that differ from
  `expected`, and `eligibility` is the correct trial verdict;
- `engine_wrong`: criteria on which the engine gives a wrong verdict today (`reason`), for the listed roles
  (all when absent). Those checks still assert the correct verdict, as strict xfails, so they turn into
  failures the day the engine is fixed and the mark can go; likewise `eligibility_engine_wrong` per role.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from trialscout.match import match_study
from trialscout.model import Study
from trialscout.model.match import TrialMatch
from trialscout.patient import load_patient
from trialscout.sources import iter_items
from trialscout.sources.pages import explain

VIGNETTES = Path(__file__).resolve().parents[1] / "fixtures" / "vignettes"
SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "seeds"
TODAY = dt.date(2026, 1, 15)
ROLES = ("pass", "fail", "unknown")


def _expectations() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted((VIGNETTES / "expectations").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[data["nct_id"]] = data
    return out


EXPECTATIONS = _expectations()


@cache
def study(trial: str) -> Study:
    """The trial's Study; a registry page without an NCT ID is built from what the page reader got from it."""
    exp = EXPECTATIONS[trial]
    path = VIGNETTES / exp["trial"]
    placeholder = exp.get("placeholder_nct_id")
    if placeholder:
        # Seed 001 gives no NCT ID, so it cannot become a Study by itself: take the page reader's partial
        # (v2-shaped) record and put a placeholder NCT ID in it, for this test only.
        explanation = explain(str(path), path.read_bytes())
        assert explanation.study is None and explanation.error is not None
        record = json.loads(json.dumps(getattr(explanation.error, "partial", None) or explanation.record))
        record["protocolSection"]["identificationModule"]["nctId"] = placeholder
        return Study.model_validate(record)
    items = list(iter_items([path]))
    assert len(items) == 1 and items[0].study is not None, items[0].error
    return items[0].study


@cache
def match(trial: str, role: str) -> TrialMatch:
    exp = EXPECTATIONS[trial]
    facts = load_patient(VIGNETTES / exp["patients"][role]["file"])
    return match_study(study(trial), facts, today=TODAY)


def find_each(m: TrialMatch, key: str) -> list:
    """The criteria whose text starts with `key` (computable or not: a criterion nothing of which was read still
    gets a verdict, a presumed pass or a question); several only when their texts are the same (a PDQ record
    repeats 'At least 4 weeks since therapy' under each therapy label), and then one expectation holds for all."""
    hits = [c for c in m.criteria if c.text.startswith(key)]
    exact = [c for c in hits if c.text == key]  # a key that is a whole text names that text, not longer ones
    hits = exact or hits
    assert hits and len({c.text for c in hits}) == 1, f"{key!r} names {len(hits)} different criteria of {m.nct_id}"
    return hits


def find(m: TrialMatch, key: str):
    """The criterion whose text starts with `key` (the first, when several have that same text)."""
    return find_each(m, key)[0]


def expected_verdicts(trial: str, role: str) -> dict[str, str]:
    exp = EXPECTATIONS[trial]
    return {**exp["expected"], **exp["patients"][role].get("changes", {})}


def wrong_reason(trial: str, role: str, key: str) -> str | None:
    wrong = EXPECTATIONS[trial].get("engine_wrong", {}).get(key)
    if wrong is None or role not in wrong.get("roles", ROLES):
        return None
    return wrong["reason"]


def _criterion_cases(bugs: bool) -> list[Any]:
    cases = []
    for trial in EXPECTATIONS:
        for role in ROLES:
            for i, (key, verdict) in enumerate(expected_verdicts(trial, role).items()):
                reason = wrong_reason(trial, role, key)
                if (reason is not None) != bugs:
                    continue
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                cases.append(pytest.param(trial, role, key, verdict, marks=marks, id=f"{trial}-{role}-{i}"))
    return cases


def _trial_cases(bugs: bool) -> list[Any]:
    cases = []
    for trial, exp in EXPECTATIONS.items():
        for role in ROLES:
            reason = exp.get("eligibility_engine_wrong", {}).get(role)
            if (reason is not None) != bugs:
                continue
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(trial, role, exp["patients"][role]["eligibility"], marks=marks,
                                      id=f"{trial}-{role}"))
    return cases


def test_twelve_real_trials_and_the_seeds_have_vignettes() -> None:
    real = [t for t, e in EXPECTATIONS.items() if e["trial"].startswith("trials/")]
    assert len(real) >= 12
    for exp in EXPECTATIONS.values():
        assert set(exp["patients"]) == set(ROLES)


@pytest.mark.parametrize("trial", sorted(EXPECTATIONS))
@pytest.mark.parametrize("role", ROLES)
def test_every_computable_criterion_has_an_expectation(trial: str, role: str) -> None:
    m = match(trial, role)
    keys = list(expected_verdicts(trial, role))
    matched = [c for k in keys for c in find_each(m, k)]
    computable = [c for c in m.criteria if c.computable]
    assert len({id(c) for c in matched}) == len(matched)  # no criterion is named by two keys
    missing = [c.text for c in computable if not any(c is x for x in matched)]
    assert not missing, f"computable criteria without an expected verdict: {missing}"


@pytest.mark.parametrize(("trial", "role", "key", "verdict"), _criterion_cases(bugs=False))
def test_criterion_verdict(trial: str, role: str, key: str, verdict: str) -> None:
    for c in find_each(match(trial, role), key):
        assert c.verdict == verdict, [e.reason for e in c.evidence]
        if c.verdict == "unknown":
            assert c.question


@pytest.mark.parametrize(("trial", "role", "key", "verdict"), _criterion_cases(bugs=True))
def test_criterion_verdict_the_engine_gets_wrong(trial: str, role: str, key: str, verdict: str) -> None:
    assert all(c.verdict == verdict for c in find_each(match(trial, role), key))


def _shortfalls() -> list[Any]:
    return [pytest.param(trial, role, key, verdict, id=f"{trial}-{role}-{i}")
            for trial in EXPECTATIONS for role in ROLES
            for i, (key, verdict) in enumerate(expected_verdicts(trial, role).items())
            if wrong_reason(trial, role, key) is not None]


@pytest.mark.parametrize(("trial", "role", "key", "verdict"), _shortfalls())
def test_an_engine_shortfall_never_fails_a_patient_who_meets_the_criterion(trial: str, role: str, key: str,
                                                                          verdict: str) -> None:
    """What the engine still gets wrong, it gets wrong as 'unknown' (a question), never as a wrong fail."""
    for c in find_each(match(trial, role), key):
        assert not (c.verdict == "fail" and verdict != "fail"), [e.reason for e in c.evidence]


@pytest.mark.parametrize(("trial", "role", "eligibility"), _trial_cases(bugs=False))
def test_trial_verdict(trial: str, role: str, eligibility: str) -> None:
    assert match(trial, role).eligibility == eligibility


@pytest.mark.parametrize(("trial", "role", "eligibility"), _trial_cases(bugs=True))
def test_trial_verdict_the_engine_gets_wrong(trial: str, role: str, eligibility: str) -> None:
    assert match(trial, role).eligibility == eligibility


@pytest.mark.parametrize("trial", sorted(EXPECTATIONS))
def test_the_vignettes_are_what_they_say(trial: str) -> None:
    """Pass: nothing fails, and only never-settleable criteria are unknown. Fail: exactly the target fails.
    Unknown: exactly the target is unknown (besides the never-settleable ones), with a question to ask."""
    exp = EXPECTATIONS[trial]
    unsettleable = set(exp.get("unsettleable", {}))
    passing = expected_verdicts(trial, "pass")
    assert "fail" not in passing.values()
    assert {k for k, v in passing.items() if v == "unknown"} == unsettleable
    assert exp["patients"]["pass"]["eligibility"] == ("uncertain" if unsettleable else "eligible")
    fail = exp["patients"]["fail"]
    assert [k for k, v in expected_verdicts(trial, "fail").items() if v == "fail"] == [fail["target"]]
    assert fail["eligibility"] == "ineligible"
    unknown = exp["patients"]["unknown"]
    assert {k for k, v in expected_verdicts(trial, "unknown").items() if v == "unknown"} - unsettleable \
        == {unknown["target"]}
    assert "fail" not in expected_verdicts(trial, "unknown").values()
    assert unknown["eligibility"] == "uncertain"
    target = find(match(trial, "unknown"), unknown["target"])
    assert target.verdict == "unknown" and target.question


@pytest.mark.parametrize("seed", ["000_f1e35e3a65172f8b.txt", "004_cf0a217b1bebf5ab.txt"])
@pytest.mark.parametrize("patient", ["NCT00002465_pass.json", "NCT00001685_fail.json", "NCT00002480_unknown.json"])
def test_seed_pages_without_criteria_leave_every_patient_uncertain(seed: str, patient: str) -> None:
    """Seeds 000 and 004 carry neither criteria text nor an age range or sex: there is nothing to pass, fail or
    leave unknown, so no patient is called eligible (or ineligible) — the honest verdict is `uncertain`."""
    items = list(iter_items([SEEDS / seed]))
    assert len(items) == 1 and items[0].study is not None
    m = match_study(items[0].study, load_patient(VIGNETTES / "patients" / patient), today=TODAY)
    assert m.criteria == []
    assert m.eligibility == "uncertain"
