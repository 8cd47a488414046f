"""Every rule file's examples run: headings, context cues, analytes, units, patterns, concepts, drugs."""

from __future__ import annotations

import pytest

from trialscout.criteria import rules
from trialscout.criteria.extract import find_all, no_requirement
from trialscout.criteria.split import heading_type, split_spans
from trialscout.criteria.units import convert, to_ucum
from trialscout.vocab import _data as vocab_data
from trialscout.vocab.analytes import analytes


def _close(a: object, b: object) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= 0.02 * max(1.0, abs(float(b)))
    return a == b


def _has(found: list[dict], kind: str, expect: dict) -> bool:
    return any(f["kind"] == kind and all(_close(f.get(k, False if k in ("negated", "historical", "hypothetical")
                                                        else None), v) for k, v in expect.items())
               for f in found)


def _line_examples() -> list[tuple[str, str]]:
    return [(ex, r["type"]) for r in rules.load("headings.json")["line"] for ex in r["examples"]]


@pytest.mark.parametrize(("line", "typ"), _line_examples())
def test_heading_line_examples(line: str, typ: str) -> None:
    hit = heading_type(line)
    assert hit is not None and hit[0] == typ


@pytest.mark.parametrize("rule", rules.load("headings.json")["inline"], ids=lambda r: r["id"])
def test_heading_inline_examples(rule: dict) -> None:
    for ex in rule["examples"]:
        pieces = split_spans(ex)
        assert pieces, ex


@pytest.mark.parametrize("text", rules.load("headings.json")["not_a_criterion"]["examples"])
def test_not_a_criterion_examples(text: str) -> None:
    assert split_spans(text) == []


def _analyte_examples() -> list[tuple[str, str, dict]]:
    out = []
    for name, spec in analytes().items():
        out.extend((name, text, exp) for text, exp in spec["examples"])
    return out


@pytest.mark.parametrize(("analyte", "text", "expect"), _analyte_examples())
def test_analyte_examples(analyte: str, text: str, expect: dict) -> None:
    found = find_all(text)
    assert _has(found, "lab", {"analyte": analyte, **expect}), found


@pytest.mark.parametrize(("written", "analyte", "value", "unit"), vocab_data.load("units.json")["examples"])
def test_unit_examples(written: str, analyte: str, value: float, unit: str) -> None:
    found = find_all(f"{analyte.replace('_', ' ')} >= {written}")
    labs = [f for f in found if f["kind"] == "lab"]
    assert labs and _close(labs[0]["value"], value) and labs[0]["unit"] == unit, found


def test_unit_spellings_map_to_ucum() -> None:
    assert to_ucum("x 10^9/L") == "10*9/L" and to_ucum("×10⁹/L") == "10*9/L" and to_ucum("/mm³") == "/uL"
    assert to_ucum("G/L") == "10*9/L" and to_ucum("g/L") == "g/L" and to_ucum("mg/dl") == "mg/dL"
    assert convert("platelets", 50000, "/uL") == (50.0, "10*9/L", False)


@pytest.mark.parametrize("kind", ["age", "performance_status", "life_expectancy"])
def test_pattern_examples(kind: str) -> None:
    for text, expect in rules.load("patterns.json")["examples"][kind]:
        assert _has(find_all(text), kind, expect), (text, find_all(text))


def test_age_in_section_examples() -> None:
    for section, text, expect in rules.load("patterns.json")["examples"]["age_in_section"]:
        assert _has(find_all(text, section=section), "age", expect), text


def test_pdq_starter_examples() -> None:
    for ex in rules.load("patterns.json")["pdq_starters"]["examples"]:
        got = [" ".join(ex["text"][p.start:p.end].split()) for p in split_spans(ex["text"])]
        assert got == ex["criteria"]


@pytest.mark.parametrize(("text", "kind", "expect"), rules.load("concepts.json")["examples"])
def test_concept_examples(text: str, kind: str, expect: dict) -> None:
    found = find_all(text)
    assert _has(found, kind, expect), found


@pytest.mark.parametrize(("text", "kind", "expect"), vocab_data.load("drugs.json")["examples"])
def test_drug_examples(text: str, kind: str, expect: dict) -> None:
    assert _has(find_all(text, "exclusion"), kind, expect), find_all(text)


@pytest.mark.parametrize("example", rules.load("context.json")["examples"])
def test_context_examples(example: list) -> None:
    text, kind, expect, *ctype = example
    found = find_all(text, *ctype)
    assert _has(found, kind, expect), found


@pytest.mark.parametrize(("text", "ctype", "kind"), rules.load("context.json")["absent_examples"])
def test_context_absent_examples(text: str, ctype: str, kind: str) -> None:
    found = find_all(text, ctype)
    assert not [f for f in found if f["kind"] == kind], found


def test_every_rule_file_loads() -> None:
    for name in rules.RULE_FILES:
        assert rules.load(name)


@pytest.mark.parametrize(("text", "part"), rules.load("patterns.json")["no_requirement"]["examples"])
def test_no_requirement_examples(text: str, part: str) -> None:
    assert [text[s:e] for s, e in no_requirement(text)] == [part]
    assert not [f for f in find_all(text) if f["span"][0] >= text.index(part)]


@pytest.mark.parametrize(("text", "kept", "dropped"), rules.load("patterns.json")["lab_condition"]["examples"])
def test_lab_condition_examples(text: str, kept: str, dropped: str) -> None:
    labs = {f["analyte"]: f for f in find_all(text) if f["kind"] == "lab"}
    assert labs[kept].get("hypothetical") and dropped not in labs, labs


@pytest.mark.parametrize(("text", "systolic", "diastolic"),
                         rules.load("patterns.json")["blood_pressure_pair"]["examples"])
def test_blood_pressure_pair_examples(text: str, systolic: list, diastolic: list) -> None:
    labs = [f for f in find_all(text, "exclusion") if f["kind"] == "lab"]
    assert {f["analyte"]: [f["op"], f["value"]] for f in labs} == {"systolic_bp": systolic, "diastolic_bp": diastolic}
    assert {f["unit"] for f in labs} == {"mm[Hg]"}


@pytest.mark.parametrize(("text", "thing"), rules.load("patterns.json")["ability_object"]["examples"])
def test_ability_object_examples(text: str, thing: str) -> None:
    found = find_all(text, "inclusion")
    start = text.index(thing)
    inside = [f for f in found if start <= f["span"][0] and f["span"][1] <= start + len(thing)]
    assert not inside, inside  # the object is no requirement of its own
    assert any(f["kind"] == "consent_or_compliance" and f["span"][0] <= start and
               f["span"][1] >= start + len(thing) for f in found)
