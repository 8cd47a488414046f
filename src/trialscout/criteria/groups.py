"""Groups of alternatives: a lead-in ('one of the following:') whose sub-items, or inline list, are choices."""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from trialscout.criteria import rules

GroupKind = Literal["any_of", "none_of"]


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@cache
def _cues() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    data = rules.load("groups.json")
    return _any(data["any_of"]["patterns"]), _any(data["none_of"]["patterns"]), _any(data["negated_lead"]["patterns"])


@cache
def _separators() -> re.Pattern[str]:
    return re.compile(rules.load("groups.json")["inline"]["separators"])


def cue(text: str) -> re.Match[str] | None:
    """The first alternatives cue in a criterion's text ('one of the following', 'none of these', 'either:')."""
    any_of, none_of, _ = _cues()
    hits = [m for m in (any_of.search(text), none_of.search(text)) if m]
    return min(hits, key=lambda m: m.start()) if hits else None


def group_kind(text: str, ctype: str) -> GroupKind | None:
    """How a lead-in relates its sub-items: `any_of` (one must hold / any one excludes) or `none_of` (none may
    hold: an inclusion lead-in with a negation, 'No history of any of the following:'); None without a cue."""
    any_of, none_of, negated = _cues()
    m = cue(text)
    if m is None:
        return None
    if ctype == "exclusion":
        return "any_of"  # 'none of the following', 'may not have any of': the exclusion restated
    if none_of.match(text, m.start()):
        return "none_of"
    start = inline_start(text)
    lead = text[:start] if start is not None else text
    if negated.search(lead[:m.start()] + " " + lead[m.end():]):
        return "none_of"
    return "any_of"


def inline_start(text: str) -> int | None:
    """Offset in `text` where inline alternatives begin: after the colon that follows the cue, when words follow."""
    m = cue(text)
    if m is None:
        return None
    window = rules.load("groups.json")["inline"]["colon_within"]
    colon = text.find(":", m.end(), m.end() + window)
    if colon < 0 or not text[colon + 1:].strip():
        return None
    return colon + 1


def inline_alternatives(text: str, start: int) -> list[tuple[int, int]]:
    """The stretches of `text` from `start` that are separate alternatives, cut at ';' and list markers."""
    cuts = [start] + [m.start() for m in _separators().finditer(text, start)] + [len(text)]
    out = [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if text[a:b].strip(" ;,.")]
    return out or [(start, len(text))]
