"""Lab analytes: canonical names, synonyms, canonical units, plausible ranges, reference limits, LOINC codes."""

from __future__ import annotations

from functools import cache
from typing import Any

from trialscout.vocab._data import load


@cache
def analytes() -> dict[str, dict[str, Any]]:
    """Canonical analyte name -> its entry in `analytes.json` (read only)."""
    return load("analytes.json")["analytes"]


def analyte(name: str) -> dict[str, Any]:
    return analytes()[name]


def canonical_unit(name: str) -> str:
    return str(analytes()[name]["unit"])


def plausible_range(name: str) -> tuple[float, float] | None:
    """[min, max] values possible at all (outside = impossible) in the canonical unit, or None when not set."""
    rng = analytes()[name].get("range")
    return (float(rng[0]), float(rng[1])) if rng else None


def reference_limit(name: str, which: str) -> float | None:
    """The assumed adult ULN (`which='uln'`) or LLN of an analyte in its canonical unit."""
    spec = analytes().get(name)
    value = spec.get(which) if spec else None
    return None if value is None else float(value)


@cache
def loinc_index() -> dict[str, str]:
    """LOINC code -> canonical analyte."""
    return {code: name for name, spec in analytes().items() for code in spec.get("loinc", [])}


def synonyms(name: str) -> list[str]:
    """Text names of an analyte; a leading '=' marks a case-sensitive spelling."""
    return list(analytes()[name]["synonyms"])
