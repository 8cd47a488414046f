"""The pieces the pages are made of: criteria split into marked words, constraint labels, record sections."""

from __future__ import annotations

from trialscout.web.highlight import align, constraint_label, segments
from trialscout.web.record import sections

BLOCK = "Inclusion:\n  - Platelets >= 100,000/mm3 and\n    bilirubin < 1.5 x ULN\n"


def test_marks_land_on_the_right_words_even_when_whitespace_was_tidied() -> None:
    start = BLOCK.index("Platelets")
    end = BLOCK.index("ULN") + 3
    shown = "Platelets >= 100,000/mm3 and bilirubin < 1.5 x ULN"
    marks = [(start, start + len("Platelets >= 100,000/mm3"), {"kind": "lab"}),
             (BLOCK.index("bilirubin"), end, {"kind": "lab2"})]
    pieces = segments(shown, BLOCK, (start, end), marks)
    assert "".join(p["text"] for p in pieces) == shown
    assert [p["text"] for p in pieces if "mark" in p] == ["Platelets >= 100,000/mm3", "bilirubin < 1.5 x ULN"]


def test_overlapping_marks_keep_the_first_and_never_repeat_words() -> None:
    text = "ECOG 0-1 or Karnofsky >= 70"
    pieces = segments(text, text, (0, len(text)), [(0, 8, {"k": 1}), (5, 20, {"k": 2}), (12, len(text), {"k": 3})])
    assert "".join(p["text"] for p in pieces) == text
    assert [p["mark"]["k"] for p in pieces if "mark" in p] == [1, 3]


def test_text_that_differs_beyond_whitespace_is_shown_unmarked() -> None:
    assert align("abc def", "abc  def") is not None
    assert align("abc def", "abd def") is None
    assert segments("something else", "original words", (0, 14), [(0, 8, {"k": 1})]) == [{"text": "something else"}]


def test_constraint_labels_read_like_the_criterion() -> None:
    assert constraint_label({"kind": "lab", "analyte": "platelets", "op": ">=", "value": 100.0,
                             "unit": "10*9/L"}) == "lab: platelets ≥ 100 10*9/L"
    assert constraint_label({"kind": "lab", "analyte": "ast", "op": "<=", "uln_multiple": 2.5,
                             "applies_if": "no liver metastases"}) == "lab: ast ≤ 2.5× ULN (if no liver metastases)"
    assert constraint_label({"kind": "age", "min_years": 18.0}) == "age 18–… years"
    assert constraint_label({"kind": "performance_status", "scale": "ECOG", "op": "<=", "value": 1.0}) == "ECOG ≤ 1"
    assert constraint_label({"kind": "biomarker", "name": "EGFR", "status": "positive", "negated": True,
                             "span": [0, 4]}) == "biomarker: name EGFR, status positive (negated)"


def test_every_module_becomes_a_section_in_registry_order_and_unknown_fields_still_show() -> None:
    doc = {"protocolSection": {
        "statusModule": {"overallStatus": "ACTIVE_NOT_RECRUITING", "startDateStruct": {"date": "2020-01",
                                                                                      "type": "ACTUAL"}},
        "identificationModule": {"nctId": "NCT01234567", "briefTitle": "A trial"},
        "futureModule": {"newField": "kept", "items": [{"a": 1, "b": True}]},
        "descriptionModule": {"briefSummary": "Line one.\nLine two."},
    }}
    out = sections(doc)
    assert [s["id"] for s in out] == ["identificationModule", "statusModule", "descriptionModule", "futureModule"]
    status = {r["label"]: r["value"] for r in out[1]["rows"]}
    assert status == {"Overall status": "Active, not recruiting", "Start": "2020-01 (actual)"}
    assert out[2]["texts"] == [{"label": "Brief summary", "text": "Line one.\nLine two."}]
    future = out[3]
    assert future["rows"] == [{"label": "New field", "value": "kept"}]
    assert future["tables"][0]["rows"] == [["1", "Yes"]]
