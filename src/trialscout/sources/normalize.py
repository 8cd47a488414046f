"""Turn the many spellings of registry values into the API v2 form (enums, dates, ages, flags)."""

from __future__ import annotations

import calendar
import json
import re
from functools import cache
from importlib import resources
from typing import TypeVar

from trialscout.model import enums

E = TypeVar("E", bound=enums.V2Enum)

_NONE_WORDS = {"", "none", "n/a", "na", "n.a.", "not applicable", "not stopped", "null", "-", "--", "unknown"}
"""Values that pages and XML use to say 'nothing here'; they never become a value."""


@cache
def _synonyms() -> dict[str, dict[str, str]]:
    text = resources.files("trialscout.sources").joinpath("vocab/enum_synonyms.json").read_text("utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


def _reduce(text: str) -> str:
    """`'Active, not recruiting'` → `'ACTIVE_NOT_RECRUITING'`; `'N/A'` → `'N_A'`."""
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def is_none_word(text: str | None) -> bool:
    return text is None or text.strip().lower() in _NONE_WORDS


def to_enum(enum_cls: type[E], text: str | None) -> E | None:
    """Map any spelling to the enum member, or None when the text names none of them."""
    if text is None:
        return None
    key = _reduce(text)
    if not key:
        return None
    if key in enum_cls.__members__:
        return enum_cls[key]
    alias = _synonyms().get(enum_cls.__name__, {}).get(key)
    return enum_cls[alias] if alias else None


def to_status(text: str | None) -> enums.Status | None:
    return to_enum(enums.Status, text)


def to_phases(text: str | None) -> list[enums.Phase]:
    """`'Phase 2/Phase 3'` → `[PHASE2, PHASE3]`; `'N/A'` → `[NA]`; `'Phase 1, Phase 2'` likewise."""
    if text is None or not text.strip():
        return []
    if _reduce(text) in {"N_A", "NA", "NOT_APPLICABLE"}:
        return [enums.Phase.NA]
    phases: list[enums.Phase] = []
    for part in re.split(r"\s*(?:/|,|;|\band\b|\|)\s*", text):
        phase = to_enum(enums.Phase, part)
        if phase and phase not in phases:
            phases.append(phase)
    return phases


_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
_MONTHS.update({name[:3]: i for name, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9


def to_date(text: str | None) -> str | None:
    """`'May 2023'` → `'2023-05'`, `'November 1, 2027'` → `'2027-11-01'`, `'2025-12-19'` kept.

    Returns None when the text is not a date (never guesses a day or month that is not written).
    """
    if is_none_word(text):
        return None
    t = text.strip().rstrip(".")
    if m := re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", t):
        year, month, day = m.groups()
        return _format_date(int(year), month and int(month), day and int(day))
    if m := re.fullmatch(r"([A-Za-z]+)\.?\s+(?:(\d{1,2})(?:st|nd|rd|th)?,?\s+)?(\d{4})", t):
        month = _MONTHS.get(m.group(1).lower())
        if month:
            return _format_date(int(m.group(3)), month, m.group(2) and int(m.group(2)))
    if m := re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})", t):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            return _format_date(int(m.group(3)), month, int(m.group(1)))
    if m := re.fullmatch(r"(\d{4})/(\d{1,2})(?:/(\d{1,2}))?", t):
        return _format_date(int(m.group(1)), int(m.group(2)), m.group(3) and int(m.group(3)))
    return None


def _format_date(year: int, month: int | None, day: int | None) -> str | None:
    if not 1800 <= year <= 2200:
        return None
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


_AGE_UNITS = {"year": "Year", "yr": "Year", "y": "Year", "month": "Month", "mo": "Month", "week": "Week",
              "wk": "Week", "day": "Day", "d": "Day", "hour": "Hour", "h": "Hour", "minute": "Minute",
              "min": "Minute"}


def to_age(text: str | None) -> str | None:
    """`'18 Years'`, `'18 years'`, `'18'` → `'18 Years'`; `'N/A'` (no limit) → None."""
    if is_none_word(text):
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*(?:old|of age)?\s*", text)
    if not m:
        return None
    number, unit_text = m.group(1), m.group(2).lower().rstrip("s") if m.group(2) else "year"
    unit = _AGE_UNITS.get(unit_text)
    if unit is None:
        return None
    number = number.rstrip("0").rstrip(".") if "." in number else number
    return f"{number} {unit}" if number == "1" else f"{number} {unit}s"


def to_sex(text: str | None) -> enums.Sex | None:
    return to_enum(enums.Sex, text)


_TRUE = {"yes", "y", "true", "t", "1", "accepts healthy volunteers"}
_FALSE = {"no", "n", "false", "f", "0"}


def to_bool(text: str | None) -> bool | None:
    """Yes/No/True/False in any case; anything else (including `N/A`) → None."""
    if text is None:
        return None
    t = text.strip().lower().rstrip(".")
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    return None


def to_int(text: str | None) -> int | None:
    """`'1,200'`, `'120 participants'`, `'120 (Estimated)'` → the count; None when there is none."""
    if is_none_word(text):
        return None
    m = re.match(r"\s*(\d{1,3}(?:,\d{3})+|\d+)\b", text)
    return int(m.group(1).replace(",", "")) if m else None


def clean_text(text: str | None) -> str | None:
    """Strip; 'nothing here' words become None."""
    if text is None:
        return None
    t = text.strip()
    return None if is_none_word(t) else t
