"""JSON patient documents: the valid example, every kind of bad input, and the published schema."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from trialscout.patient import PatientError, from_json, load_patient
from trialscout.patient.document import SCHEMA_PATH, json_schema


def test_valid_document(patients):
    f = load_patient(patients / "valid.json")
    assert f.id == "demo-001" and f.as_of == dt.date(2024, 6, 1)
    assert f.sex.value == "FEMALE" and 56 < f.age_years() < 57
    dx = f.diagnoses[0]
    assert (dx.oncotree_code, dx.stage, dx.setting) == ("IDC", "IV", ["metastatic"])
    assert dx.metastatic_sites == ["liver", "bone"]
    assert {(b.name, b.status) for b in f.biomarkers} >= {("HER2", "positive"), ("ER", "negative")}
    anc = f.latest_lab("neutrophils_absolute")
    assert anc.value == 1800 and anc.value_std == pytest.approx(1.8) and anc.unit_std == "10*9/L"
    assert f.latest_lab("hemoglobin").value_std == pytest.approx(11.2)
    assert f.latest_lab("creatinine").value_std == pytest.approx(0.905, abs=0.01)
    assert f.latest_lab("ast").uln == 40
    assert f.latest_performance("ECOG").value == 1
    agents = {(t.agent, t.agent_class, t.modality) for t in f.prior_therapies}
    assert ("docetaxel", "taxane", "drug") in agents and ("trastuzumab emtansine", "anti_her2", "drug") in agents
    assert {t.modality for t in f.prior_therapies} >= {"surgery", "radiotherapy"}
    assert f.pregnancy.pregnant is False and f.pregnancy.postmenopausal is True
    assert [c.key for c in f.comorbidities] == ["hypertension", "heart_failure"]
    assert f.comorbidities[1].nyha_class == 2
    assert {n.key for n in f.negated} == {"brain_metastases", "hiv"}
    assert f.problems == []
    assert all(x.provenance.source == "json" and x.provenance.path for x in f.labs + f.prior_therapies)


def test_impossible_values_are_reported_and_never_used(patients):
    f = load_patient(patients / "impossible.json")
    assert f.age is None and f.performance_status == []
    assert [lab.analyte for lab in f.labs] == ["creatinine"]
    fields = {p.field: p for p in f.problems}
    assert "age" in fields and "430" in fields["age"].message
    assert "labs[0].value" in fields and "negative" in fields["labs[0].value"].message
    assert "labs[2].value" in fields and "range" in fields["labs[2].value"].message
    assert "ECOG 7" in fields["performance_status[0].value"].message
    assert "KARNOFSKY 55" in fields["performance_status[1].value"].message


def test_unknown_unit_is_kept_flagged_not_converted(patients):
    f = load_patient(patients / "impossible.json")
    lab = f.labs[0]
    assert lab.unit == "furlongs/fortnight" and lab.unit_known is False and lab.value_std is None
    assert any(p.severity == "warning" and p.field == "labs[1].value" for p in f.problems)


def test_invalid_json_names_line_and_column(patients):
    with pytest.raises(PatientError, match=r"broken.json: not valid JSON: .* line 2, column \d+"):
        load_patient(patients / "broken.json")


def test_wrong_types_name_every_field(patients):
    with pytest.raises(PatientError) as exc:
        load_patient(patients / "wrong_types.json")
    message = str(exc.value)
    assert "age:" in message and "labs[0].value:" in message and "colour:" in message


@pytest.mark.parametrize("doc", ["[1, 2]", "42", '"text"'])
def test_document_must_be_an_object(doc):
    with pytest.raises(PatientError, match="must be a JSON object"):
        from_json(doc)


def test_unknown_oncotree_code_is_looked_up_from_the_name():
    f = from_json({"diagnoses": [{"name": "pancreatic adenocarcinoma", "oncotree_code": "NOPE"}]})
    assert f.diagnoses[0].oncotree_code == "PAAD"
    assert f.problems[0].field == "diagnoses[0].oncotree_code"


def test_published_schema_matches_the_input_model():
    assert json.loads(SCHEMA_PATH.read_text("utf-8")) == json_schema(), "run python -m trialscout.patient.document"


def test_schema_lists_the_documented_fields():
    props = json_schema()["properties"]
    for name in ("age", "birth_date", "sex", "diagnoses", "biomarkers", "labs", "performance_status",
                 "prior_therapies", "pregnancy", "comorbidities", "negated", "notes", "as_of"):
        assert name in props
