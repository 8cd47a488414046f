"""Text as the full-text index sees it: irregular medical plurals and British spellings folded."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources


@cache
def _lemmas() -> tuple[re.Pattern[str], dict[str, str]]:
    raw = json.loads(resources.files("trialscout.store").joinpath("lemmas.json").read_text("utf-8"))
    table = {k.lower(): v for k, v in raw.items() if not k.startswith("_")}
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, table), key=len, reverse=True)) + r")\b",
                         re.IGNORECASE)
    return pattern, table


def fold(text: str | None) -> str:
    """`'Brain Metastases'` → `'Brain metastasis'`: words the stemmer would split from their singular."""
    if not text:
        return ""
    pattern, table = _lemmas()
    return pattern.sub(lambda m: table[m.group(0).lower()], text)
