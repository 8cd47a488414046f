"""Criteria that ask nothing of a patient: permissions ('Patients may have stage IV disease'); rules as data."""

from __future__ import annotations

import re
from functools import cache

from trialscout.criteria import rules


@cache
def _permission() -> re.Pattern[str]:
    patterns = rules.load("patterns.json")["permission"]["patterns"]
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def permits(text: str) -> bool:
    """Whether the criterion only permits something (every patient meets it)."""
    return bool(_permission().search(" ".join(text.split())))
