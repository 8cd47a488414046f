"""The ConText engine: cues open scopes forward or backward, bounded by window, sentence, stops and terminations."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trialscout.context.rules import INERT, Cue, RuleSet
from trialscout.context.text import token_end, token_start, tokens

_OPENING_JUNK = re.compile(r"[\W\d_]+")
"""What may precede a text's first word and still leave a cue opening it: bullets, numbering, spaces."""
_COLON_AFTER = re.compile(r"\s*(?:for\s*)?:")

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Scope:
    """A cue's category and the character range it covers; `trigger` is the cue's own span."""

    category: str
    start: int
    end: int
    trigger: Span
    kinds: frozenset[str] | None = None

    def applies(self, start: int, end: int, kind: str | None = None) -> bool:
        """Whether the scope modifies a mention at [start, end) (of `kind`): it overlaps it, the mention is not
        the cue itself, and the cue touches that kind."""
        return ((kind is None or self.kinds is None or kind in self.kinds) and start < self.end
                and self.start < end and not self.trigger[0] <= start < self.trigger[1])


@dataclass(frozen=True, slots=True)
class Found:
    """A cue occurrence: its span and the cues its literal carries."""

    start: int
    end: int
    cues: tuple[Cue, ...]


def scopes(text: str, rules: RuleSet, *, ctype: str | None = None, protected: Sequence[Span] = (),
           segments: Iterable[Span] | None = None) -> list[Scope]:
    """Every scope in `text`, each within its segment (a note's sentences; default: the whole text). `ctype` is the
    criterion type the text is (for `only_in` / `not_opening` cues); cues inside a longer `protected` span (a
    vocabulary mention) do not count."""
    out: list[Scope] = []
    for s, e in segments if segments is not None else [(0, len(text))]:
        found = active(text, rules, s, e, ctype, protected)
        out.extend(_segment_scopes(text, rules, s, e, found))
    return out


def categories(all_scopes: Iterable[Scope], start: int, end: int, kind: str | None = None) -> set[str]:
    """The categories of the scopes that modify the mention at [start, end)."""
    return {sc.category for sc in all_scopes if sc.applies(start, end, kind)}


def find(text: str, rules: RuleSet, start: int = 0, end: int | None = None) -> list[Found]:
    """The cue occurrences in text[start:end] that stand. A cue inside a longer one is part of it ('with or without'
    is no 'without'); a pseudo-trigger hides every cue it overlaps ('did not tolerate' negates nothing); of two cues
    that overlap in part and mark the same thing the same way the longer, else the earlier, stands ('must not have'
    is 'must not'); other overlapping cues both count ('was negative for', 'and is not')."""
    end = len(text) if end is None else end
    hits = [Found(m.start(1), m.end(1), rules.lookup(m.group(1))) for m in rules.matcher.finditer(text, start, end)]
    for pattern, cues in rules.patterns:
        hits.extend(Found(m.start(), m.end(), cues) for m in pattern.finditer(text, start, end) if m.end() > m.start())
    hits.sort(key=lambda f: (f.start - f.end, f.start))
    whole = [f for i, f in enumerate(hits) if not any(k.start <= f.start and f.end <= k.end for k in hits[:i])]
    pseudo = [f for f in whole if _pseudo(f)]
    kept: list[Found] = []
    for f in whole:
        if _pseudo(f) or any(_overlap(f, p) for p in pseudo):
            continue
        marks = {(c.category, c.direction) for c in f.cues}
        if not any(_overlap(f, k) and marks & {(c.category, c.direction) for c in k.cues} for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


def _pseudo(f: Found) -> bool:
    return any(c.category == "PSEUDO" for c in f.cues)


def _overlap(a: Found, b: Found) -> bool:
    return a.start < b.end and b.start < a.end


def active(text: str, rules: RuleSet, start: int, end: int, ctype: str | None = None,
           protected: Sequence[Span] = ()) -> list[tuple[int, int, Cue]]:
    """The cues that count in text[start:end] for a criterion of type `ctype` (None: every cue counts)."""
    out: list[tuple[int, int, Cue]] = []
    for f in find(text, rules, start, end):
        if any(a <= f.start and f.end <= b and b - a > f.end - f.start for a, b in protected):
            continue
        opening = f.start <= start or _OPENING_JUNK.fullmatch(text, start, f.start) is not None
        out.extend((f.start, f.end, c) for c in f.cues if counts(c, ctype, opening))
    return out


def counts(cue: Cue, ctype: str | None, opening: bool) -> bool:
    """Whether a cue counts in a criterion of type `ctype` at this place (opening the text or not)."""
    return (cue.only_in is None or ctype is None or cue.only_in == ctype) and not (opening and ctype in cue.not_opening)


def _segment_scopes(text: str, rules: RuleSet, s: int, e: int, found: list[tuple[int, int, Cue]]) -> list[Scope]:
    toks = tokens(text, s, e)
    stops = sorted(_hard_stops(text, rules, s, e) + [(a, b) for a, b, c in found if c.category in rules.stoppers])
    out: list[Scope] = []
    for a, b, cue in found:
        if cue.category in INERT or cue.direction == "none":
            continue
        closed = _bracket_end(text, a, s, e) if rules.brackets else e
        if cue.category in rules.list_categories and _COLON_AFTER.match(text, b, e):
            # 'except: A. B.' lists what is carved out after the colon, each its own sentence, to the text's end
            out.append(Scope(cue.category, b, closed, (a, b), cue.kinds))
            continue
        if cue.direction in ("forward", "bidirectional"):
            stop = next((x for x, _ in stops if x >= b and not (text[x] == ":" and not text[b:x].strip())), e)
            out.append(Scope(cue.category, b, min(stop, closed, token_end(toks, b, cue.window)), (a, b), cue.kinds))
        if cue.direction in ("backward", "bidirectional"):
            stop = max([y for _, y in stops if y <= a] + [s])
            out.append(Scope(cue.category, max(stop, token_start(toks, a, cue.window)), a, (a, b), cue.kinds))
    return out


def _hard_stops(text: str, rules: RuleSet, s: int, e: int) -> list[Span]:
    if rules.hard_stops is None:
        return []
    return [m.span() for m in rules.hard_stops.finditer(text, s, e) if not _opens_list(text, m.start(), rules)]


def _opens_list(text: str, x: int, rules: RuleSet) -> bool:
    """Whether the stop at `x` is the colon (or the final dot) of a list opener ('e.g.:', 'such as:'), which
    carries a cue's scope on into the list."""
    before = " ".join(text[max(0, x - 20):x + (text[x] == ".")].lower().split())
    return any(before.endswith(w) and not before[:-len(w)][-1:].isalnum() for w in rules.list_openers)


def _bracket_end(text: str, at: int, s: int, e: int) -> int:
    """Where the bracket around position `at` closes (`e` when `at` is in none): a forward cue inside brackets
    ('(except surgically) primitive neuroectodermal tumors') reaches no further than them."""
    depth = 0
    for i in range(at - 1, s - 1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            if depth == 0:
                closed = text.find(")", at, e)
                return closed if closed >= 0 else e
            depth -= 1
    return e
