"""Small helpers over `fhir.resources` objects: text and codes of a CodeableConcept, FHIR dates as dates."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

LOINC = "http://loinc.org"


def cc_text(cc: Any) -> str | None:
    """The words of a CodeableConcept: its text, else the first coding display, else the first code."""
    if cc is None:
        return None
    if getattr(cc, "text", None):
        return cc.text
    for coding in cc.coding or []:
        if coding.display:
            return coding.display
    for coding in cc.coding or []:
        if coding.code:
            return coding.code
    return None


def cc_codes(cc: Any) -> Iterator[tuple[str, str]]:
    """(system, code) of every coding of a CodeableConcept (system '' when absent)."""
    if cc is None:
        return
    for coding in cc.coding or []:
        if coding.code:
            yield coding.system or "", coding.code


def loinc_codes(cc: Any) -> list[str]:
    return [code for system, code in cc_codes(cc) if system in (LOINC, "")]


def as_date(value: Any) -> dt.date | None:
    """A date from a FHIR date/dateTime (datetime, date, or a partial 'YYYY' / 'YYYY-MM' string: first day)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", str(value))
    if not m:
        return None
    return dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))


def effective_date(resource: Any) -> dt.date | None:
    """The clinically relevant date of an Observation, statement, request or procedure."""
    for name in ("effectiveDateTime", "performedDateTime", "onsetDateTime", "authoredOn", "issued", "recordedDate"):
        value = getattr(resource, name, None)
        if value is not None:
            return as_date(value)
    for name in ("effectivePeriod", "performedPeriod", "onsetPeriod"):
        period = getattr(resource, name, None)
        if period is not None:
            return as_date(period.start) or as_date(period.end)
    return None


def period_of(resource: Any) -> tuple[dt.date | None, dt.date | None]:
    for name in ("effectivePeriod", "performedPeriod"):
        period = getattr(resource, name, None)
        if period is not None:
            return as_date(period.start), as_date(period.end)
    return effective_date(resource), None


def describe_loc(loc: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
