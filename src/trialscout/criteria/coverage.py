"""How much of a criterion was understood: its words that no constraint, cue or filler accounts for."""

from __future__ import annotations

import re
from functools import cache

from trialscout.criteria import rules
from trialscout.criteria.scoping import scopes_of
from trialscout.criteria.text import word_key
from trialscout.model.criteria import Constraint

_WORD = re.compile(r"[A-Za-z]+")
_OPENING_NO = re.compile(r"^[\W\d_]*(?:no|not|none|without)\b", re.IGNORECASE)
"""An exclusion that opens with 'No' restates itself ('No prior chemotherapy'): the engine reads it so."""


@cache
def _filler() -> frozenset[str]:
    return frozenset(word_key(w) for w in rules.load("coverage.json")["filler"])


@cache
def _kind_words(kind: str) -> frozenset[str]:
    table = rules.load("coverage.json")["kind_words"]
    words = table.get(kind, table.get(table.get("_same_as", {}).get(kind, ""), ()))
    return frozenset(word_key(w) for w in words)


@cache
def _group_cues() -> re.Pattern[str]:
    data = rules.load("groups.json")
    patterns = [p for part in ("any_of", "none_of", "negated_lead") for p in data[part]["patterns"]]
    body = "|".join(f"(?:{p})" for p in patterns)
    if all(p.startswith(("^", r"\b")) for p in patterns):
        body = rf"(?:^|\b)(?:{body})"  # every cue starts at the text's start or a word boundary: test that first
    return re.compile(body, re.IGNORECASE)


@cache
def _known(kinds: frozenset[str]) -> frozenset[str]:
    """The filler words and the words of every kind in `kinds`: understood wherever they stand."""
    return _filler().union(*(_kind_words(k) for k in kinds))


def unread(text: str, ctype: str, constraints: list[Constraint], offset: int = 0) -> list[str]:
    """The words of one criterion (`text`, starting at `offset` in the block that the constraint spans point
    into) that nothing understood, in order, each once. Single letters and numbers are never counted."""
    spans = [(c.span[0] - offset, c.span[1] - offset) for c in constraints]
    known = _known(frozenset(c.kind for c in constraints))
    # a limit 'if proven liver metastases' is understood: its condition is the constraint's `applies_if`
    conditions = {word_key(w) for c in constraints if c.applies_if for w in (*c.applies_if.split("_"), "proven", "if")}
    if conditions:
        known = known | conditions
    cues = _cue_spans(text, ctype) + [m.span() for m in _group_cues().finditer(text)] + no_requirement(text) \
        + _means(text)
    out: list[str] = []
    seen: set[str] = set()
    bounds = spans + cues
    for m in _WORD.finditer(text):
        word = m.group().lower()
        if len(word) < 2 or word in seen or word_key(word) in known:
            continue
        start, end = m.span()
        if any(a <= start and end <= b for a, b in bounds):
            continue
        out.append(word)
        seen.add(word)
    return out


def no_requirement(text: str) -> list[tuple[int, int]]:
    """PDQ labels that require nothing ('Life expectancy: Not specified'): read, and asking nothing."""
    from trialscout.criteria.extract import no_requirement as spans  # extract imports this module's callers

    return spans(text)


def _cue_spans(text: str, ctype: str) -> list[tuple[int, int]]:
    """Where ConText cues stand ('no', 'history of', 'except', 'if'): the modifier they set is understood."""
    found = {sc.cue for sc in scopes_of(text, ctype)}
    opening = _OPENING_NO.match(text) if ctype == "exclusion" else None
    if opening:
        found.add((opening.start(), opening.end()))
    return sorted(found)


def unread_share(text: str, unread_words: list[str]) -> float:
    """The share of a criterion's content words (filler left out) that nothing understood."""
    filler = _filler()
    content = {w.lower() for w in _WORD.findall(text) if len(w) > 1 and word_key(w) not in filler}
    return len(set(unread_words) & content) / len(content) if content else 0.0


def unread_limit(unread_words: list[str]) -> bool:
    """Whether a word of a limit ('more than one week') is among the unread ones (`limit_words`)."""
    return any(word_key(w) in _limit_keys() for w in unread_words)


@cache
def _limit_keys() -> frozenset[str]:
    return frozenset(word_key(w) for w in rules.load("coverage.json")["limit_words"]["words"])


def pass_max_unread_share() -> float:
    """Above this share of unread content words, an inclusion's pass is only a partial reading."""
    return float(rules.load("coverage.json")["pass_max_unread_share"])


def _means(text: str) -> list[tuple[int, int]]:
    """Procedures named as the means of something else ('on ECG', 'ultrasound shows'): read as such."""
    from trialscout.criteria.extract_dict import is_means
    from trialscout.vocab import clinical

    return [(m.start, m.end) for m in clinical.find(text) if is_means(text, m.start, m.ids, m.end)]
