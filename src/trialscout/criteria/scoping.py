"""The ConText scopes of one criterion's text, computed once for extraction and for the full-reading check."""

from __future__ import annotations

from functools import lru_cache

from trialscout.criteria import context, vocab


@lru_cache(maxsize=2048)
def mentions_of(text: str) -> tuple[vocab.Mention, ...]:
    """The rule vocabularies' mentions in `text` (cached: extraction and coverage read the same text)."""
    return tuple(vocab.find(text))


@lru_cache(maxsize=2048)
def scopes_of(text: str, ctype: str) -> tuple[context.Scope, ...]:
    """Every modifier scope of a criterion of type `ctype`, its mentions protected."""
    return tuple(context.scopes(text, [(m.start, m.end) for m in mentions_of(text)], ctype))
