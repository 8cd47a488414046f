"""Free-text notes: the rule files' own examples, a written oncology note, bad notes, and the TREC 2021 topics."""

from __future__ import annotations

import re

import pytest

from trialscout.patient import from_note, load_patient
from trialscout.patient.context import Context
from trialscout.patient.rules import load, regex


def _examples(name: str, key: str):
    for rule in load(name)[key]:
        for example in rule.get("examples", []):
            yield rule, example


@pytest.mark.parametrize(("rule", "example"), list(_examples("context.json", "rules")),
                         ids=lambda x: x["literal"] if isinstance(x, dict) else None)
def test_context_rule_examples(rule, example):
    text, concept, modified = example
    start = text.index(concept)
    cats = Context(text).categories(start, start + len(concept))
    assert (rule["category"] in cats) if modified else not cats


def _pattern_examples():
    p = load("note_patterns.json")
    for section in ("age", "performance", "metastasis"):
        for rule in p[section]:
            for text, expected in rule.get("examples", []):
                yield rule["pattern"], rule.get("flags", "i"), text, expected
    for key in ("stage", "tnm"):
        for text, expected in p[key].get("examples", []):
            yield p[key]["pattern"], p[key].get("flags", "i"), text, expected


@pytest.mark.parametrize(("pattern", "flags", "text", "expected"), list(_pattern_examples()))
def test_note_pattern_examples(pattern, flags, text, expected):
    m = regex(pattern, flags).search(text)
    assert m is not None and m.group(1) == expected


def test_oncology_note(patients):
    f = load_patient(patients / "note_onc.txt")
    assert f.age.years == 58 and f.sex.value == "FEMALE"
    [dx] = f.diagnoses
    assert dx.oncotree_code == "LUAD" and dx.stage == "IVB" and "metastatic" in dx.setting
    assert dx.metastatic_sites == ["liver"]
    bio = {(b.name, b.status) for b in f.biomarkers}
    assert {("EGFR", "mutated"), ("ALK", "negative")} <= bio
    assert next(b for b in f.biomarkers if b.name == "PD-L1").score == 60
    assert {t.agent for t in f.prior_therapies} == {"osimertinib", "carboplatin", "pemetrexed"}
    assert f.latest_performance("ECOG").value == 1
    assert f.latest_lab("platelets").value_std == 210 and f.latest_lab("neutrophils_absolute").value_std == 3.1
    assert {n.key for n in f.negated} >= {"brain_metastases", "hiv", "hbv", "chest_pain"}
    assert f.pregnancy.postmenopausal is True
    lab = f.latest_lab("hemoglobin")
    text = f.notes[0]
    assert text[lab.provenance.span[0]:lab.provenance.span[1]] == lab.provenance.text == "Hgb 11.2 g/dL"


def test_impossible_values_in_a_note_are_problems():
    f = from_note("A 430-year-old man with NSCLC. ECOG 7. Platelets -5 x10^9/L. Hemoglobin 9 g/furlong.")
    assert f.age is None and f.performance_status == [] and [lab.analyte for lab in f.labs] == ["hemoglobin"]
    messages = " | ".join(p.message for p in f.problems)
    assert "age 430" in messages and "ECOG 7" in messages and "platelets value -5" in messages
    assert "g/furlong" in messages


def test_empty_note_gives_empty_facts_and_a_warning(patients):
    f = load_patient(patients / "empty_note.txt")
    assert f.diagnoses == [] and f.problems[0].severity == "warning" and "empty" in f.problems[0].message
    assert from_note("   \n").problems[0].field == "note"


def test_note_in_another_language_gives_a_warning(patients):
    f = load_patient(patients / "spanish_note.txt")
    assert f.diagnoses == [] and f.negated == [] and "English" in f.problems[0].message


@pytest.mark.parametrize("text", ["\x00\x01", "?" * 5000, "ECOG", "stage", "12/12/12 12:12", "negative for"])
def test_odd_notes_never_crash(text):
    from_note(text)


def test_every_trec_2021_topic_parses(trec_facts):
    assert len(trec_facts) == 75
    assert sum(f.age is not None for f in trec_facts.values()) == 75
    assert sum(f.sex is not None for f in trec_facts.values()) >= 73


HAND_CHECKED = {
    # topic: (age, sex, OncoTree codes, comorbidity keys that must be there, negated keys that must be there)
    "1": (45, "MALE", {"ASTR3"}, {"hypertension"}, set()),
    "2": (48, "MALE", set(), {"hypertension", "hyperlipidemia"}, {"coronary_artery_disease"}),
    "4": (44, "FEMALE", {"BL"}, {"pcos", "hypertension"}, set()),
    "5": (74, "MALE", set(), {"coronary_artery_disease", "diabetes_type2"}, {"chest_pain", "dyspnea", "syncope"}),
    "8": (57, "MALE", {"CLLSLL", "DLBCLNOS"}, set(), {"splenomegaly", "cytopenia"}),
    "11": (75, "MALE", {"THPA"}, set(), set()),
    "17": (64, "FEMALE", {"PCM"}, {"amyloidosis", "end_stage_renal_disease"}, set()),
    "21": (57, "MALE", set(), {"alcohol_use", "tobacco_use"}, {"hypersensitivity", "pancreatitis"}),
    "25": (42, "FEMALE", {"IDC"}, set(), {"palpable_mass"}),
    "27": (53, "MALE", set(), {"hcv"}, {"HCC", "esophageal_varices"}),
    "31": (37, "FEMALE", {"CERVIX"}, {"tobacco_use"}, set()),
    "34": (47, "FEMALE", set(), set(), {"tobacco_use", "alcohol_use"}),
    "42": (19, "FEMALE", set(), set(), {"fever", "chest_pain", "dyspnea"}),
    "47": (62, "MALE", set(), {"hypertension", "hyperlipidemia"}, {"dyspnea", "headache", "chest_pain", "syncope"}),
    "61": (45, "FEMALE", {"IDC"}, set(), {"tobacco_use"}),
    "64": (55, "MALE", set(), {"hcv", "hbv"}, {"HCC"}),
    "75": (55, "MALE", set(), {"parkinsons_disease", "hypertension"}, set()),
}


@pytest.mark.parametrize("topic", sorted(HAND_CHECKED, key=int))
def test_hand_checked_topics(trec_facts, topic):
    age, sex, codes, comorbid, negated = HAND_CHECKED[topic]
    f = trec_facts[topic]
    assert f.age.years == age and f.sex.value == sex
    assert {d.oncotree_code for d in f.diagnoses} == codes
    assert comorbid <= {c.key for c in f.comorbidities}
    assert negated <= {n.key for n in f.negated}
    assert not ({n.key for n in f.negated} & {c.key for c in f.comorbidities} & comorbid)


def test_trec_details(trec_facts):
    t11 = trec_facts["11"].diagnoses[0]
    assert "metastatic" in t11.setting and set(t11.metastatic_sites) == {"lymph_node", "adrenal"}
    assert trec_facts["31"].diagnoses[0].stage == "IB"
    assert ("HPV", "positive") in {(b.name, b.status) for b in trec_facts["31"].biomarkers}
    assert "radical hysterectomy" not in {t.agent for t in trec_facts["31"].prior_therapies}  # only offered
    assert {("HER2", "positive"), ("ER", "negative"), ("PR", "negative")} <= {
        (b.name, b.status) for b in trec_facts["25"].biomarkers}
    assert trec_facts["25"].pregnancy.postmenopausal is True and trec_facts["25"].pregnancy.breastfeeding is None
    assert "diabetes_type2" not in {c.key for c in trec_facts["21"].comorbidities}  # family history
    assert "COAD" not in {d.oncotree_code for d in trec_facts["34"].diagnoses}  # the husband's cancer
    assert trec_facts["42"].pregnancy.pregnant is True and trec_facts["42"].pregnancy.gestational_weeks == 32.86
    assert trec_facts["51"].pregnancy.pregnant is True
    assert trec_facts["50"].pregnancy is None and trec_facts["50"].age.years == pytest.approx(5 / 12, abs=0.01)
    assert trec_facts["73"].age.years < 0.01 and trec_facts["73"].sex.value == "FEMALE"
    assert {"temozolomide", "bevacizumab", "irinotecan"} <= {t.agent for t in trec_facts["1"].prior_therapies}
    assert "radiotherapy" in {t.modality for t in trec_facts["1"].prior_therapies}
    assert {"fludarabine", "cyclophosphamide", "rituximab"} <= {t.agent for t in trec_facts["8"].prior_therapies}
    plt = trec_facts["32"].latest_lab("platelets")
    assert plt.value == 110000 and plt.value_std == 110


def test_note_provenance_points_into_the_note(trec_facts):
    for f in trec_facts.values():
        text = f.notes[0]
        for fact in [*f.diagnoses, *f.labs, *f.comorbidities, *f.negated, *f.biomarkers]:
            start, end = fact.provenance.span
            assert text[start:end] == fact.provenance.text
            assert re.sub(r"\W", "", fact.provenance.text)
