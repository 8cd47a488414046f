"""FHIR R4 Bundles read through fhir.resources: labs by LOINC, ECOG, medications, procedures, bad resources."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from trialscout.patient import PatientError, from_fhir, load_patient


@pytest.fixture
def crc(patients):
    return load_patient(patients / "bundle_crc.json")


def test_patient_and_conditions(crc):
    assert crc.id == "pat-1" and crc.sex.value == "MALE" and crc.as_of == dt.date(2024, 4, 2)
    assert crc.age.birth_date == dt.date(1961, 7, 4) and int(crc.age_years()) == 62
    [dx] = crc.diagnoses
    assert (dx.oncotree_code, dx.stage, dx.date) == ("COAD", "IVA", dt.date(2022, 11, 20))
    assert dx.setting == ["metastatic"] and dx.metastatic_sites == ["liver"]
    assert [c.key for c in crc.comorbidities] == ["diabetes_type2"]
    assert crc.comorbidities[0].code == "sct|44054006"
    assert [(n.key, n.kind) for n in crc.negated] == [("hiv", "condition")]


def test_labs_by_loinc_with_units_and_ranges(crc):
    plt = crc.latest_lab("platelets")
    assert (plt.value, plt.unit, plt.value_std, plt.loinc, plt.lln, plt.uln) == (145, "10*3/uL", 145, "777-3", 150, 400)
    assert plt.date == dt.date(2024, 3, 28)
    assert crc.latest_lab("creatinine").value_std == pytest.approx(1.097, abs=0.01)
    egfr = crc.latest_lab("egfr_renal")
    assert egfr.comparator == ">" and egfr.value_std == 60
    assert crc.latest_lab("alt").uln == 41
    albumin = crc.latest_lab("albumin")
    assert albumin.unit_known is False and albumin.value_std is None
    assert crc.latest_lab("leukocytes") is None
    assert all(lab.provenance.source == "fhir" and lab.provenance.ref.endswith(lab.provenance.ref.split("#")[-1])
               for lab in crc.labs)


def test_performance_status_from_answer_codes_and_integers(crc):
    assert crc.latest_performance("ECOG").value == 1
    assert crc.latest_performance("KARNOFSKY").value == 80


def test_medications_and_procedures(crc):
    therapies = {(t.modality, t.agent, t.agent_class) for t in crc.prior_therapies}
    assert ("drug", "oxaliplatin", "platinum") in therapies
    assert ("drug", "bevacizumab", "vegf_inhibitor") in therapies
    assert ("surgery", "Sigmoid colectomy", None) in therapies
    assert ("ablation", "Radiofrequency ablation of liver lesion", None) in therapies
    oxali = next(t for t in crc.prior_therapies if t.agent == "oxaliplatin")
    assert (oxali.start, oxali.end) == (dt.date(2023, 1, 15), dt.date(2023, 7, 1))
    assert next(t for t in crc.prior_therapies if t.agent == "bevacizumab").current is True


def test_biomarker_observation(crc):
    assert [(b.name, b.status) for b in crc.biomarkers] == [("KRAS", "mutated")]


def test_bad_resources_are_reported_and_skipped(crc):
    messages = " | ".join(f"{p.field}: {p.message}" for p in crc.problems)
    assert "entry[23].resource(Observation).valueQuantity.value" in messages
    assert "leukocytes value -2 is negative" in messages
    assert "grams per cup" in messages
    assert crc.latest_lab("creatinine").value == 97


def test_a_single_resource_is_not_a_bundle(patients):
    with pytest.raises(PatientError, match="expected a FHIR Bundle, found resourceType 'Patient'"):
        load_patient(patients / "not_a_bundle.json")


def test_bundle_with_bad_shell_is_reported_and_its_entries_still_read():
    patient = {"resource": {"resourceType": "Patient", "id": "p", "gender": "female"}}
    facts = from_fhir({"resourceType": "Bundle", "id": "bad_id", "type": "collection", "entry": [patient]})
    assert facts.sex.value == "FEMALE"
    assert [p.field for p in facts.problems] == ["Bundle.id"]
    assert "invalid Bundle field" in facts.problems[0].message


def test_pregnancy_observation():
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Observation", "id": "p", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
                      "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "77386006"}]}}}]}
    assert from_fhir(json.dumps(bundle)).pregnancy.pregnant is True
