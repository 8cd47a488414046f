"""Constraint × patient facts → pass / fail / unknown, kind by kind, with polarity and evidence."""

from __future__ import annotations

import datetime as dt

import pytest

from trialscout.match.evaluate import evaluate
from trialscout.model.criteria import Constraint, Criterion
from trialscout.model.patient import (
    Age,
    Biomarker,
    Comorbidity,
    Consent,
    Diagnosis,
    Lab,
    NegatedFinding,
    PatientFacts,
    PerformanceStatus,
    Pregnancy,
    PriorTherapy,
    Provenance,
    Sex,
)

JSON = Provenance(source="json", ref="patient.json", path="x")
NOTE = Provenance(source="note", span=(0, 5), text="note")
TODAY = dt.date(2026, 1, 15)


def crit(kind: str, ctype: str = "inclusion", text: str = "criterion text", **fields: object) -> Criterion:
    c = Constraint(kind=kind, span=(0, len(text)), **fields)
    return Criterion(type=ctype, text=text, span=(0, len(text)), constraints=[c])


def verdict(criterion: Criterion, facts: PatientFacts) -> str:
    _, results = evaluate([criterion], criterion.text, facts, TODAY)
    return results[0].verdict


def patient(prov: Provenance = JSON, **kw: object) -> PatientFacts:
    base: dict = {
        "as_of": TODAY,
        "age": Age(years=62, provenance=prov),
        "sex": Sex(value="FEMALE", provenance=prov),
        "diagnoses": [Diagnosis(name="invasive ductal carcinoma", oncotree_code="IDC", stage="IIIA",
                                setting=["locally_advanced"], provenance=prov)],
        "labs": [
            Lab(analyte="platelets", value=85, unit="10*9/L", value_std=85, unit_std="10*9/L", provenance=prov),
            Lab(analyte="ast", value=90, unit="U/L", value_std=90, unit_std="U/L", uln=40, provenance=prov),
        ],
        "performance_status": [PerformanceStatus(scale="ECOG", value=1, provenance=prov)],
    }
    base.update(kw)
    return PatientFacts(**base)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"min_years": 18}, "pass"), ({"min_years": 18, "max_years": 60}, "fail"), ({"max_years": 75}, "pass")])
def test_age(fields: dict, expected: str) -> None:
    assert verdict(crit("age", **fields), patient()) == expected
    assert verdict(crit("age", **fields), patient(age=None)) == "unknown"


def test_sex_and_polarity_of_exclusions() -> None:
    assert verdict(crit("sex", sex="FEMALE"), patient()) == "pass"
    assert verdict(crit("sex", sex="MALE"), patient()) == "fail"
    assert verdict(crit("sex", sex="FEMALE"), patient(sex=None)) == "unknown"


def test_performance_status_same_and_converted_scales() -> None:
    assert verdict(crit("performance_status", scale="ECOG", op="<=", value=1), patient()) == "pass"
    assert verdict(crit("performance_status", scale="ECOG", op="<=", value=0), patient()) == "fail"
    kps = patient(performance_status=[PerformanceStatus(scale="KARNOFSKY", value=60, provenance=JSON)])
    assert verdict(crit("performance_status", scale="ECOG", op="<=", value=1), kps) == "fail"  # KPS 60 ≈ ECOG 2
    assert verdict(crit("performance_status", scale="KARNOFSKY", op=">=", value=70), patient()) == "pass"
    assert verdict(crit("performance_status", scale="KARNOFSKY", op=">=", value=80), patient()) == "unknown"


def test_lab_threshold_in_canonical_units_and_uln_multiples() -> None:
    assert verdict(crit("lab", analyte="platelets", op=">=", value=100, unit="10*9/L"), patient()) == "fail"
    assert verdict(crit("lab", analyte="platelets", op=">=", value=75, unit="10*9/L"), patient()) == "pass"
    assert verdict(crit("lab", analyte="hemoglobin", op=">=", value=9, unit="g/dL"), patient()) == "unknown"
    assert verdict(crit("lab", analyte="ast", op="<=", uln_multiple=2.5), patient()) == "pass"   # 90 <= 100
    assert verdict(crit("lab", analyte="ast", op="<=", uln_multiple=2.0), patient()) == "fail"   # 90 > 80
    unknown_unit = patient(labs=[Lab(analyte="platelets", value=85, unit="furlongs", unit_known=False,
                                     provenance=JSON)])
    assert verdict(crit("lab", analyte="platelets", op=">=", value=75, unit="10*9/L"), unknown_unit) == "unknown"


def test_liver_metastases_limit_replaces_the_general_one_only_when_present() -> None:
    text = "AST <= 1.5 x ULN (<= 5 x ULN with liver metastases)"
    general = Constraint(kind="lab", span=(0, 15), analyte="ast", op="<=", uln_multiple=1.5)
    liver = Constraint(kind="lab", span=(16, len(text)), analyte="ast", op="<=", uln_multiple=5,
                       applies_if="liver_metastases")
    c = Criterion(type="inclusion", text=text, span=(0, len(text)), constraints=[general, liver])
    assert evaluate([c], text, patient(), TODAY)[1][0].verdict == "fail"
    with_liver = patient(diagnoses=[Diagnosis(name="breast cancer", oncotree_code="BRCA",
                                              metastatic_sites=["liver"], provenance=JSON)])
    assert evaluate([c], text, with_liver, TODAY)[1][0].verdict == "pass"


def test_condition_codes_follow_the_oncotree() -> None:
    assert verdict(crit("condition", code="BRCA"), patient()) == "pass"       # IDC is within BRCA
    assert verdict(crit("condition", code="NSCLC"), patient()) == "fail"
    broad = patient(diagnoses=[Diagnosis(name="breast cancer", oncotree_code="BRCA", provenance=JSON)])
    assert verdict(crit("condition", code="IDC"), broad) == "unknown"       # subtype not known
    assert verdict(crit("condition", code="BRCA"), patient(diagnoses=[])) == "unknown"
    assert verdict(crit("condition", stage=["III"]), patient()) == "pass"
    assert verdict(crit("condition", stage=["IV"]), patient()) == "fail"
    assert verdict(crit("condition", setting=["metastatic"]), patient()) == "fail"


def test_or_alternatives_in_an_inclusion_need_one_match() -> None:
    text = "Breast or ovarian cancer"
    c = Criterion(type="inclusion", text=text, span=(0, len(text)), constraints=[
        Constraint(kind="condition", span=(0, 6), code="BRCA"),
        Constraint(kind="condition", span=(10, 24), code="OVARY")])
    assert evaluate([c], text, patient(), TODAY)[1][0].verdict == "pass"


def test_exclusion_brain_metastases_structured_vs_note() -> None:
    c = crit("condition", ctype="exclusion", text="Known brain metastases", metastasis_site="brain")
    assert verdict(c, patient()) == "pass"  # structured record lists sites completely: none in the brain
    assert verdict(c, patient(prov=NOTE)) == "unknown"  # a note that does not mention them
    denied = patient(prov=NOTE, negated=[NegatedFinding(name="brain metastases", key="brain_metastases",
                                                        kind="condition", provenance=NOTE)])
    assert verdict(c, denied) == "pass"
    with_brain = patient(diagnoses=[Diagnosis(name="lung adenocarcinoma", oncotree_code="LUAD",
                                              metastatic_sites=["brain"], provenance=JSON)])
    assert verdict(c, with_brain) == "fail"


def test_negated_inclusion_statement() -> None:
    c = crit("condition", text="No brain metastases", metastasis_site="brain", negated=True)
    assert verdict(c, patient()) == "pass"


def test_biomarkers() -> None:
    her2 = patient(biomarkers=[Biomarker(name="ERBB2", status="amplified", provenance=JSON)])
    assert verdict(crit("biomarker", name="HER2", status="positive"), her2) == "pass"
    assert verdict(crit("biomarker", name="HER2", status="negative"), her2) == "fail"
    assert verdict(crit("biomarker", name="EGFR", status="mutated"), her2) == "unknown"
    pdl1 = patient(biomarkers=[Biomarker(name="PD-L1", score=60, score_type="TPS", provenance=JSON)])
    assert verdict(crit("biomarker", name="PD-L1", status="positive", op=">=", value=50), pdl1) == "pass"


def test_prior_therapy_classes_and_windows() -> None:
    chemo = patient(prior_therapies=[
        PriorTherapy(modality="drug", agent="carboplatin", end=TODAY - dt.timedelta(days=20), provenance=JSON)])
    assert verdict(crit("prior_therapy", ctype="exclusion", agent_class="platinum"), chemo) == "fail"
    within_4w = crit("prior_therapy", ctype="exclusion", modality="chemotherapy", window_op="<=", window_days=28)
    assert verdict(within_4w, chemo) == "fail"
    long_ago = patient(prior_therapies=[
        PriorTherapy(modality="drug", agent="carboplatin", end=TODAY - dt.timedelta(days=200), provenance=JSON)])
    assert verdict(within_4w, long_ago) == "pass"
    assert verdict(crit("prior_therapy", ctype="exclusion", agent_class="taxane"), chemo) == "pass"
    assert verdict(crit("prior_therapy", ctype="exclusion", agent_class="taxane"), patient(prov=NOTE)) == "unknown"


def test_comorbidity_pregnancy_and_hypothetical() -> None:
    hiv = patient(comorbidities=[Comorbidity(name="HIV infection", key="hiv", provenance=JSON)])
    assert verdict(crit("comorbidity", ctype="exclusion", name="hiv"), hiv) == "fail"
    assert verdict(crit("comorbidity", ctype="exclusion", name="hcv"), hiv) == "pass"
    mi = patient(comorbidities=[Comorbidity(name="myocardial infarction", key="myocardial_infarction",
                                            date=TODAY - dt.timedelta(days=400), provenance=JSON)])
    assert verdict(crit("comorbidity", ctype="exclusion", name="myocardial_infarction", within_months=6), mi) \
        == "pass"
    # 62: past childbearing age; 35 and unstated: presumed not pregnant (default policy), unknown (strict)
    assert verdict(crit("pregnancy", ctype="exclusion", status="pregnant"), patient()) == "not_applicable"
    young = patient(age=Age(years=35, provenance=JSON))
    assert verdict(crit("pregnancy", ctype="exclusion", status="pregnant"), young) == "pass"
    _, strict = evaluate([crit("pregnancy", ctype="exclusion", status="pregnant")], "criterion text", young, TODAY,
                         "strict")
    assert strict[0].verdict == "unknown"
    pregnant = patient(age=Age(years=35, provenance=JSON), pregnancy=Pregnancy(pregnant=True, provenance=JSON))
    assert verdict(crit("pregnancy", ctype="exclusion", status="pregnant"), pregnant) == "fail"
    male = patient(sex=Sex(value="MALE", provenance=JSON))
    assert verdict(crit("pregnancy", ctype="exclusion", status="breastfeeding"), male) == "not_applicable"
    hypothetical = crit("sex", sex="MALE", hypothetical=True)
    assert verdict(hypothetical, patient()) == "unknown"


def test_trial_verdicts_and_ordering_with_evidence() -> None:
    text = "Age >= 18. Platelets >= 100. ECOG <= 1. Signed consent."
    cs = [
        Criterion(type="inclusion", text="Age >= 18.", span=(0, 10),
                  constraints=[Constraint(kind="age", span=(0, 9), min_years=18)]),
        Criterion(type="inclusion", text="Platelets >= 100.", span=(11, 28),
                  constraints=[Constraint(kind="lab", span=(11, 27), analyte="platelets", op=">=", value=100,
                                          unit="10*9/L")]),
        Criterion(type="inclusion", text="ECOG <= 1.", span=(29, 39),
                  constraints=[Constraint(kind="performance_status", span=(29, 38), scale="ECOG", op="<=",
                                          value=1)]),
        Criterion(type="inclusion", text="Signed consent.", span=(40, 55),
                  constraints=[Constraint(kind="consent_or_compliance", span=(40, 54), aspect="consent")]),
    ]
    eligibility, results = evaluate(cs, text, patient(), TODAY)
    assert eligibility == "ineligible"
    assert [r.verdict for r in results][:1] == ["fail"] and results[0].text == "Platelets >= 100."
    ev = results[0].evidence[0]
    assert ev.fact == "platelets 85 10*9/L" and ev.criterion_text == "Platelets >= 100" and ev.source["ref"]
    consent = next(r for r in results if r.text == "Signed consent.")
    # the record does not say: consent is presumed (a refusal is what it would say), a point to confirm
    assert consent.verdict == "pass" and consent.presumed and "consent" in (consent.question or "")
    fine = patient(labs=[Lab(analyte="platelets", value=150, unit="10*9/L", value_std=150, unit_std="10*9/L",
                             provenance=JSON)])
    assert evaluate(cs, text, fine, TODAY)[0] == "eligible"
    assert evaluate(cs, text, fine, TODAY, "strict")[0] == "uncertain"  # strict: every criterion must be known
    fine.consent = Consent(consent=True, provenance=JSON)
    assert evaluate(cs, text, fine, TODAY, "strict")[0] == "eligible"
    no_ps = patient(performance_status=[], labs=fine.labs)
    eligibility, results = evaluate(cs, text, no_ps, TODAY)
    assert eligibility == "uncertain" and results[0].verdict == "unknown" and results[0].question


def test_setting_words_fail_only_on_contrary_evidence() -> None:
    astro = patient(diagnoses=[Diagnosis(name="anaplastic astrocytoma", oncotree_code="ASTR", provenance=NOTE)])
    confirmed = crit("condition", code="ASTR", setting=["histologically_confirmed"])
    assert verdict(confirmed, astro) == "pass"                    # how it was confirmed is no patient state
    only = evaluate([crit("condition", setting=["histologically_confirmed"])], "criterion text", astro, TODAY)[1]
    assert not only[0].computable
    assert verdict(crit("condition", setting=["recurrent"]), astro) == "unknown"      # absent word: unknown
    new = patient(diagnoses=[Diagnosis(name="myeloma", setting=["newly_diagnosed"], provenance=JSON)])
    assert verdict(crit("condition", setting=["recurrent"]), new) == "fail"
    relapsed = patient(diagnoses=[Diagnosis(name="myeloma", setting=["relapsed"], provenance=JSON)])
    assert verdict(crit("condition", setting=["recurrent"]), relapsed) == "pass"
    assert verdict(crit("condition", setting=["high_risk"]), relapsed) == "unknown"


def test_setting_examples() -> None:
    from trialscout.match.vocab import _rules, setting_holds

    for wanted, have, expected in _rules()["condition_settings"]["examples"]:
        assert setting_holds(wanted, set(have)) is expected, (wanted, have)


def test_qualified_comorbidity_needs_the_same_qualifier() -> None:
    plain = patient(NOTE, comorbidities=[Comorbidity(name="hypertension", key="hypertension", provenance=NOTE)])
    no_uncontrolled = crit("comorbidity", text="No uncontrolled hypertension", name="hypertension", negated=True,
                           qualifier=["uncontrolled"])
    assert verdict(no_uncontrolled, plain) == "unknown"
    excluded = crit("comorbidity", "exclusion", name="hypertension", qualifier=["uncontrolled"])
    assert verdict(excluded, plain) == "unknown"
    bad = patient(NOTE, comorbidities=[Comorbidity(name="poorly controlled hypertension", key="hypertension",
                                                   provenance=NOTE)])
    assert verdict(no_uncontrolled, bad) == "fail"
    assert verdict(crit("comorbidity", "exclusion", name="hypertension", qualifier=["known"]), plain) == "fail"


def test_undated_comorbidity_leaves_a_time_window_unknown() -> None:
    mi = patient(NOTE, comorbidities=[Comorbidity(name="MI", key="myocardial_infarction", provenance=NOTE)])
    assert verdict(crit("comorbidity", "exclusion", name="myocardial_infarction", within_months=6), mi) == "unknown"


@pytest.mark.parametrize(("modality", "agent", "cls", "expected"), [
    ("chemotherapy", "prednisone", "corticosteroid", "pass"),
    ("immunotherapy", "prednisone", "corticosteroid", "pass"),
    ("systemic_therapy", "warfarin", "anticoagulant", "pass"),
    ("systemic_therapy", "zoledronic acid", "bisphosphonate", "pass"),
    ("chemotherapy", "temozolomide", "alkylating_agent", "fail"),
    ("immunotherapy", "pembrolizumab", "immune_checkpoint_inhibitor", "fail"),
    ("systemic_therapy", "tamoxifen", "endocrine_therapy", "fail"),
    ("chemotherapy", None, None, "fail"),                 # "received chemotherapy", no drug named
    ("immunotherapy", None, None, "unknown"),
    ("chemotherapy", "xyz-123", None, "unknown"),         # a drug we do not know
])
def test_supportive_drugs_are_no_anticancer_therapy(modality: str, agent: str | None, cls: str | None,
                                                     expected: str) -> None:
    facts = patient(prior_therapies=[PriorTherapy(modality="drug", agent=agent, agent_class=cls, provenance=JSON)])
    assert verdict(crit("prior_therapy", name=None, modality=modality, negated=True), facts) == expected


def test_comma_list_ending_in_or_is_a_choice() -> None:
    text = "Diagnosis of acute myeloid leukemia, multiple myeloma, lymphoma, or myelodysplasia"
    lab_text = "Platelets at least 100,000/mm3, hemoglobin at least 9 g/dL and creatinine normal or clearance 60"

    def c(kind: str, words: str, t: str, **f: object) -> Constraint:
        start = t.index(words)
        return Constraint(kind=kind, span=(start, start + len(words)), **f)

    crits = Criterion(type="inclusion", text=text, span=(0, len(text)), constraints=[
        c("condition", "acute myeloid leukemia", text, code="AML"),
        c("condition", "multiple myeloma", text, code="PCM"),
        c("condition", "lymphoma", text, code="LYMPH"), c("condition", "myelodysplasia", text, code="MDS")])
    mm = patient(diagnoses=[Diagnosis(name="multiple myeloma", oncotree_code="PCM", provenance=JSON)])
    assert evaluate([crits], text, mm, TODAY)[1][0].verdict == "pass"
    labs = Criterion(type="inclusion", text=lab_text, span=(0, len(lab_text)), constraints=[
        c("lab", "Platelets at least 100,000/mm3", lab_text, analyte="platelets", op=">=", value=100.0,
          unit="10*9/L"),
        c("lab", "hemoglobin at least 9 g/dL", lab_text, analyte="hemoglobin", op=">=", value=9.0, unit="g/dL")])
    assert evaluate([labs], lab_text, patient(), TODAY)[1][0].verdict == "fail"      # platelets 85: a comma is "and"


def test_therapy_response_examples() -> None:
    from trialscout.match.vocab import _rules, response_contradicts

    for wanted, recorded, expected in _rules()["therapy_response"]["examples"]:
        assert response_contradicts(wanted, recorded) is (expected is False), (wanted, recorded)
