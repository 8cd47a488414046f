"""Where a patient's notes speak to a criterion: the note sentences sharing its words (rules in `rules/links.json`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from trialscout.criteria.text import word_key
from trialscout.model.patient import PatientFacts
from trialscout.patient.context import Context

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
_OTHER_PERSON = {"FAMILY"}


@cache
def _rules() -> dict[str, Any]:
    return json.loads(resources.files("trialscout.match").joinpath("rules/links.json").read_text("utf-8"))


def key(word: str) -> str:
    """The comparison key of a word ('compliance', 'compliant' -> 'complia'): see `criteria.text.word_key`."""
    return word_key(word)


@cache
def _generic() -> frozenset[str]:
    return frozenset(key(w) for w in (*_rules()["stopwords"], *_rules()["generic"]))


@cache
def _family() -> frozenset[str]:
    return frozenset(key(w) for w in _rules()["family_words"])


@dataclass(frozen=True)
class Link:
    """A note sentence that shares words with a criterion."""

    note: int
    """Which of the patient's notes (index in `PatientFacts.notes`)."""
    span: tuple[int, int]
    """The sentence's character span in that note."""
    text: str
    words: tuple[str, ...]
    """The shared words as the note writes them."""
    negated: bool
    """Every shared word stands in a negated scope ('denies smoking', 'no brain metastases')."""


@dataclass(frozen=True)
class _Word:
    key: str
    text: str
    start: int
    negated: bool
    other_person: bool


@dataclass(frozen=True)
class _Sentence:
    span: tuple[int, int]
    words: tuple[_Word, ...]


@lru_cache(maxsize=64)
def _read(note: str) -> tuple[_Sentence, ...]:
    """A note's sentences with their content words' keys and ConText categories (cached per note text)."""
    ctx = Context(note)
    generic = _generic()
    out = []
    for s, e in ctx.sentences:
        words = []
        for m in _WORD.finditer(note, s, e):
            k = key(m.group())
            if len(k) < 3 or k in generic:
                continue
            cats = ctx.categories(m.start(), m.end())
            words.append(_Word(k, m.group(), m.start(), "NEGATED" in cats, bool(cats & _OTHER_PERSON)))
        out.append(_Sentence((s, e), tuple(words)))
    return tuple(out)


def criterion_keys(text: str) -> frozenset[str]:
    """The comparison keys of a criterion's content words (generic words left out)."""
    generic = _generic()
    return frozenset(k for k in (key(m.group()) for m in _WORD.finditer(text)) if len(k) >= 3 and k not in generic)


def links(text: str, facts: PatientFacts) -> list[Link]:
    """The note sentences sharing content words with `text`, in note order; what the record says of relatives
    links only when the criterion speaks of relatives too."""
    wanted = criterion_keys(text)
    if not wanted:
        return []
    family = bool(wanted & _family())
    out = []
    for i, note in enumerate(facts.notes):
        for sentence in _read(note):
            shared = [w for w in sentence.words if w.key in wanted and (family or not w.other_person)]
            if shared:
                out.append(Link(i, sentence.span, note[sentence.span[0]:sentence.span[1]],
                                tuple(dict.fromkeys(w.text for w in shared)), all(w.negated for w in shared)))
    return out
