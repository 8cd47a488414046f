"""Splitting: bullets, numbering, nesting, inline run-together (seed 001), one-line numbering (seed 003), headings."""

from __future__ import annotations

from trialscout.criteria import parse_criteria, split_criteria

SEED_001 = (
    "Inclusion Criteria: - Histologically proven primary high-risk Retroperitoneal sarcoma(RPS). - Primary "
    "localized RPS without histories of surgical resection, chemo- or radio-therapy, targeted therapy. - Without "
    "histories of second malignant tumors. - In DDLPS - Diagnosis should be confirmed based on MDM2 expression on "
    "IHC, while MDM2 amplification in the Fish test is highly recommended. - Tumor size =10cm - American Society of "
    "Anesthesiologist (ASA) =3 - Fully understand the informs and consent to participate in the study. "
    "Exclusion Criteria: - Sarcoma confirmed originating from the GI tract, uterus, or urinal tract. - Female "
    "patients who are pregnant or breastfeeding. - Patients with psychological conditions"
)
SEED_003 = (
    "Inclusion Criteria: 1. Patients with colorectal cancer whose primary lesions have been resected; 2. Multiple "
    "confined lesions in the liver; 3. The liver contains at least 2 lesions suitable for radiofrequency ablation; "
    "4. The maximum diameter of the intrahepatic tumor is <5 cm; 5. Male or female at least 18 years of age; "
    "Exclusion Criteria: 1. Pregnancy or lactation. 2. Platelet count <50, 000/mm3, absolute neutrophil count "
    "<1500/mm3, or hemoglobin value <10.0 g/dL; 3. Serum creatinine ≥ 2.5 mg/dL"
)


def _texts(text: str) -> list[tuple[str, str]]:
    return [(t, s) for t, _, _, s in split_criteria(text)]


def test_inline_run_together_seed_001() -> None:
    got = _texts(SEED_001)
    assert ("inclusion", "Tumor size =10cm") in got
    assert all(s != "In DDLPS" for _, s in got)  # a conditional sub-heading is no criterion
    assert ("inclusion", "American Society of Anesthesiologist (ASA) =3") in got
    assert ("exclusion", "Patients with psychological conditions") in got
    assert sum(1 for t, _ in got if t == "exclusion") == 3
    assert all(not s.startswith("-") for _, s in got)


def test_one_line_numbering_seed_003() -> None:
    got = _texts(SEED_003)
    assert got[0] == ("inclusion", "Patients with colorectal cancer whose primary lesions have been resected")
    assert ("inclusion", "The maximum diameter of the intrahepatic tumor is <5 cm") in got
    exc = [s for t, s in got if t == "exclusion"]
    assert exc[0].startswith("Pregnancy or lactation") and exc[-1] == "Serum creatinine ≥ 2.5 mg/dL"
    assert any("10.0 g/dL" in s for s in exc)  # '10.0' is not a list number


def test_bullets_and_nesting() -> None:
    text = ("Inclusion Criteria:\n\n  - Adequate organ function:\n\n      - ANC ≥ 1.5 x 10^9/L\n\n"
            "      - Platelets ≥ 100 x 10^9/L\n\n  • ECOG 0-1\n\n  * Age ≥ 18\n\nExclusion Criteria\n\n"
            "  1. Pregnant\n  2) Brain metastases\n     a. untreated\n  3. HIV")
    crit = parse_criteria(text)
    texts = [c.text for c in crit]
    assert texts[:5] == ["Adequate organ function:", "ANC ≥ 1.5 x 10^9/L", "Platelets ≥ 100 x 10^9/L",
                         "ECOG 0-1", "Age ≥ 18"]
    assert crit[1].parent == 0 and crit[2].parent == 0 and crit[1].level == 1 and crit[3].parent is None
    assert [c.type for c in crit[5:]] == ["exclusion"] * 4
    assert crit[7].text == "untreated" and crit[7].parent == 6


def test_heading_spellings() -> None:
    for head, typ in [("Inclusion Criteria:", "inclusion"), ("Key Inclusion Criteria", "inclusion"),
                      ("INCLUSION:", "inclusion"), ("Exclusion Criteria", "exclusion"),
                      ("EXCLUSION CRITERIA:", "exclusion"), ("Key Exclusion Criteria:", "exclusion")]:
        crit = parse_criteria(f"{head}\n\n- Age 18 or older\n")
        assert [(c.type, c.text) for c in crit] == [(typ, "Age 18 or older")], head


def test_no_headings_defaults_to_inclusion() -> None:
    crit = parse_criteria("- Age ≥ 18 years\n- ECOG 0-1")
    assert [c.type for c in crit] == ["inclusion", "inclusion"]


def test_notes_and_headings_are_not_criteria() -> None:
    text = "Inclusion Criteria:\n\nDisease characteristics:\n\n- Breast cancer\n\nNote: labs within 14 days\n"
    crit = parse_criteria(text)
    assert [c.text for c in crit] == ["Breast cancer"]
    assert crit[0].section == "Disease characteristics"


def test_pdq_layout_run_together() -> None:
    text = ("PATIENT CHARACTERISTICS: Age: 18 and over Performance status: ECOG 0-1 Life expectancy: At least 3 "
            "months Hematopoietic: Absolute neutrophil count at least 1,500/mm3 Platelet count at least 100,000/mm3 "
            "Hepatic: Bilirubin no greater than 1.5 mg/dL Surgery: Not specified")
    crit = parse_criteria(text)
    assert [c.text for c in crit] == ["18 and over", "ECOG 0-1", "At least 3 months",
                                      "Absolute neutrophil count at least 1,500/mm3",
                                      "Platelet count at least 100,000/mm3", "Bilirubin no greater than 1.5 mg/dL"]
    kinds = [[k.kind for k in c.constraints] for c in crit]
    assert kinds[0] == ["age"] and kinds[1] == ["performance_status"] and kinds[2] == ["life_expectancy"]


def test_lost_ge_le_equals_sign() -> None:
    crit = parse_criteria("Inclusion Criteria: - Tumor size =10cm - ECOG =1 - Platelets =100,000/mm3")
    ps = crit[1].constraints[0]
    assert (ps.op, ps.value, ps.op_inferred) == ("<=", 1.0, True)
    plt = crit[2].constraints[0]
    assert (plt.analyte, plt.op, plt.value, plt.op_inferred) == ("platelets", ">=", 100.0, True)
    size = crit[0].constraints[0]
    assert (size.size_op, size.size_cm, size.op_inferred) == (">=", 10.0, True)


def test_spans_point_into_the_original() -> None:
    text = "Inclusion Criteria:\r\n\r\n  -  Age\u00a0≥\u00a018 years\r\n\r\n  -  ANC ≥ 1.5 × 10⁹/L"
    for c in parse_criteria(text):
        assert " ".join(text[c.span[0]:c.span[1]].split()) == c.text
        for k in c.constraints:
            assert c.span[0] <= k.span[0] < k.span[1] <= c.span[1]
