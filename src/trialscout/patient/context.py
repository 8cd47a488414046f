"""ConText modifiers of a note (negated, family, hypothetical, historical): the engine on rules/context.json + time"""

from __future__ import annotations

from functools import cache

from trialscout import context as engine
from trialscout.context import Scope, sentences
from trialscout.patient.rules import load

__all__ = ["Context", "Scope", "rule_set", "sentences"]


@cache
def rule_set() -> engine.RuleSet:
    """The note rules plus the shared time cues (HISTORICAL: 'two weeks ago', 'history of')."""
    return engine.rule_set(load("context.json"), extra=engine.time_rules())


class Context:
    """The modifier scopes of one note; ask `categories(start, end)` for a concept's span."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sentences = sentences(text)
        self.scopes: list[Scope] = engine.scopes(text, rule_set(), segments=self.sentences)

    def categories(self, start: int, end: int) -> set[str]:
        """NEGATED / FAMILY / HYPOTHETICAL / HISTORICAL when a scope overlaps the span (and the span is not the
        trigger)."""
        return engine.categories(self.scopes, start, end)

    def sentence_of(self, pos: int) -> tuple[int, int]:
        return next(((s, e) for s, e in self.sentences if s <= pos < e), (0, len(self.text)))
