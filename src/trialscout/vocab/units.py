"""Units: read a written unit into UCUM and convert a lab value into its analyte's canonical unit.

One table for everyone: spellings -> UCUM in `units.json`, UCUM -> factor per analyte in `analytes.json` (`convert`).
"""

from __future__ import annotations

import re
from functools import cache

from trialscout.vocab.analytes import analyte

_SPACES = re.compile(r"\s+")
_CELLS = re.compile(r"cells?(?:count)?", re.IGNORECASE)
_SUPERSCRIPTS = str.maketrans("⁰¹²⁴⁵⁶⁷⁸⁹", "012456789")


@cache
def _aliases() -> tuple[dict[str, str], dict[str, str]]:
    from trialscout.vocab._data import load

    data = load("units.json")
    return data["case_sensitive"], data["aliases"]


def unit_key(written: str) -> str:
    """Spelling key of a written unit: spaces, 'cells', '^' and '**' removed, '*10' read as 'x10'."""
    s = _SPACES.sub("", written)
    s = _CELLS.sub("", s).replace("^", "").replace("**", "").replace("μ", "u").replace("µ", "u")
    s = s.replace("³", "3").replace("×", "x")
    if s.startswith("*10"):
        s = "x" + s[1:]
    return s


@cache
def to_ucum(written: str | None) -> str | None:
    """UCUM spelling of a written unit (`'x 10^9/L'` -> `'10*9/L'`, `'/mm³'` -> `'/uL'`), or None if unknown."""
    if not written:
        return None
    case_sensitive, aliases = _aliases()
    key = unit_key(written)
    hit = case_sensitive.get(key)
    if hit:
        return hit
    low = key.lower()
    return aliases.get(low) or aliases.get(low.rstrip(".")) or aliases.get(low.translate(_SUPERSCRIPTS)) or (
        written.strip() if written.strip() in _ucum_units() else None)


@cache
def _ucum_units() -> frozenset[str]:
    """Every UCUM unit some analyte converts from (a unit already written in UCUM needs no alias)."""
    from trialscout.vocab.analytes import analytes

    return frozenset(u for spec in analytes().values() for u in spec.get("convert", {}) if u)


def factor(name: str, written: str | None) -> float | None:
    """The factor taking a value written in `written` into the analyte's canonical unit; None if not known.

    No unit written (None or '') uses the analyte's '' factor (dimensionless scores such as INR or BMI)."""
    convert = analyte(name).get("convert", {})
    if not written or not written.strip():
        return convert.get("")
    if written in convert:
        return convert[written]
    ucum = to_ucum(written)
    return None if ucum is None else convert.get(ucum)


def to_canonical(name: str, value: float, written: str | None) -> float | None:
    """`value` written in `written` as the analyte's canonical unit (a factor, after an `offset` for scales such as
    Fahrenheit); None if the unit is not known for the analyte."""
    f = factor(name, written)
    if f is None:
        return None
    offsets = analyte(name).get("offset") or {}
    shift = offsets.get(written or "") or offsets.get(to_ucum(written) or "") or 0.0
    return (value + shift) * f


def guess_unit(name: str, value: float) -> str | None:
    """The unit criteria text most likely means when it writes none (`no_unit` in analytes.json)."""
    for threshold, unit in analyte(name).get("no_unit") or []:
        if value >= threshold:
            return str(unit)
    return None
