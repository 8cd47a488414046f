"""Alternatives: a lead-in ('One of the following diagnoses:') and its sub-bullets settle together — one met is
enough in an inclusion, one holding excludes in an exclusion or under 'No history of any of the following:'.
Texts are real criteria from the bundled sample (src/trialscout/data/sample-oncology.zip)."""

from __future__ import annotations

import datetime as dt

from trialscout.criteria import criteria_contract, parse_criteria
from trialscout.match.evaluate import evaluate
from trialscout.model.match import CriterionResult
from trialscout.model.patient import Age, Comorbidity, Diagnosis, Lab, PatientFacts, PriorTherapy, Provenance, Sex

JSON = Provenance(source="json", ref="patient.json", path="x")
TODAY = dt.date(2026, 1, 15)

# NCT00002520 (smoking cessation in cancer survivors): the disease is one of three diagnoses.
DIAGNOSES = ("DISEASE CHARACTERISTICS:\n\n  -  One of the following diagnoses:\n\n"
             "       -  Stage I or II bladder, colorectal, head and neck, lung, or other cancer\n\n"
             "       -  Stage I-III testicular cancer\n\n"
             "       -  Stage I-IV breast cancer, prostate cancer, or lymphoma\n\n"
             "  -  Must have smoked 1 or more cigarettes within the past month or define self as a smoker\n")
# The same lead-in with the alternatives it reads in full.
SYSTEMIC_ALTERNATIVES = ("DISEASE CHARACTERISTICS:\n\n  -  One of the following diagnoses:\n\n"
                         "       -  Stage I-III testicular cancer\n\n"
                         "       -  Stage I-IV breast cancer, prostate cancer, or lymphoma\n")
# NCT00002472: a CNS germ cell tumour of one of six subtypes (two of which no vocabulary names).
SUBTYPES = ("DISEASE CHARACTERISTICS:\n\n  -  Histologically proven CNS germ cell tumor of 1 of the following subtypes:"
            "\n\n       -  CNS germinoma\n\n       -  Immature teratoma\n\n       -  Embryonal cell carcinoma\n\n"
            "       -  Yolk sac tumor\n\n       -  Endodermal sinus tumor\n\n       -  Choriocarcinoma OR\n\n"
            "  -  Evaluable CT or MRI of brain and/or spinal cord required\n")
# NCT00492999: an inclusion that is an exclusion in disguise ("No history of ..., including any of the following").
SYSTEMIC = ("PATIENT CHARACTERISTICS:\n\n  -  No bleeding diathesis or coagulopathy\n\n"
            "  -  No history of serious systemic disease, including any of the following:\n\n"
            "       -  Myocardial infarction within the past 6 months\n\n"
            "       -  Unstable angina\n\n"
            "       -  New York Heart Association class II-IV congestive heart failure\n")
# NCT00000681: an exclusion group.
EXCLUDED = ("Exclusion Criteria\n\nPatients may not have any of the following diseases or symptoms:\n\n"
            "  -  Symptomatic sensory or motor neuropathy.\n\n"
            "  -  History of myocardial infarction or significant arrhythmias.\n")
# NCT00001703: an exclusion listing its alternatives inline.
# NCT00002529: the surgery, one of two kinds, in the same (run-together PDQ) criterion.
INLINE = ("DISEASE CHARACTERISTICS: Potentially curative resection within 6 weeks of entry by one of the following: "
          "Total mastectomy with negative margins Breast-conserving procedure (lumpectomy or quadrantectomy) for "
          "tumors less than 5 cm\n")
INLINE_EXCLUSION = ("Exclusion Criteria:\n\n  -  Any condition that does not fit with the inclusion criteria.\n\n"
                    "  -  Any of the following: White blood cells (WBC) less than 2000/mm(3); Platelets less\n"
                    "     than 100K/mm\n")


def patient(*diagnoses: Diagnosis, comorbidities: list[Comorbidity] | None = None) -> PatientFacts:
    return PatientFacts(as_of=TODAY, age=Age(years=40, provenance=JSON), sex=Sex(value="MALE", provenance=JSON),
                        diagnoses=list(diagnoses), comorbidities=comorbidities or [])


def dx(name: str, code: str, stage: str | None = None) -> Diagnosis:
    return Diagnosis(name=name, oncotree_code=code, stage=stage, provenance=JSON)


def run(text: str, facts: PatientFacts) -> tuple[str, dict[str, CriterionResult]]:
    eligibility, results = evaluate(parse_criteria(text), text, facts, TODAY)
    return eligibility, {r.text: r for r in results}


def test_a_lead_in_with_a_cue_marks_its_sub_items_as_alternatives() -> None:
    crit = parse_criteria(DIAGNOSES)
    assert crit[0].group == "any_of" and [c.parent for c in crit[1:4]] == [0, 0, 0]
    assert crit[4].parent is None and crit[4].group is None
    contract = criteria_contract(DIAGNOSES)
    assert contract[0]["group"] == "any_of" and contract[1]["parent"] == 0
    assert "group" not in contract[4] and "parent" not in contract[4]
    assert parse_criteria(SYSTEMIC)[1].group == "none_of"
    assert parse_criteria(EXCLUDED)[0].group == "any_of"


def test_one_alternative_met_is_enough() -> None:
    eligibility, by_text = run(DIAGNOSES, patient(dx("testicular cancer", "TESTIS", "II")))
    lead = by_text["One of the following diagnoses:"]
    assert lead.verdict == "pass" and lead.computable
    assert lead.group is not None and lead.group.verdict == "pass"
    assert "Stage I-III testicular cancer" in lead.group.reason
    assert any("alternative 'Stage I-III testicular cancer'" in e.reason for e in lead.evidence)
    other = by_text["Stage I-IV breast cancer, prostate cancer, or lymphoma"]
    assert other.verdict == "fail" and other.alternative_of == 0  # its own verdict stays its own
    assert eligibility != "ineligible"


def test_every_alternative_failing_fails() -> None:
    eligibility, by_text = run(SYSTEMIC_ALTERNATIVES, patient(dx("testicular cancer", "TESTIS", "IV")))
    lead = by_text["One of the following diagnoses:"]
    assert lead.verdict == "fail" and lead.group is not None and lead.group.decided_by is None
    assert "none of the 2 alternatives" in lead.group.reason
    assert eligibility == "ineligible"


def test_an_alternative_not_fully_read_never_fails_the_group() -> None:
    """'head and neck' is not understood in the first alternative: it cannot fail, so neither can the group."""
    eligibility, by_text = run(DIAGNOSES, patient(dx("testicular cancer", "TESTIS", "IV")))
    first = by_text["Stage I or II bladder, colorectal, head and neck, lung, or other cancer"]
    assert first.verdict == "unknown" and {"head", "neck"} <= set(first.unread)
    assert by_text["One of the following diagnoses:"].verdict == "unknown" and eligibility == "uncertain"


def test_an_unknown_alternative_leaves_the_group_unknown() -> None:
    eligibility, by_text = run(SUBTYPES, patient(dx("mixed germ cell tumor", "MGCT")))
    lead = next(r for t, r in by_text.items() if t.startswith("CNS germ cell tumor of 1 of the following"))
    assert lead.verdict == "unknown" and lead.question
    assert "Embryonal cell carcinoma" in (lead.group.reason if lead.group else "")
    assert eligibility == "uncertain"


def test_a_negated_inclusion_lead_in_excludes_on_any_sub_item() -> None:
    healthy = patient(dx("colorectal cancer", "COADREAD"), comorbidities=[])
    _, by_text = run(SYSTEMIC, healthy)
    lead = by_text["No history of serious systemic disease, including any of the following:"]
    assert by_text["Unstable angina"].verdict == "pass"  # read as "no unstable angina", not "must have"
    assert lead.group is not None and lead.group.kind == "none_of" and lead.group.verdict == "pass"
    mi = Comorbidity(name="myocardial infarction", key="myocardial_infarction", date=dt.date(2025, 11, 1),
                     provenance=JSON)
    eligibility, by_text = run(SYSTEMIC, patient(dx("colorectal cancer", "COADREAD"), comorbidities=[mi]))
    lead = by_text["No history of serious systemic disease, including any of the following:"]
    assert lead.verdict == "fail" and eligibility == "ineligible"
    assert lead.group is not None and "Myocardial infarction within the past 6 months" in lead.group.reason


def test_an_exclusion_group_excludes_on_any_sub_item() -> None:
    mi = Comorbidity(name="myocardial infarction", key="myocardial_infarction", provenance=JSON)
    eligibility, by_text = run(EXCLUDED, patient(dx("Kaposi sarcoma", "KS"), comorbidities=[mi]))
    lead = by_text["Patients may not have any of the following diseases or symptoms:"]
    assert lead.verdict == "fail" and eligibility == "ineligible"
    assert by_text["Symptomatic sensory or motor neuropathy."].alternative_of == lead.index


def surgery(days_ago: int) -> PriorTherapy:
    return PriorTherapy(modality="surgery", agent="left mastectomy with axillary clearance",
                        start=TODAY - dt.timedelta(days=days_ago), provenance=JSON)


def test_inline_alternatives_need_one() -> None:
    (crit,) = parse_criteria(INLINE)
    assert crit.group == "any_of"
    facts = patient(dx("breast cancer", "BRCA"))
    facts.prior_therapies.append(surgery(31))
    (result,) = evaluate([crit], INLINE, facts, TODAY)[1]
    assert result.verdict == "pass"  # the mastectomy settles it; the tumour size of the other choice is not asked
    assert any(e.reason.startswith("alternative met") for e in result.evidence)
    late = patient(dx("breast cancer", "BRCA"))
    late.prior_therapies.append(surgery(120))
    (result,) = evaluate([crit], INLINE, late, TODAY)[1]
    # the words before the colon still bind (a resection within 6 weeks) and the resection is too old, but the
    # criterion has words nothing understood ('potentially curative', 'negative margins'): no fail, a question
    assert result.verdict == "unknown" and "curative" in result.unread
    assert any(e.verdict == "fail" for e in result.evidence) and "not fully understood" in (result.question or "")


def lab(analyte: str, value: float) -> Lab:
    return Lab(analyte=analyte, value=value, unit="10*9/L", value_std=value, unit_std="10*9/L", provenance=JSON)


def test_inline_exclusion_excludes_on_any_alternative() -> None:
    low = patient(dx("melanoma", "MEL"))
    low.labs += [lab("leukocytes", 1.5), lab("platelets", 250)]
    _, by_text = run(INLINE_EXCLUSION, low)
    listed = next(r for t, r in by_text.items() if t.startswith("Any of the following"))
    assert listed.verdict == "fail"
    normal = patient(dx("melanoma", "MEL"))
    normal.labs += [lab("leukocytes", 6.0), lab("platelets", 250)]
    _, by_text = run(INLINE_EXCLUSION, normal)
    assert next(r for t, r in by_text.items() if t.startswith("Any of the following")).verdict == "pass"


def test_failing_alternatives_of_a_passing_group_are_listed_with_it() -> None:
    _, results = evaluate(parse_criteria(DIAGNOSES), DIAGNOSES, patient(dx("testicular cancer", "TESTIS", "II")),
                          TODAY)
    order = [r.index for r in results if r.index in (0, 1, 2, 3)]
    assert order == [0, 1, 2, 3]


def test_an_unspecified_organ_neoplasm_admits_that_organs_cancers() -> None:
    # NCT00001250: "an invasive primary breast neoplasm" is coded Breast Neoplasm, NOS; an IDC patient is in it
    from trialscout.match.facts import _diagnosis_code
    from trialscout.vocab import criterion_scope

    assert criterion_scope("BNNOS") == "BREAST" and criterion_scope("DLBCLNOS") == "DLBCLNOS"
    facts = PatientFacts(diagnoses=[Diagnosis(name="invasive ductal carcinoma of the breast", oncotree_code="IDC",
                                              provenance=JSON)])
    assert _diagnosis_code("BNNOS", facts).holds is True
    lung = PatientFacts(diagnoses=[Diagnosis(name="lung adenocarcinoma", oncotree_code="LUAD", provenance=JSON)])
    assert _diagnosis_code("BNNOS", lung).holds is False
