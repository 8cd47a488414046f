"""Load the rule files under `criteria/rules/` (JSON data: patterns, synonyms, unit tables) once."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

RULE_FILES = (
    "headings.json", "context.json", "patterns.json", "concepts.json", "groups.json", "coverage.json",
)


@cache
def load(name: str) -> Any:
    """The parsed JSON of one rule file (cached; callers must not mutate it)."""
    text = resources.files("trialscout.criteria").joinpath("rules").joinpath(name).read_text("utf-8")
    return json.loads(text)


def flags_of(rule: dict[str, Any], default: str = "i") -> int:
    f = rule.get("flags", default)
    return re.IGNORECASE if "i" in f else 0


@cache
def compiled(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)
