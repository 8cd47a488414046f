"""Text as the full-text index sees it: irregular medical plurals and British spellings folded."""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from importlib import resources


@cache
def _table() -> dict[str, str]:
    raw = json.loads(resources.files("trialscout.store").joinpath("lemmas.json").read_text("utf-8"))
    return {k.lower(): v for k, v in raw.items() if not k.startswith("_")}


@lru_cache(maxsize=512)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)


def fold(text: str | None) -> str:
    """`'Brain Metastases'` → `'Brain metastasis'`: words the stemmer would split from their singular."""
    if not text:
        return ""
    table = _table()
    lowered = text.lower()
    # Substring tests run in C; the word-boundary regex only runs for the few table words present.
    present = tuple(sorted((w for w in table if w in lowered), key=len, reverse=True))
    if not present:
        return text
    return _pattern(present).sub(lambda m: table[m.group(0).lower()], text)
