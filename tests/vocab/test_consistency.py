"""One vocabulary per concept: what the criteria engine can emit, the patient readers and the matcher know."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trialscout.criteria import parse_criteria
from trialscout.criteria.vocab import table
from trialscout.match import evaluate
from trialscout.patient import load_patient
from trialscout.patient.rules import load as patient_rules
from trialscout.patient.vocab import analyte_of, biomarker_name, drug_index
from trialscout.vocab import _data, analytes, biomarkers, drugs, oncotree
from trialscout.vocab.units import factor

TODAY = dt.date(2025, 1, 1)


def _emitted(category: str) -> set[str]:
    """Canonical names the criteria engine's dictionary can emit for a category."""
    return {e.canon for entries in table().values() for e in entries if e.category == category}


def test_analytes_agree() -> None:
    known = set(analytes.analytes())
    assert _emitted("analyte") == known
    for name in known:
        assert analyte_of(name) == name
        spec = analytes.analyte(name)
        assert spec["unit"] and spec["synonyms"], name
        if spec.get("convert"):
            assert factor(name, spec["unit"]) == 1, name
    assert set(analytes.loinc_index().values()) <= known
    for name in ("platelets", "neutrophils_absolute", "leukocytes", "hemoglobin", "creatinine", "creatinine_clearance",
                 "egfr_renal", "bilirubin_total", "ast", "alt", "alkaline_phosphatase", "albumin", "inr", "ca_125",
                 "lymphocytes_absolute"):
        assert name in known


def test_drug_classes_and_modalities_agree() -> None:
    classes = set(drugs.classes())
    assert _emitted("prior_therapy_class") <= classes
    assert {e.extra for entries in table().values() for e in entries if e.category == "drug" and e.extra} <= classes
    assert {cls for _, cls in drug_index().values() if cls} <= classes
    for spec in drugs.agents().values():
        assert set(spec["classes"]) <= classes
    for agents in drugs.regimens().values():
        assert all(a in drugs.agents() for a in agents)
    record = {"drug", "surgery", "radiotherapy", "ablation", "transplant", "other"}
    assert _emitted("modality") <= set(drugs.modalities()) | {"systemic_therapy"}
    for spec in drugs.modalities().values():
        assert set(spec["satisfied_by"]) <= record and spec.get("record") in record | {None}


def test_biomarkers_agree() -> None:
    markers = set(biomarkers.markers())
    assert _emitted("biomarker") == markers
    assert _emitted("biomarker_status") == set(biomarkers.statuses())
    for name in markers:
        assert biomarker_name(name) == name and biomarkers.canonical_marker(name) == name
    for pair in _data.load("biomarkers.json")["related"]:
        assert set(pair) <= markers
    for pairs in biomarkers.shorthand().values():
        for name, status in pairs:
            assert name in markers and status in biomarkers.statuses()


def test_oncotree_codes_exist() -> None:
    codes = set(oncotree())
    assert set(_data.load("oncotree_phrases.json")["names"].values()) <= codes
    conditions = patient_rules("conditions.json")
    assert {c["code"] for c in conditions["cancers"] if c["code"]} <= codes
    assert set(conditions["icd10_oncotree"].values()) <= codes


NOTE = ("62 year old woman with HER2 amplified breast cancer and brain metastases. Previously treated with "
        "carboplatin. Labs: platelets 100,000/mm3.\n")
CRITERIA = """Inclusion Criteria:
- platelets 100,000/mm3
- HER2 amplified
Exclusion Criteria:
- prior carboplatin
- brain metastases
"""


def _patient(tmp_path: Path):
    f = tmp_path / "note.txt"
    f.write_text(NOTE, "utf-8")
    return load_patient(f)


def test_same_phrase_same_names(tmp_path: Path) -> None:
    facts = _patient(tmp_path)
    found = {c.kind: c for crit in parse_criteria(CRITERIA) for c in crit.constraints}
    lab = next(x for x in facts.labs if x.analyte == "platelets")
    assert (found["lab"].analyte, found["lab"].unit, found["lab"].value) == (lab.analyte, lab.unit_std, lab.value_std)
    bio = next(b for b in facts.biomarkers if b.name == "HER2")
    assert (found["biomarker"].name, found["biomarker"].status) == (bio.name, bio.status) == ("HER2", "amplified")
    therapy = next(t for t in facts.prior_therapies if t.agent == "carboplatin")
    assert (found["prior_therapy"].agent, found["prior_therapy"].agent_class) == (therapy.agent, therapy.agent_class)
    assert found["condition"].metastasis_site == "brain"
    assert any("brain" in d.metastatic_sites for d in facts.diagnoses)


def test_matcher_compares_them(tmp_path: Path) -> None:
    facts = _patient(tmp_path)
    _, results = evaluate(parse_criteria(CRITERIA), CRITERIA, facts, TODAY)
    verdicts = {r.text.strip("- "): r.verdict for r in results}
    assert verdicts == {"platelets 100,000/mm3": "pass", "HER2 amplified": "pass", "prior carboplatin": "fail",
                        "brain metastases": "fail"}, verdicts


def test_comorbidity_keys_agree_both_ways() -> None:
    from trialscout.match.vocab import comorbidity_matches
    from trialscout.patient.vocab import condition_terms
    from trialscout.vocab import comorbidities

    known = set(comorbidities.comorbidities())
    emitted = _emitted("comorbidity")
    patient = {t.key for t in condition_terms().values() if t.category == "comorbidity"}
    assert emitted <= known and patient <= known
    assert "comorbidities" not in patient_rules("conditions.json")
    for key, spec in comorbidities.comorbidities().items():
        assert set(spec.get("includes", [])) <= known, key
        assert comorbidity_matches(key, key, key.replace("_", " ")), key
        for child in comorbidities.descendants(key):
            assert comorbidity_matches(key, child, child), (key, child)
        for alias in spec.get("aliases", []):
            assert comorbidities.canonical(alias) == key
    # the other direction: a parent key on the patient does not satisfy a criterion on a child
    assert not comorbidity_matches("hbv", "hepatitis", "hepatitis")
    assert comorbidity_matches("hepatitis", "hbv", "hepatitis B")
    assert comorbidity_matches("cardiovascular_disease", "heart_failure", "CHF")
    assert not comorbidity_matches("heart_failure", "hypertension", "hypertension")


def test_comorbidity_examples() -> None:
    from trialscout.criteria.extract import find_all
    from trialscout.match.vocab import comorbidity_codes, concept_within

    for text, key in _data.load("comorbidities.json")["examples"]:
        found = find_all(text, "exclusion")
        named = {f.get("name") for f in found if f["kind"] == "comorbidity"}
        # a wider concept around the comorbidity's words ('chronic stable angina') is read as the concept, which
        # must lie within the comorbidity
        codes = list(comorbidity_codes(key))
        narrower = [f for f in found if f["kind"] == "concept" and concept_within(f["codes"], codes)]
        assert key in named or narrower, text


def test_comorbidity_qualifier_examples() -> None:
    from trialscout.criteria.extract import find_all
    from trialscout.match.vocab import narrowing_qualifiers

    for text, key, quals in _data.load("comorbidities.json")["qualifier_examples"]:
        found = [f for f in find_all(text, "exclusion") if f["kind"] == "comorbidity" and f.get("name") == key]
        assert found, text
        assert narrowing_qualifiers(found[0].get("qualifier")) == quals, text


def test_every_drug_class_is_anticancer_or_supportive() -> None:
    from trialscout.vocab import drugs

    supportive = drugs.supportive_classes()
    anticancer = drugs.modality_classes("systemic_therapy") or frozenset()
    assert set(drugs.classes()) == supportive | anticancer and not supportive & anticancer
    for modality in ("chemotherapy", "immunotherapy", "biologic_therapy"):
        assert (drugs.modality_classes(modality) or frozenset()) <= anticancer, modality
    assert "corticosteroid" in supportive and "bisphosphonate" in supportive and "anticoagulant" in supportive
