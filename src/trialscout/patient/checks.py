"""Plausibility checks shared by every reader: an impossible value becomes a Problem and never a fact."""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialscout.model.patient import Lab, PerformanceStatus, Problem, Provenance
from trialscout.patient.vocab import analyte_of, convert, plausible_range

MAX_AGE_YEARS = 125.0
SCALE_RANGES: dict[str, tuple[int, int, int]] = {"ECOG": (0, 5, 1), "KARNOFSKY": (0, 100, 10), "LANSKY": (0, 100, 10)}
_SEX = {"female": "FEMALE", "f": "FEMALE", "woman": "FEMALE", "male": "MALE", "m": "MALE", "man": "MALE"}


def sex_value(text: str | None) -> str | None:
    """`FEMALE`/`MALE` for the usual spellings (`female`, `F`, `FEMALE`, `woman`), else None."""
    return _SEX.get((text or "").strip().lower())


def age_ok(years: float, field: str, problems: list[Problem]) -> bool:
    if 0 <= years <= MAX_AGE_YEARS:
        return True
    message = f"age {years:g} years is not possible (0-{MAX_AGE_YEARS:g}); not used"
    problems.append(Problem(field=field, message=message))
    return False


def birth_date_ok(born: dt.date, as_of: dt.date | None, field: str, problems: list[Problem]) -> bool:
    now = as_of or dt.date.today()
    years = (now - born).days / 365.25
    if born > now:
        problems.append(Problem(field=field, message=f"birth date {born} lies after the record date {now}; not used"))
        return False
    return age_ok(years, field, problems)


def make_lab(name: str, value: float, unit: str | None, field: str, provenance: Provenance,
             problems: list[Problem], **extra: Any) -> Lab | None:
    """A Lab with its canonical value, or None (and a Problem) when the analyte is unknown or the value is
    impossible.

    An unknown unit keeps the lab (flagged `unit_known=False`, no `value_std`) and adds a warning."""
    analyte = analyte_of(name)
    if analyte is None:
        problems.append(Problem(field=field, message=f"unknown lab analyte {name!r}; not used", severity="warning"))
        return None
    converted = convert(analyte, value, unit)
    if not _lab_value_ok(analyte, value, converted, field, problems):
        return None
    if converted is None:
        shown = unit if unit else "no unit"
        message = f"{analyte}: unit {shown!r} is not known for this analyte; kept, not converted"
        problems.append(Problem(field=field, severity="warning", message=message))
    return Lab(analyte=analyte, value=value, unit=unit, unit_known=converted is not None,
               value_std=None if converted is None else round(converted[0], 6),
               unit_std=None if converted is None else converted[1], provenance=provenance, **extra)


def _lab_value_ok(analyte: str, value: float, converted: tuple[float, str] | None, field: str,
                  problems: list[Problem]) -> bool:
    if value < 0:
        problems.append(Problem(field=field, message=f"{analyte} value {value:g} is negative, which is impossible; "
                                                     "not used"))
        return False
    if converted is None:
        return True
    low, high = plausible_range(analyte)
    if low <= converted[0] <= high:
        return True
    problems.append(Problem(field=field, message=f"{analyte} value {value:g} is outside the possible range "
                                                 f"{low:g}-{high:g} {converted[1]}; not used"))
    return False


def make_performance(scale: str, value: float, field: str, provenance: Provenance, problems: list[Problem],
                     date: dt.date | None = None) -> PerformanceStatus | None:
    """A PerformanceStatus, or None (and a Problem) when the value is off the scale (ECOG 7, Karnofsky 55)."""
    scale = scale.upper()
    if scale not in SCALE_RANGES:
        problems.append(Problem(field=field, message=f"unknown performance scale {scale!r}; not used"))
        return None
    low, high, step = SCALE_RANGES[scale]
    if not (low <= value <= high) or value != int(value) or int(value) % step:
        steps = f" in steps of {step}" if step > 1 else ""
        message = f"{scale} {value:g} is not a possible score ({low}-{high}{steps}); not used"
        problems.append(Problem(field=field, message=message))
        return None
    return PerformanceStatus(scale=scale, value=int(value), date=date, provenance=provenance)  # type: ignore[arg-type]
