"""ConText cues as data: one rule set read from either rule file's schema, plus the shared time cues."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

ALIASES = {"NEGATED_EXISTENCE": "NEGATED", "POSSIBLE_EXISTENCE": "HYPOTHETICAL"}
"""medspaCy's category names -> ours (one vocabulary for both callers)."""
CATEGORIES = ("NEGATED", "HISTORICAL", "FAMILY", "HYPOTHETICAL", "EXCEPTION", "DROP", "DROP_NEGATED", "PERMISSION",
              "PSEUDO", "TERMINATE")
INERT = frozenset({"PSEUDO", "TERMINATE"})
"""Categories whose cues open no scope: a pseudo-trigger only hides the triggers it overlaps; a termination ends
other scopes."""
CHARS_PER_TOKEN = 5
"""Converts a rule file's `max_chars` into the engine's token windows (ceil(max_chars / 5)): the median 120-character
stretch of 10,635 registry criteria holds 22 tokens (words and punctuation marks), about 5.5 characters a token;
rounding down to 5 lets a converted window reach at least as far as the characters it replaces in most texts."""
DEFAULT_WINDOW = 40
"""Tokens a scope may reach when a rule file sets no default."""


@dataclass(frozen=True, slots=True)
class Cue:
    """One cue: what it marks, which way its scope runs, how far (tokens), and to whom it applies."""

    category: str
    direction: str
    """forward | backward | bidirectional | none."""
    window: int
    kinds: frozenset[str] | None = None
    """Constraint kinds the cue touches (None: all)."""
    only_in: str | None = None
    """Counts only in criteria of this type (inclusion / exclusion)."""
    not_opening: frozenset[str] = frozenset()
    """Criterion types in which the cue does not count when it opens the text."""


@dataclass(frozen=True)
class RuleSet:
    """Cues (literals and patterns) and how a text's scopes are bounded besides windows and sentences."""

    literals: Mapping[str, tuple[Cue, ...]]
    """Normalised literal (lower case, single spaces) -> its cues; one literal may carry several."""
    patterns: tuple[tuple[re.Pattern[str], tuple[Cue, ...]], ...] = ()
    """Regular-expression cues (a number or unit varies: 'two weeks ago') and the cues each carries."""
    stoppers: frozenset[str] = frozenset({"TERMINATE"})
    """Categories whose cues end other cues' scopes."""
    hard_stops: re.Pattern[str] | None = None
    """Characters that end a scope inside a sentence (criteria: ';', ':', a sentence's dot)."""
    list_openers: tuple[str, ...] = ()
    """Words after which a colon carries a scope on into a list ('e.g.:', 'such as:')."""
    brackets: bool = False
    """A forward scope that starts inside brackets ends where they close."""
    list_categories: frozenset[str] = frozenset()
    """Categories whose cue followed by a colon ('except: A. B.') covers the rest of the text."""
    matcher: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        body = _trie(sorted(self.literals, key=len, reverse=True))
        object.__setattr__(self, "matcher", re.compile(rf"(?<![\w-])(?=({body or '(?!)'})(?!\w))",
                                                       re.IGNORECASE))

    def lookup(self, literal: str) -> tuple[Cue, ...]:
        return self.literals.get(normal(literal), ())


def _trie(literals: list[str]) -> str:
    """One alternation of the literals (longest first; spaces match any run of white space) written as a prefix
    tree, so that a position is tried against the cues that start with its character only. It matches what the flat
    alternation `lit1|lit2|...` matches, with the same preference: literals that can match at one place are
    prefixes of one another, and a longer one is tried before a shorter one (a node's end comes last); literals
    that differ at some character cannot both match there. Literals with characters other than lower-case ASCII,
    digits and single spaces are written flat."""
    if not all(k.isascii() and k == normal(k) for k in literals):
        return "|".join(r"\s+".join(re.escape(w) for w in k.split()) for k in literals)
    root: dict[str, Any] = {}
    for k in literals:
        node = root
        for ch in k:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [(r"\s+" if ch == " " else re.escape(ch)) + emit(child) for ch, child in node.items() if ch]
        if "" in node:
            alts.append("")
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(root) if literals else ""


def normal(literal: str) -> str:
    return " ".join(literal.lower().split())


def category(name: str) -> str:
    """Our name for a category (medspaCy's NEGATED_EXISTENCE is NEGATED)."""
    name = ALIASES.get(name.upper(), name.upper())
    if name not in CATEGORIES:
        raise ValueError(f"unknown ConText category {name!r}")
    return name


def cue_of(rule: Mapping[str, Any], window: int, kinds: frozenset[str] | None) -> Cue:
    """A cue from one rule of either schema: `max_tokens`, or `max_chars` converted to tokens."""
    if "max_tokens" in rule:
        window = int(rule["max_tokens"])
    elif "max_chars" in rule:
        window = math.ceil(int(rule["max_chars"]) / CHARS_PER_TOKEN)
    direction = str(rule.get("direction", "none")).lower()
    return Cue(category(rule["category"]), direction if direction in ("forward", "backward", "bidirectional")
               else "none", window, frozenset(rule["kinds"]) if "kinds" in rule else kinds,
               rule.get("only_in"), frozenset(rule.get("not_opening", ())))


def rule_set(data: Mapping[str, Any], extra: Iterable[Mapping[str, Any]] = (), **options: Any) -> RuleSet:
    """A rule set from a rule file: the criteria schema (`cues`, `default_kinds`, `default_max_chars`,
    `list_openers`) or the note schema (`rules` with `max_tokens`); `extra` rules (literal or `pattern`) join it.
    `options` are RuleSet's boundary settings."""
    kinds = frozenset(data["default_kinds"]) if "default_kinds" in data else None
    window = (math.ceil(int(data["default_max_chars"]) / CHARS_PER_TOKEN) if "default_max_chars" in data
              else int(data.get("default_max_tokens", DEFAULT_WINDOW)))
    literals: dict[str, tuple[Cue, ...]] = {}
    patterns: dict[str, tuple[Cue, ...]] = {}
    for rule in [*data.get("cues", data.get("rules", ())), *extra]:
        cue = cue_of(rule, window, kinds)
        if rule.get("pattern"):
            patterns[rule["pattern"]] = patterns.get(rule["pattern"], ()) + (cue,)
        else:
            key = normal(rule["literal"])
            literals[key] = literals.get(key, ()) + (cue,)
    openers = tuple(normal(w) for w in data.get("list_openers", ()))
    compiled = tuple((re.compile(p, re.IGNORECASE), cues) for p, cues in patterns.items())
    return RuleSet(literals, compiled, list_openers=openers, **options)


@cache
def time_rules() -> tuple[dict[str, Any], ...]:
    """The shared time cues (`time.json`): expressions that put a fact in the past ('two weeks ago', 'history of')."""
    text = resources.files("trialscout.context").joinpath("time.json").read_text("utf-8")
    return tuple(json.loads(text)["rules"])
