"""ConText-style modifiers: negation, hypothetical, historical and exception cues with scopes (rules as data)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from trialscout.criteria import rules

_OPENING_JUNK = re.compile(r"[\W\d_]+")
"""What may precede a criterion's first word: bullets, numbering, spaces."""
_HARD_STOP = re.compile(r"[;:]|\.(?=\s|$)|\n\s*\n")
_FLAG = {"NEGATED_EXISTENCE": "negated", "EXCEPTION": "drop", "DROP": "drop", "PERMISSION": "permitted",
         "DROP_NEGATED": "drop_if_negated",
         "HYPOTHETICAL": "hypothetical", "HISTORICAL": "historical"}
_STOPPERS = ("TERMINATE", "EXCEPTION", "PERMISSION")
_COLON_AFTER = re.compile(r"\s*(?:for\s*)?:")


@dataclass(frozen=True, slots=True)
class Cue:
    category: str
    direction: str
    kinds: frozenset[str]
    max_chars: int
    only_in: str | None = None
    not_opening: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Scope:
    flag: str
    start: int
    end: int
    kinds: frozenset[str]
    cue: tuple[int, int]


@cache
def _cues() -> tuple[re.Pattern[str], dict[str, tuple[Cue, ...]]]:
    data = rules.load("context.json")
    default_kinds = frozenset(data["default_kinds"])
    table: dict[str, tuple[Cue, ...]] = {}
    for c in data["cues"]:
        key = " ".join(c["literal"].lower().split())
        cue = Cue(c["category"], c["direction"], frozenset(c.get("kinds", default_kinds)),
                  int(c.get("max_chars", data["default_max_chars"])), c.get("only_in"),
                  frozenset(c.get("not_opening", ())))
        table[key] = table.get(key, ()) + (cue,)
    alts = sorted(table, key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(w) for w in k.split()) for k in alts)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w])", re.IGNORECASE), table


def _lookup(table: dict[str, tuple[Cue, ...]], text: str, ctype: str | None, opening: bool) -> tuple[Cue, ...]:
    cues = table.get(" ".join(text.lower().split()), ())
    return tuple(c for c in cues if (c.only_in is None or ctype is None or c.only_in == ctype)
                 and not (opening and ctype in c.not_opening))


@cache
def _list_openers() -> tuple[str, ...]:
    return tuple(" ".join(w.lower().split()) for w in rules.load("context.json")["list_openers"])


def _opens_list(text: str, x: int) -> bool:
    """Whether the stop at `x` is the colon (or the final dot) of a list opener ('e.g.:', 'such as:'), which
    carries a cue's scope on into the list."""
    before = " ".join(text[max(0, x - 20):x + (text[x] == ".")].lower().split())
    return any(before.endswith(w) and not before[:-len(w)][-1:].isalnum() for w in _list_openers())


def _bracket_end(text: str, at: int) -> int:
    """Where the bracket around position `at` closes (len(text) when `at` is in none): a forward cue inside
    brackets ('(except surgically) primitive neuroectodermal tumors') reaches no further than them."""
    depth = 0
    for i in range(at - 1, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            if depth == 0:
                closed = text.find(")", at)
                return closed if closed >= 0 else len(text)
            depth -= 1
    return len(text)


def scopes(text: str, protected: list[tuple[int, int]], ctype: str | None = None) -> list[Scope]:
    """Every modifier scope in `text` (a criterion of type `ctype`); cues inside `protected` spans (mentions)
    are ignored, and so are cues limited to the other criterion type or not counted where they open the criterion
    (a matched literal still hides the shorter cues inside it: 'must not' in an exclusion is no 'not')."""
    pattern, table = _cues()
    found: list[tuple[int, int, Cue]] = []
    for m in pattern.finditer(text):
        if any(a <= m.start() and m.end() <= b and b - a > m.end() - m.start() for a, b in protected):
            continue
        opening = not _OPENING_JUNK.sub("", text[:m.start()])
        found.extend((m.start(), m.end(), cue) for cue in _lookup(table, m.group(), ctype, opening))
    stops = sorted([m.start() for m in _HARD_STOP.finditer(text) if not _opens_list(text, m.start())]
                   + [s for s, _, c in found if c.category in _STOPPERS])
    out: list[Scope] = []
    for s, e, cue in found:
        flag = _FLAG.get(cue.category)
        if flag is None:
            continue
        closed = _bracket_end(text, s)
        if cue.category == "EXCEPTION" and _COLON_AFTER.match(text, e):
            # 'except: A. B.' lists the exceptions after the colon, each its own sentence, to the criterion's end
            out.append(Scope(flag, e, closed, cue.kinds, (s, e)))
            continue
        if cue.direction in ("forward", "bidirectional"):
            end = next((x for x in stops if x >= e and not (text[x] == ":" and not text[e:x].strip())), len(text))
            out.append(Scope(flag, e, min(end, closed, e + cue.max_chars), cue.kinds, (s, e)))
        if cue.direction in ("backward", "bidirectional"):
            start = max([x + 1 for x in stops if x < s] + [0])
            out.append(Scope(flag, max(start, s - cue.max_chars), s, cue.kinds, (s, e)))
    return out


def flags_for(kind: str, start: int, end: int, all_scopes: list[Scope]) -> dict[str, bool]:
    """The modifier flags a constraint of `kind` spanning [start, end) gets from the scopes it falls in."""
    out: dict[str, bool] = {}
    for sc in all_scopes:
        if kind in sc.kinds and start < sc.end and sc.start < end and not (sc.cue[0] <= start < sc.cue[1]):
            out[sc.flag] = True
    return out
