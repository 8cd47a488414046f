"""ConText modifiers of a criterion (negated, hypothetical, historical, exceptions): the engine on rules/context.json"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from trialscout import context as engine
from trialscout.criteria import rules

_HARD_STOP = re.compile(r"[;:]|\.(?=\s|$)|\n\s*\n")
_FLAG = {"NEGATED": "negated", "EXCEPTION": "drop", "DROP": "drop", "PERMISSION": "permitted",
         "DROP_NEGATED": "drop_if_negated", "HYPOTHETICAL": "hypothetical", "HISTORICAL": "historical"}
_STOPPERS = frozenset({"TERMINATE", "EXCEPTION", "PERMISSION"})


@dataclass(frozen=True, slots=True)
class Scope:
    flag: str
    start: int
    end: int
    kinds: frozenset[str]
    cue: tuple[int, int]


@cache
def rule_set() -> engine.RuleSet:
    """The criteria rule set: a scope also ends at ';', ':', a sentence's dot, an exception or permission cue, and
    at the bracket its cue stands in; 'except:' carves out the rest of the criterion."""
    return engine.rule_set(rules.load("context.json"), stoppers=_STOPPERS, hard_stops=_HARD_STOP, brackets=True,
                           list_categories=frozenset({"EXCEPTION"}))


def scopes(text: str, protected: list[tuple[int, int]], ctype: str | None = None) -> list[Scope]:
    """Every modifier scope in `text` (a criterion of type `ctype`); cues inside `protected` spans (mentions)
    are ignored, and so are cues limited to the other criterion type or not counted where they open the criterion
    (a matched literal still hides the shorter cues inside it: 'must not' in an exclusion is no 'not')."""
    out = []
    for sc in engine.scopes(text, rule_set(), ctype=ctype, protected=protected):
        flag = _FLAG.get(sc.category)
        if flag is not None:
            out.append(Scope(flag, sc.start, sc.end, sc.kinds or frozenset(), sc.trigger))
    return out


def flags_for(kind: str, start: int, end: int, all_scopes: list[Scope]) -> dict[str, bool]:
    """The modifier flags a constraint of `kind` spanning [start, end) gets from the scopes it falls in."""
    out: dict[str, bool] = {}
    for sc in all_scopes:
        if kind in sc.kinds and start < sc.end and sc.start < end and not (sc.cue[0] <= start < sc.cue[1]):
            out[sc.flag] = True
    return out
