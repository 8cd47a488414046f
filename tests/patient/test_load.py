"""load_patient: input detection (JSON document, FHIR Bundle, note), files vs. text, describe, the model."""

from __future__ import annotations

import json

import pytest

from trialscout.model.patient import PatientFacts
from trialscout.patient import PatientError, describe, detect_kind, load_patient
from trialscout.patient.rules import load
from trialscout.patient.vocab import is_oncotree_code
from trialscout.vocab.analytes import analytes as vocab_analytes
from trialscout.vocab.analytes import loinc_index


@pytest.mark.parametrize(("name", "kind"), [("valid.json", "json"), ("bundle_crc.json", "fhir"),
                                            ("note_onc.txt", "note"), ("empty_note.txt", "note")])
def test_detect_kind(patients, name, kind):
    path = patients / name
    assert detect_kind(path.read_text("utf-8"), path.name) == kind


def test_text_and_path_give_the_same_facts(patients):
    path = patients / "note_onc.txt"
    by_path, by_text = load_patient(path), load_patient(path.read_text("utf-8"))
    assert by_path.diagnoses[0].oncotree_code == by_text.diagnoses[0].oncotree_code
    assert by_path.diagnoses[0].provenance.ref == "note_onc.txt" and by_text.diagnoses[0].provenance.ref is None
    assert load_patient(json.dumps({"age": 61, "sex": "M"})).age.years == 61


def test_json_file_that_does_not_parse_is_an_error_not_a_note(tmp_path):
    bad = tmp_path / "p.json"
    bad.write_text("age: 50", encoding="utf-8")
    with pytest.raises(PatientError, match="p.json: not valid JSON"):
        load_patient(bad)


def test_binary_file_is_an_error(tmp_path):
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF\xff\xfe\x00\x01")
    with pytest.raises(PatientError, match="not a UTF-8"):
        load_patient(bad)


def test_missing_file_named_as_path_is_an_error(tmp_path):
    from pathlib import Path

    with pytest.raises(PatientError, match="no such file"):
        load_patient(Path(tmp_path / "absent.json"))


def test_describe_mentions_what_was_understood(patients):
    text = describe(load_patient(patients / "bundle_crc.json"))
    for word in ("male", "COAD", "platelets", "ECOG 1", "oxaliplatin", "Problems", "not converted"):
        assert word in text


def test_facts_round_trip_through_json(patients):
    f = load_patient(patients / "bundle_crc.json")
    assert PatientFacts.model_validate_json(f.model_dump_json()) == f


def test_vocabulary_codes_exist_in_oncotree():
    for entry in load("conditions.json")["cancers"]:
        assert entry["code"] is None or is_oncotree_code(entry["code"]), entry["code"]
    for code in load("conditions.json")["icd10_oncotree"].values():
        assert is_oncotree_code(code)


def test_loinc_table_names_known_analytes():
    analytes = set(vocab_analytes())
    assert set(loinc_index().values()) <= analytes
    for name in ("platelets", "neutrophils_absolute", "leukocytes", "hemoglobin", "creatinine", "creatinine_clearance",
                 "egfr_renal", "bilirubin_total", "ast", "alt", "alkaline_phosphatase", "albumin", "inr"):
        assert name in analytes
