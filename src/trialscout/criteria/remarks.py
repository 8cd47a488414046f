"""Criteria that ask nothing of a patient: permissions ('Patients may have stage IV disease'); rules as data."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from trialscout.criteria import context, rules


@cache
def _permission() -> re.Pattern[str]:
    patterns = rules.load("patterns.json")["permission"]["patterns"]
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def permits(text: str) -> bool:
    """Whether the criterion only permits something (every patient meets it)."""
    return bool(_permission().search(" ".join(text.split())))


@lru_cache(maxsize=1 << 16)
def without_exceptions(text: str, ctype: str | None = None) -> str:
    """The criterion's words with what it carves out blanked ('except: basal cell carcinoma', 'due to
    chemotherapy'): what a record says of those is no reason to question the criterion. Same length as `text`.
    Cached: matching asks it of the same criterion for every patient, and the ConText pass is the costly part."""
    out = list(text)
    for sc in context.scopes(text, [], ctype):
        if sc.flag == "drop":
            out[sc.start:sc.end] = " " * (sc.end - sc.start)
    return "".join(out)
