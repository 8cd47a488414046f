"""Where a patient's notes speak to a criterion: the note sentences sharing its words (rules in `rules/links.json`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from trialscout.criteria.extract_dict import is_means
from trialscout.criteria.remarks import without_exceptions
from trialscout.criteria.text import word_key
from trialscout.model.patient import PatientFacts
from trialscout.patient.context import Context
from trialscout.vocab import clinical

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
    return frozenset(key(w) for w in (*_rules()["stopwords"], *_rules()["generic"], *_rules()["anatomy"]))


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
class _Concept:
    codes: tuple[str, ...]
    text: str
    start: int
    end: int
    negated: bool
    other_person: bool


@dataclass(frozen=True)
class _Sentence:
    span: tuple[int, int]
    words: tuple[_Word, ...]
    """Content words outside every concept mention."""
    concepts: tuple[_Concept, ...]


@lru_cache(maxsize=64)
def _read(note: str) -> tuple[_Sentence, ...]:
    """A note's sentences: the clinical concepts named (with their ConText categories) and the content words that
    lie outside them (cached per note text)."""
    ctx = Context(note)
    generic = _generic()
    mentions = [m for m in clinical.find(note) if any(not clinical.is_general(i) for i in m.ids)]
    out = []
    for s, e in ctx.sentences:
        concepts = []
        for m in mentions:
            if s <= m.start < e:
                cats = ctx.categories(m.start, m.end)
                concepts.append(_Concept(tuple(i for i in m.ids if not clinical.is_general(i)), m.text, m.start,
                                         m.end, "NEGATED" in cats, bool(cats & _OTHER_PERSON)))
        words = []
        for w in _WORD.finditer(note, s, e):
            k = key(w.group())
            if len(k) < 3 or k in generic or any(c.start <= w.start() < c.end for c in concepts):
                continue
            cats = ctx.categories(w.start(), w.end())
            words.append(_Word(k, w.group(), w.start(), "NEGATED" in cats, bool(cats & _OTHER_PERSON)))
        out.append(_Sentence((s, e), tuple(words), tuple(concepts)))
    return tuple(out)


@lru_cache(maxsize=16384)
def _criterion(text: str) -> tuple[frozenset[str], tuple[tuple[str, ...], ...]]:
    """A criterion's content-word keys outside its concept mentions, and its concepts' ids."""
    generic = _generic()
    mentions = [m for m in clinical.find(text) if any(not clinical.is_general(i) for i in m.ids)
                and not is_means(text, m.start, m.ids, m.end)]
    keys = frozenset(k for w in _WORD.finditer(text) if not any(m.start <= w.start() < m.end for m in mentions)
                     for k in (key(w.group()),) if len(k) >= 3 and k not in generic)
    return keys, tuple(tuple(i for i in m.ids if not clinical.is_general(i)) for m in mentions)


def criterion_keys(text: str) -> frozenset[str]:
    """The comparison keys of a criterion's content words outside its concept mentions (generic words left out)."""
    return _criterion(text)[0]


def _related(wanted: tuple[tuple[str, ...], ...], have: tuple[str, ...]) -> bool:
    """A note concept is one of the criterion's, below it, or above it."""
    return any(clinical.subsumes(w, h) or clinical.subsumes(h, w) for ids in wanted for w in ids for h in have)


def links(text: str, facts: PatientFacts, ignore: list[tuple[int, int]] | None = None) -> list[Link]:
    """The note sentences that speak to `text`: naming a concept related to one of its concepts (the same, below
    or above it), or sharing a content word outside any concept; what the record says of relatives links only when
    the criterion speaks of relatives too. Concepts named inside `ignore` (spans of the first note) never link."""
    wanted, concepts = _criterion(text)
    if not wanted and not concepts:
        return []
    family = any(key(w.group()) in _family() for w in _WORD.finditer(text))
    out = []
    for i, note in enumerate(facts.notes):
        for sentence in _read(note):
            named = [c for c in sentence.concepts if (family or not c.other_person) and _related(concepts, c.codes)
                     and not (i == 0 and any(a <= c.start < b for a, b in ignore or ()))]
            shared = [w for w in sentence.words if w.key in wanted and (family or not w.other_person)]
            if named or shared:
                said = [c.text for c in named] + [w.text for w in shared]
                negated = all(c.negated for c in named) and all(w.negated for w in shared)
                out.append(Link(i, sentence.span, note[sentence.span[0]:sentence.span[1]],
                                tuple(dict.fromkeys(said)), negated))
    return out


def criterion_links(text: str, ctype: str, facts: PatientFacts,
                    ignore: list[tuple[int, int]] | None = None) -> list[Link]:
    """The note sentences that speak to a criterion, its exceptions ('unless …') left out; none without notes
    (checked first: reading the criterion's words costs more than the whole rest of a match)."""
    return links(without_exceptions(text, ctype), facts, ignore) if facts.notes else []
