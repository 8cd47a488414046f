"""Units in criteria text: the shared unit table (`trialscout.vocab.units`) plus the guess for a missing unit."""

from __future__ import annotations

from typing import Any

from trialscout.vocab.analytes import analyte, canonical_unit
from trialscout.vocab.units import guess_unit, to_canonical, to_ucum, unit_key

__all__ = ["analyte_spec", "canonical_unit", "convert", "to_ucum", "unit_key"]


def analyte_spec(name: str) -> dict[str, Any]:
    return analyte(name)


def convert(name: str, value: float, unit: str | None) -> tuple[float, str, bool] | None:
    """(value in the canonical unit, canonical unit, unit_inferred); None if the unit cannot be converted.

    With no unit, the unit is guessed from the value's magnitude (`no_unit` in vocab/analytes.json)."""
    inferred = False
    if unit is None:
        unit = guess_unit(name, value)
        inferred = True
        if unit is None:
            return None
    canonical = to_canonical(name, value, unit) if unit else None
    if canonical is None:
        return None
    return _round(canonical), canonical_unit(name), inferred


def _round(x: float) -> float:
    return float(f"{x:.4g}") if x else 0.0
