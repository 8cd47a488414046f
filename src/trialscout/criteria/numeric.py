"""Shared numeric grammar: comparators, numbers, ranges and time spans, built from `rules/patterns.json`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from trialscout.criteria import rules
from trialscout.criteria.text import superscript_to_int

NUM = r"(?:\d{1,3}(?:,\s?\d{3})+(?![\d])|\d{1,3}(?:\s\d{3})+(?![\d.,])|\d+)(?:[.,]\d+)?|\.\d+"


def _phrase_re(phrase: str) -> str:
    parts = [re.escape(p) for p in phrase.split()]
    body = r"\s*".join(parts)
    if phrase[-1].isalpha():
        body += r"\b"
    if phrase[0].isalpha():
        body = r"\b" + body
    return body


@cache
def comparator_table() -> list[tuple[str, str]]:
    comps = rules.load("patterns.json")["comparators"]
    pairs = [(p, op) for op, phrases in comps.items() if not op.startswith("_") for p in phrases]
    return sorted(pairs, key=lambda x: len(x[0]), reverse=True)


@cache
def comp_re() -> str:
    """Regex alternation (no groups) of every prefix comparator, longest first."""
    return "(?:" + "|".join(_phrase_re(p) for p, _ in comparator_table()) + ")"


@cache
def _op_by_key() -> dict[str, str]:
    return {re.sub(r"\s+", "", p.lower()): op for p, op in comparator_table()}


def op_text(s: str | None) -> str | None:
    """The operator a written comparator means (`'no more than'` -> `'<='`)."""
    if not s:
        return None
    return _op_by_key().get(re.sub(r"\s+", "", s.lower()))


def op_of(match: re.Match[str], group: str = "comp") -> str | None:
    """The operator of the comparator captured in `group` of `match`."""
    try:
        return op_text(match.group(group))
    except IndexError:
        return None


@cache
def postfix_re() -> re.Pattern[str]:
    data = rules.load("patterns.json")["postfix"]
    alts = []
    for op, phrases in data.items():
        for p in phrases:
            alts.append((len(p), p, op))
    alts.sort(reverse=True)
    return re.compile(r"\s*(?:" + "|".join(
        f"(?P<{'pge' if op == '>=' else 'ple'}{i}>{_phrase_re(p) if p != '+' else re.escape(p)})"
        for i, (_, p, op) in enumerate(alts)) + ")", re.IGNORECASE)


def postfix_op(text: str, pos: int, end: int | None = None) -> tuple[str, int] | None:
    m = postfix_re().match(text, pos, end if end is not None else len(text))
    if not m:
        return None
    name = next(k for k, v in m.groupdict().items() if v is not None)
    return (">=" if name.startswith("pge") else "<="), m.end()


def parse_num(s: str) -> float | None:
    """`'1,500'` -> 1500; `'1,5'` -> 1.5; `'100 000'` -> 100000; `'⁹'` digits are read too."""
    s = s.strip()
    if not s:
        return None
    if re.fullmatch(r"\d{1,3}(?:,\s?\d{3})+(?:\.\d+)?", s):
        s = re.sub(r",\s?", "", s)
    elif re.fullmatch(r"\d{1,3}(?:\s\d{3})+", s):
        s = s.replace(" ", "")
    else:
        s = s.replace(",", ".")
    try:
        return float(s)
    except ValueError:
        try:
            return float(superscript_to_int(s))
        except ValueError:
            return None


@cache
def number_words() -> dict[str, float]:
    return {k: float(v) for k, v in rules.load("patterns.json")["number_words"].items()}


def word_or_num(s: str) -> float | None:
    w = number_words().get(s.lower())
    return w if w is not None else parse_num(s)


WORDNUM = (r"(?:" + NUM + r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
           r"eighteen|twenty|thirty)\b)")


@cache
def time_units() -> dict[str, float]:
    return {k: float(v) for k, v in rules.load("patterns.json")["time_units_days"].items()}


TIME_UNIT = r"(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?|d|w|y|h)\b"


def days(value: float, unit: str) -> float:
    return round(value * time_units().get(unit.lower(), 1.0), 2)


def flip(op: str) -> str:
    return {">=": "<=", "<=": ">=", ">": "<", "<": ">"}.get(op, op)


@dataclass
class Cmp:
    """A comparison read from text: operator, value(s), where it sits, and whether the op was guessed."""

    op: str
    value: float
    value_high: float | None
    start: int
    end: int
    inferred: bool = False


def infer_op(direction: str, criterion_type: str) -> str:
    """A lost `≥`/`≤` (bare `=`, `:` or nothing): inclusion asks the healthy side, exclusion the other."""
    base = ">=" if direction == "min" else "<="
    return base if criterion_type == "inclusion" else flip(base)
