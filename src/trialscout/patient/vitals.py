"""Vital signs in a note: measured values and the ranges words like 'tachycardic' state (rules in note_patterns)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from trialscout.patient.note_facts import Found
from trialscout.patient.rules import load, regex
from trialscout.vocab.units import guess_unit, to_canonical

_FAHRENHEIT = re.compile(r"F|℉|fahrenheit", re.IGNORECASE)


@cache
def _rules() -> dict[str, Any]:
    return load("note_patterns.json")["vitals"]


def find_vitals(text: str) -> list[Found]:
    """Every vital sign stated, as Found(value, start, end, {"analyte", "unit", "comparator"}), in text order; a
    value stated by number wins over one a word implies for the same analyte."""
    found = _blood_pressures(text) + _measured(text)
    stated = {f.extra["analyte"] for f in found if f.extra}
    found += [f for f in _implied(text) if f.extra and f.extra["analyte"] not in stated]
    return sorted(found, key=lambda f: f.start)


def _blood_pressures(text: str) -> list[Found]:
    out = []
    for m in regex(_rules()["bp"]).finditer(text):
        for analyte, group in (("systolic_bp", "s"), ("diastolic_bp", "d")):
            out.append(Found(float(m.group(group)), m.start(), m.end(),
                             {"analyte": analyte, "unit": "mm[Hg]", "comparator": None}))
    return out


def _measured(text: str) -> list[Found]:
    out: list[Found] = []
    taken: list[tuple[int, int]] = []
    for analyte, patterns in _rules()["measured"].items():
        for pattern in patterns:
            for m in regex(pattern).finditer(text):
                if any(a < m.end("v") and m.start("v") < b for a, b in taken):
                    continue
                value, unit = _value(analyte, float(m.group("v")), m.groupdict().get("u"))
                taken.append((m.start("v"), m.end("v")))
                out.append(Found(value, m.start(), m.end(), {"analyte": analyte, "unit": unit, "comparator": None}))
    return out


def _value(analyte: str, value: float, written: str | None) -> tuple[float, str | None]:
    """The value in the unit the analyte is kept in; Fahrenheit temperatures become Celsius (an unwritten unit is
    guessed from the value, as in criteria: `no_unit` in vocab/analytes.json)."""
    if analyte == "body_temperature":
        unit = "[degF]" if written and _FAHRENHEIT.search(written) else guess_unit(analyte, value)
        canonical = to_canonical(analyte, value, unit)
        return (round(canonical, 1), "Cel") if canonical is not None else (value, "Cel")
    return value, written.strip() if written else None


def _implied(text: str) -> list[Found]:
    """What words state of a vital sign; for each analyte the first rule that matches (the narrowest) wins."""
    out: list[Found] = []
    for rule in _rules()["implied"]:
        if any(f.extra and f.extra["analyte"] == rule["analyte"] for f in out):
            continue
        for m in regex(rule["words"]).finditer(text):
            out.append(Found(float(rule["value"]), m.start(), m.end(),
                             {"analyte": rule["analyte"], "unit": rule["unit"], "comparator": rule["comparator"]}))
    return out
