"""Fuzzing the patient readers: real patient files (JSON documents, FHIR Bundles, notes), mutated, must load or
raise our own error (TrialscoutError, saying where and why), never anything else; the crashes once found are kept
as plain regression tests below. Bounded and derandomized, so the file runs in a few seconds."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES, SHARED_DATA
from trialscout.errors import TrialscoutError
from trialscout.json_limits import MAX_DEPTH, MAX_NUMBER_DIGITS
from trialscout.model.patient import PatientFacts
from trialscout.patient import PatientError, describe, from_fhir, from_json, load_patient, to_json

PATIENTS = FIXTURES / "patients"
MCODE = SHARED_DATA / "fhir-mcode"
JSON_FILES = [PATIENTS / n for n in ("valid.json", "wrong_types.json", "impossible.json")]
FHIR_FILES = [PATIENTS / "bundle_crc.json", *(MCODE / n for n in (
    "coverage-checker__patientBundle.json", "coverage-checker__assessmentBundle.json", "mef__csv-staging-bundle.json",
    "ctm-app__TrialMatching_Patient01.json", "mcode-cql__Bundle-mCODECancerGeneticVariantExample01.json"))]
NOTE_FILES = [PATIENTS / n for n in ("note_onc.txt", "spanish_note.txt")]
FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

HUGE = "9" * 5000
RAW_VALUES = [HUGE, "-" + "1" * (MAX_NUMBER_DIGITS + 1), "1e400", "-1e400", "NaN", "Infinity", "0." + "5" * 300,
              "[" * 3000 + "]" * 3000, '{"a":' * (MAX_DEPTH + 5) + "1" + "}" * (MAX_DEPTH + 5)]
"""JSON text no Python value serialises to: numbers beyond the limits, NaN, nesting beyond the limit."""
FHIR_CODES = ["ad", "<", "<=", ">", ">=", "final", "amended", "entered-in-error", "cancelled", "not-taken",
              "not-done", "refuted", "confirmed", "active", "resolved", "male", "female", "other", "unknown",
              "Bundle", "Patient", "Observation", "Condition", "Procedure", "http://loinc.org", "777-3", "89247-1",
              "LA9622-7", "2020", "2020-02", "2020-02-30", "0000-01-01", "9999-12-31T23:59:59Z", "1e400", "-0"]
FIELD_NAMES = ["comparator", "status", "gender", "birthDate", "valueInteger", "valueString", "valueBoolean",
               "valueQuantity", "unit", "code", "system", "verificationStatus", "clinicalStatus", "resourceType",
               "effectiveDateTime", "timestamp", "id", "age", "sex", "scale", "value", "line", "setting"]
"""Fields (FHIR and patient document) a mutation may add beside an existing one, so odd codes reach them."""
ODD_TEXT = ["", " ", "\u0000", "\ufeff", "\u202e evil", "\ud800", "İ", "ﬀ", "٣", "𝟗", "x" * 5000, "ECOG 9",
            "stage IV" * 50, "{", "]"]
ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**120), max_value=10**120),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20), st.sampled_from(FHIR_CODES + ODD_TEXT),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
NOTE_WORDS = ["ECOG ", "Karnofsky ", "NYHA class ", " weeks gestation", "PD-L1 ", "%", "platelets ", "stage ",
              " years old", "mg/dL", "x10^9/L", "BP ", "/", "temp ", "°F", "HER2 ", "3+", "negative", "no ", "denies ",
              "history of ", "cycles of ", "since ", " ago", " months", "G2P1 ", "T4N3M1", "aged ", HUGE, "1e400"]


def _read(paths: list[Path]) -> list[Any]:
    return [json.loads(p.read_text("utf-8")) for p in paths if p.exists()]


JSON_DOCS, FHIR_DOCS = _read(JSON_FILES), _read(FHIR_FILES)
NOTES = [p.read_text("utf-8") for p in NOTE_FILES]


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*here, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*here, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, docs: list[Any]) -> str:
    """A real document with 1-4 of its values deleted, replaced (odd types, FHIR codes, odd unicode, JSON text
    beyond the limits) or wrapped; sometimes the text itself is cut or has a character inserted."""
    doc = copy.deepcopy(draw(st.sampled_from(docs)))
    raws: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = paths[draw(st.integers(0, len(paths) - 1))]
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        op = draw(st.sampled_from(["delete", "odd", "odd", "code", "raw", "wrap", "add"]))
        if op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(FIELD_NAMES))] = draw(st.one_of(st.sampled_from(FHIR_CODES), ODD_VALUES))
        elif op == "delete":
            del parent[path[-1]]
        elif op == "raw":
            raws.append(draw(st.sampled_from(RAW_VALUES)))
            parent[path[-1]] = f"\u0000raw{len(raws) - 1}\u0000"
        elif op == "wrap":
            parent[path[-1]] = draw(st.sampled_from([[parent[path[-1]]], {"value": parent[path[-1]]}]))
        else:
            parent[path[-1]] = draw(ODD_VALUES if op == "odd" else st.sampled_from(FHIR_CODES))
    text = json.dumps(doc)
    for i, raw in enumerate(raws):
        text = text.replace(f'"\\u0000raw{i}\\u0000"', raw)
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["", "{", "]", ",", '"', "\\"])) + text[at + draw(st.integers(0, 3)):]
    return text


@st.composite
def mutated_note(draw: st.DrawFn) -> str:
    """A real note with clinical words, numbers (some huge) and arbitrary unicode put in, and pieces cut out."""
    text = draw(st.sampled_from(NOTES))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        put = draw(st.one_of(st.text(max_size=20), st.sampled_from(NOTE_WORDS),
                             st.from_regex(r"[0-9.,+/-]{1,12}", fullmatch=True)))
        text = text[:at] + put + text[at + draw(st.integers(0, 30)):]
    return text


def loads_or_refuses(text: str) -> PatientFacts | None:
    """The facts (which can also be described and written out), or None when our own error refused the input."""
    try:
        facts = load_patient(text)
    except TrialscoutError as exc:
        assert exc.why and len(str(exc)) < 1000  # says why; never echoes a large piece of the input
        return None
    describe(facts)
    to_json(facts)
    return facts


@FUZZ
@given(mutated(JSON_DOCS))
def test_mutated_patient_json_loads_or_is_refused(text: str) -> None:
    loads_or_refuses(text)


@FUZZ
@given(mutated(FHIR_DOCS))
def test_mutated_fhir_bundle_loads_or_is_refused(text: str) -> None:
    loads_or_refuses(text)


@settings(FUZZ, max_examples=80)
@given(mutated_note())
def test_mutated_note_loads(text: str) -> None:
    loads_or_refuses(text)


# Regressions: each was a traceback before the limits and the FHIR fixes.

@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000,
                                  '{"notes": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}"])
def test_deep_nesting_is_refused(text: str) -> None:
    with pytest.raises(PatientError, match=f"nested deeper than {MAX_DEPTH} levels"):
        load_patient(text)


def test_huge_integer_is_refused_with_its_field_path() -> None:
    with pytest.raises(PatientError, match=r"^input: age: a number of 5000 digits \(at most 100 are read\)$"):
        load_patient('{"age": ' + HUGE + "}")


def test_huge_integer_in_a_fhir_bundle_is_refused() -> None:
    text = (PATIENTS / "bundle_crc.json").read_text("utf-8").replace('"value": 97', '"value": ' + HUGE, 1)
    assert HUGE in text
    with pytest.raises(PatientError, match=r"entry\[\d+\]\.resource\.valueQuantity\.value: a number of 5000 digits"):
        load_patient(text)


@pytest.mark.parametrize(("literal", "why"), [("NaN", "NaN is not a JSON number"),
                                              ("-Infinity", "-Infinity is not a JSON number"),
                                              ("1e400", "a number too large to represent")])
def test_numbers_json_does_not_have_are_refused(literal: str, why: str) -> None:
    with pytest.raises(PatientError, match=f"labs\\[0\\]\\.value: {why}"):
        load_patient('{"labs": [{"analyte": "platelets", "value": ' + literal + "}]}")


def test_parsed_documents_get_the_same_limits() -> None:
    with pytest.raises(PatientError, match=r"prior_therapies\[0\]\.line: a number of more than 100 digits"):
        from_json({"prior_therapies": [{"agent": "cisplatin", "line": 10**5000}]})
    deep: Any = []
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(PatientError, match="nested deeper"):
        from_fhir({"resourceType": "Bundle", "type": "collection", "entry": deep})


def test_a_byte_order_mark_before_json_content_is_ignored() -> None:
    assert load_patient('\ufeff{"age": 61}').age.years == 61


def _crc_with_comparator(code: str) -> PatientFacts:
    doc = json.loads((PATIENTS / "bundle_crc.json").read_text("utf-8"))
    obs = next(e["resource"] for e in doc["entry"] if e["resource"].get("id") == "obs-cr")
    obs["valueQuantity"]["comparator"] = code
    return load_patient(json.dumps(doc))


def test_fhir_comparator_ad_skips_that_lab_only() -> None:
    facts = _crc_with_comparator("ad")
    assert facts.latest_lab("creatinine") is None
    assert facts.diagnoses and facts.latest_lab("hemoglobin") is not None
    problem = next(p for p in facts.problems if p.field.endswith("valueQuantity.comparator"))
    assert "'ad' (sufficient to achieve this total) states no measured result; not used" in problem.message


def test_fhir_comparator_that_censors_is_kept() -> None:
    assert _crc_with_comparator(">=").latest_lab("creatinine").comparator == ">="


def test_fhir_comparator_outside_the_code_list_skips_that_lab() -> None:
    facts = _crc_with_comparator("about")
    assert facts.latest_lab("creatinine") is None and facts.diagnoses
    assert any("not a FHIR comparator code" in p.message for p in facts.problems)


def test_bundle_id_fhir_does_not_allow_does_not_lose_the_patient() -> None:
    path = MCODE / "ctm-app__TrialMatching_Patient01.json"
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    facts = load_patient(path)
    assert facts.diagnoses and any(p.field == "Bundle.id" for p in facts.problems)


def test_cli_prints_one_line_and_fails(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trialscout.cli import app

    bad = tmp_path / "deep.json"
    bad.write_text('{"age": ' + HUGE + "}", encoding="utf-8")
    result = CliRunner().invoke(app, ["patient", str(bad)])
    assert result.exit_code != 0 and isinstance(result.exception, (SystemExit, type(None)))
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "deep.json: age: a number of 5000 digits" in lines[0], result.output


def test_an_observation_named_only_by_blank_text_is_reported_not_a_traceback() -> None:
    """Found by `make fuzz`: a code whose text is blank ("code": {"text": " "})."""
    doc = json.loads((PATIENTS / "bundle_crc.json").read_text("utf-8"))
    obs = next(e["resource"] for e in doc["entry"] if e["resource"].get("id") == "obs-bp")
    obs["code"] = {"text": " "}
    facts = load_patient(json.dumps(doc))
    assert facts.diagnoses and any("not one we read" in p.message for p in facts.problems)
