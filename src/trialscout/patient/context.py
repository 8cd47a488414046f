"""ConText-style modifiers for notes: which spans are negated, about someone else, or hypothetical.

After medspacy's ConText (rules as data in `rules/context.json`): a trigger opens a scope forward or backward
within its sentence, bounded by `max_tokens` and by termination words; pseudo-triggers block triggers they cover."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from trialscout.patient.rules import load

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\[(\"'])|\n\s*|(?<=\S)\s{3,}")
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’/-][A-Za-z0-9]+)*|[^\sA-Za-z0-9]")


@dataclass(frozen=True)
class Scope:
    """A modifier's category and the character range it covers; `trigger` is the trigger's own span."""

    category: str
    start: int
    end: int
    trigger: tuple[int, int]


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line of a note."""
    out, start = [], 0
    for m in _SENTENCE.finditer(text):
        if text[start:m.start()].strip():
            out.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return out


@cache
def _rules() -> tuple[re.Pattern[str], dict[str, dict[str, Any]]]:
    rules = {r["literal"].lower(): r for r in load("context.json")["rules"]}
    body = "|".join(re.escape(k) for k in sorted(rules, key=len, reverse=True))
    return re.compile(rf"(?<![\w/-])(?:{body})(?![\w/-])", re.IGNORECASE), rules


class Context:
    """The modifier scopes of one note; ask `categories(start, end)` for a concept's span."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sentences = sentences(text)
        self.scopes: list[Scope] = []
        for s, e in self.sentences:
            self.scopes.extend(_sentence_scopes(text, s, e))

    def categories(self, start: int, end: int) -> set[str]:
        """NEGATED / FAMILY / HYPOTHETICAL when a scope covers the span (and the span is not the trigger)."""
        out = set()
        for sc in self.scopes:
            if sc.start <= start < sc.end and not (sc.trigger[0] <= start < sc.trigger[1]):
                out.add(sc.category)
        return out

    def sentence_of(self, pos: int) -> tuple[int, int]:
        return next(((s, e) for s, e in self.sentences if s <= pos < e), (0, len(self.text)))


def _sentence_scopes(text: str, s: int, e: int) -> list[Scope]:
    pattern, rules = _rules()
    tokens = [(m.start() + s, m.end() + s) for m in _TOKEN.finditer(text[s:e])]
    found = []
    for a, _ in tokens:
        m = pattern.match(text, a, e)
        if m:
            found.append((m.start(), m.end(), rules[m.group(0).lower()]))
    pseudo = [(a, b) for a, b, r in found if r["category"] == "PSEUDO"]
    ends = sorted(a for a, _, r in found if r["category"] == "TERMINATE")
    starts = sorted(b for _, b, r in found if r["category"] == "TERMINATE")
    out = []
    for a, b, rule in found:
        if rule["category"] in ("PSEUDO", "TERMINATE") or any(a < pb and pa < b for pa, pb in pseudo):
            continue
        limit = rule.get("max_tokens", 40)
        if rule["direction"] in ("forward", "bidirectional"):
            stop = min([x for x in ends if x >= b] + [e, _token_end(tokens, b, limit)])
            out.append(Scope(rule["category"], b, stop, (a, b)))
        if rule["direction"] in ("backward", "bidirectional"):
            stop = max([x for x in starts if x <= a] + [s, _token_start(tokens, a, limit)])
            out.append(Scope(rule["category"], stop, a, (a, b)))
    return out


def _token_end(tokens: list[tuple[int, int]], pos: int, limit: int) -> int:
    after = [t for t in tokens if t[0] >= pos]
    return after[limit - 1][1] if len(after) >= limit else (after[-1][1] if after else pos)


def _token_start(tokens: list[tuple[int, int]], pos: int, limit: int) -> int:
    before = [t for t in tokens if t[1] <= pos]
    return before[-limit][0] if len(before) >= limit else (before[0][0] if before else pos)
