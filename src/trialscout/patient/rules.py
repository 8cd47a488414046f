"""Load the data files under `patient/rules/` (vocabularies, unit tables, patterns) once."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> Any:
    """The parsed JSON of one rule file (cached; callers must not mutate it)."""
    text = resources.files("trialscout.patient").joinpath("rules").joinpath(name).read_text("utf-8")
    return json.loads(text)


@cache
def regex(pattern: str, flags: str = "i") -> re.Pattern[str]:
    """A compiled pattern; `flags` 'i' (default) is case-insensitive, 'c' case-sensitive, 'm' multi-line."""
    value = 0 if "c" in flags else re.IGNORECASE
    if "m" in flags:
        value |= re.MULTILINE
    return re.compile(pattern, value)
