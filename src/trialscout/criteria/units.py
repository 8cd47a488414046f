"""Units: read a written unit into UCUM and convert a lab value into its analyte's canonical unit.

The conversion factors are data (`rules/analytes.json` -> `convert`); no unit library is needed.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from trialscout.criteria import rules

_SPACES = re.compile(r"\s+")
_CELLS = re.compile(r"cells?(?:count)?", re.IGNORECASE)


@cache
def _aliases() -> tuple[dict[str, str], dict[str, str]]:
    data = rules.load("units.json")
    return data["case_sensitive"], data["aliases"]


def unit_key(written: str) -> str:
    """Spelling key of a written unit: spaces, 'cells', '^' and '**' removed, '*10' read as 'x10'."""
    s = _SPACES.sub("", written)
    s = _CELLS.sub("", s).replace("^", "").replace("**", "").replace("μ", "u").replace("µ", "u")
    s = s.replace("³", "3").replace("×", "x")
    if s.startswith("*10"):
        s = "x" + s[1:]
    return s


def to_ucum(written: str) -> str | None:
    """UCUM spelling of a written unit (`'x 10^9/L'` -> `'10*9/L'`, `'/mm³'` -> `'/uL'`), or None if unknown."""
    if not written:
        return None
    case_sensitive, aliases = _aliases()
    key = unit_key(written)
    hit = case_sensitive.get(key)
    if hit:
        return hit
    return aliases.get(key.lower()) or aliases.get(key.lower().rstrip("."))


@cache
def analyte_spec(analyte: str) -> dict[str, Any]:
    return rules.load("analytes.json")["analytes"][analyte]


def canonical_unit(analyte: str) -> str:
    return str(analyte_spec(analyte)["unit"])


def convert(analyte: str, value: float, unit: str | None) -> tuple[float, str, bool] | None:
    """(value in the canonical unit, canonical unit, unit_inferred); None if the unit cannot be converted.

    With no unit, the unit is guessed from the value's magnitude (`no_unit` in analytes.json).
    """
    spec = analyte_spec(analyte)
    inferred = False
    if unit is None:
        unit = _guess_unit(spec, value)
        inferred = True
        if unit is None:
            return None
    factor = spec.get("convert", {}).get(unit)
    if factor is None:
        return None
    return _round(value * factor), spec["unit"], inferred


def _guess_unit(spec: dict[str, Any], value: float) -> str | None:
    for threshold, unit in spec.get("no_unit") or []:
        if value >= threshold:
            return str(unit)
    return None


def _round(x: float) -> float:
    return float(f"{x:.4g}") if x else 0.0
