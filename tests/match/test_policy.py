"""The absence policy, who a criterion is about, where a record speaks to it, and a full reading: the rule files'
own examples, run through the real parser and matcher, and the policy's behaviour on criteria written here."""

from __future__ import annotations

import datetime as dt
import json
import re
from importlib import resources
from typing import Any

import pytest

from trialscout.criteria import parse_criteria, rules
from trialscout.criteria.remarks import permits
from trialscout.errors import TrialscoutError
from trialscout.match.evaluate import evaluate
from trialscout.match.links import links
from trialscout.match.policy import names, policy, record_cannot_tell
from trialscout.model.patient import Age, PatientFacts, Pregnancy, Provenance, Sex
from trialscout.patient import from_note

TODAY = dt.date(2026, 1, 15)
JSON = Provenance(source="json", ref="p.json", path="x")


def _rules(name: str) -> dict[str, Any]:
    return json.loads(resources.files("trialscout.match").joinpath(f"rules/{name}").read_text("utf-8"))


def verdicts(text: str, ctype: str, facts: PatientFacts, which: str | None = None) -> list[str]:
    heading = "Inclusion Criteria:" if ctype == "inclusion" else "Exclusion Criteria:"
    block = f"{heading}\n\n  - {text}\n"
    _, results = evaluate(parse_criteria(block), block, facts, TODAY, which)
    return [r.verdict for r in results]


def person(sex: str, age: float, postmenopausal: bool | None = None) -> PatientFacts:
    facts = PatientFacts(as_of=TODAY, age=Age(years=age, provenance=JSON),
                         sex=Sex(value=sex.upper(), provenance=JSON), notes=["A patient."])
    if postmenopausal is not None:
        facts.pregnancy = Pregnancy(postmenopausal=postmenopausal, provenance=JSON)
    return facts


def test_policies_and_an_unknown_name() -> None:
    assert set(names()) == {"default", "strict"}
    assert policy().name == "default" and policy("strict").presumed == frozenset()
    with pytest.raises(TrialscoutError, match="no absence policy 'lenient'"):
        policy("lenient")


@pytest.mark.parametrize("example", _rules("population.json")["examples"], ids=lambda e: e["text"][:40])
def test_population_examples(example: dict[str, Any]) -> None:
    p = example["patient"]
    got = verdicts(example["text"], example["type"], person(p["sex"], p["age"], p.get("postmenopausal")))
    if example["verdict"] == "applies":
        assert "not_applicable" not in got
    else:
        assert got == [example["verdict"]]


def test_record_cannot_tell_examples() -> None:
    data = _rules("policy.json")["record_cannot_tell"]
    assert all(record_cannot_tell(t) for t in data["examples"])
    assert not any(record_cannot_tell(t) for t in data["not_examples"])


def test_what_a_record_cannot_tell_is_never_presumed() -> None:
    facts = person("male", 40)
    assert verdicts("Patients without social insurance", "exclusion", facts) == ["unknown"]
    assert verdicts("Prisoner", "exclusion", facts) == ["pass"]  # a clinical summary would say so: presumed


@pytest.mark.parametrize("example", _rules("links.json")["examples"], ids=lambda e: e["criterion"][:40])
def test_link_examples(example: dict[str, Any]) -> None:
    found = links(example["criterion"], from_note(example["note"]))
    said = {w.lower() for link in found for w in link.words}
    assert said == {w.lower() for w in example["linked"]}
    if example.get("negated"):
        assert found and all(link.negated for link in found)


def test_silence_presumes_absence_by_default_and_nothing_under_strict() -> None:
    note = from_note("A 45-year-old man with type 2 diabetes presents with a cough. He takes metformin.")
    text = "History of myocardial infarction"
    assert verdicts(text, "exclusion", note) == ["pass"]
    assert verdicts(text, "exclusion", note, "strict") == ["unknown"]
    _, (result,) = evaluate(*_one(text, "exclusion"), note, TODAY)
    assert result.presumed and "confirm" in (result.question or "")
    # silence never fails: an inclusion asking for the thing stays a question
    assert verdicts("History of myocardial infarction", "inclusion", note) == ["unknown"]
    # a bare lab limit is never presumed; one that defines a named condition shares its presumption
    assert verdicts("Platelets < 75,000/mm3", "exclusion", note) == ["unknown"]
    assert verdicts("Severe renal impairment (serum creatinine > 3.0 mg/dL)", "exclusion", note) == ["pass"]
    # what the record says decides: a drug class over the drug named, a broader concept left open
    assert verdicts("Patients on biguanides", "exclusion", note) == ["fail"]
    assert verdicts("Diabetes mellitus", "inclusion", note) == ["pass"]
    assert verdicts("Type 1 diabetes", "inclusion", note) == ["fail"] or \
        verdicts("Type 1 diabetes", "inclusion", note) == ["unknown"]


def _one(text: str, ctype: str) -> tuple[list[Any], str]:
    heading = "Inclusion Criteria:" if ctype == "inclusion" else "Exclusion Criteria:"
    block = f"{heading}\n\n  - {text}\n"
    return parse_criteria(block), block


def test_a_record_that_denies_confirms_and_one_that_mentions_questions() -> None:
    denies = from_note("A 60-year-old woman. She denies smoking. No history of stroke.")
    _, (smoking,) = evaluate(*_one("Current smokers", "exclusion"), denies, TODAY)
    assert smoking.verdict == "pass" and not smoking.presumed
    mentions = from_note("A 60-year-old woman with chest pain radiating to the left arm.")
    assert verdicts("Unstable angina", "exclusion", mentions) == ["unknown"]  # angina is a kind of chest pain


def test_global_denials() -> None:
    note = from_note("A 30-year-old man with no past medical history. He takes no medications.")
    _, (drug,) = evaluate(*_one("Taking beta blockers", "exclusion"), note, TODAY, "strict")
    assert drug.verdict == "pass" and "no medications" in drug.evidence[0].reason
    _, (disease,) = evaluate(*_one("History of heart failure", "exclusion"), note, TODAY, "strict")
    assert disease.verdict == "pass" and "past medical history" in disease.evidence[0].reason


def test_coverage_examples() -> None:
    for example in rules.load("coverage.json")["examples"]:
        (criterion,) = parse_criteria(f"{example['type'].title()} Criteria:\n\n  - {example['text']}\n")
        if "unread" in example:
            assert criterion.unread == example["unread"], example["text"]
        for word in example.get("unread_includes", []):
            assert word in criterion.unread, example["text"]


def test_a_criterion_not_fully_read_never_fails() -> None:
    note = from_note("A 50-year-old woman with hypertension.")
    (criterion,), block = _one("Hypertension resistant despite quadruple therapy", "exclusion")
    assert criterion.unread
    _, (result,) = evaluate([criterion], block, note, TODAY)
    assert result.verdict == "unknown" and "not fully understood" in (result.question or "")
    assert any(e.verdict == "fail" for e in result.evidence)  # the part understood, shown


def test_permission_examples() -> None:
    data = rules.load("patterns.json")["permission"]
    assert all(permits(t) for t in data["examples"])
    assert not any(permits(t) for t in data["not_examples"])


@pytest.mark.parametrize(("note", "verdict"), [
    ("A 50-year-old woman with hypertension. BP 150/95.", "pass"),     # has it, but inside the defining limit
    ("A 50-year-old woman with hypertension. BP 182/96.", "fail"),     # over the limit
    ("A 50-year-old woman with hypertension.", "unknown"),             # has it, limit not measured
])
def test_a_condition_defined_by_its_limit_is_decided_by_the_limit(note: str, verdict: str) -> None:
    (criterion,), block = _one("Hypertension of > 160/95 mm of Hg", "exclusion")
    _, (result,) = evaluate([criterion], block, from_note(note), TODAY)
    assert result.verdict == verdict
    assert not result.presumed


def test_a_presumed_pass_cites_the_statements_it_rests_on() -> None:
    note = ("A 60-year-old man presents with chest pain.\nHe has a history of type 2 diabetes.\n"
            "He takes metformin.\nThe patient will provide informed consent.")
    (criterion,), block = _one("History of dementia", "exclusion")
    _, (result,) = evaluate([criterion], block, from_note(note), TODAY)
    assert result.verdict == "pass" and result.presumed
    grounds = [g["text"] for e in result.evidence for g in (e.grounds or [])]
    assert any("60-year-old" in g for g in grounds)  # who the patient is
    assert any("diabetes" in g for g in grounds)  # the history it states, without dementia
    assert not any("consent" in g for g in grounds)
    (criterion,), block = _one("Unable to give informed consent", "exclusion")
    _, (result,) = evaluate([criterion], block, from_note(note), TODAY)
    assert all(e.grounds is None for e in result.evidence if not e.presumed)


@pytest.mark.parametrize(("text", "ctype"), [("Able to undergo MRI of the pelvis", "inclusion"),
                                             ("Unable to tolerate oral medication", "exclusion"),
                                             ("Voluntary informed consent", "inclusion")])
def test_an_ability_or_willingness_is_presumed_and_its_object_is_no_requirement(text: str, ctype: str) -> None:
    (criterion,), block = _one(text, ctype)
    assert [c.kind for c in criterion.constraints] == ["consent_or_compliance"] and not criterion.unread
    _, (result,) = evaluate([criterion], block, from_note("A 45-year-old man presents with dysphagia."), TODAY)
    assert result.verdict == "pass" and result.presumed


def test_an_unread_limit_holds_a_pass_back() -> None:
    note = from_note("A 40-year-old man with cough for three days.")
    (criterion,), block = _one("Cough lasting more than two weeks", "inclusion")
    assert "more" in criterion.unread
    _, (result,) = evaluate([criterion], block, note, TODAY)
    assert result.verdict == "unknown" and "only partly understood" in (result.question or "")


def test_a_met_concept_cites_its_other_mentions() -> None:
    note = from_note("A 70-year-old man with dementia.\nHe has poor memory.\nHe lives alone.")
    (criterion,), block = _one("Cognitive impairment", "inclusion")
    _, (result,) = evaluate([criterion], block, note, TODAY)
    assert result.verdict == "pass" and not result.presumed
    cited = [e.fact for e in result.evidence] + [g["text"] for e in result.evidence for g in (e.grounds or [])]
    assert any("dementia" in c for c in cited) and any("memory" in c for c in cited)


def test_defined_by_limit_examples() -> None:
    rule = rules.load("patterns.json")["defined_by_limit"]
    pattern = re.compile(rule["pattern"], re.IGNORECASE)
    assert all(pattern.fullmatch(t) for t in rule["examples"])
    assert not any(pattern.fullmatch(t) for t in rule["not_examples"])
