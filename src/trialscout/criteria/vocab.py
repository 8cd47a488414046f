"""One dictionary over every rule vocabulary (analytes, concepts, OncoTree, drugs); longest-match lookup."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from trialscout.criteria import rules
from trialscout.criteria.text import phrase_key, tokens
from trialscout.vocab import _data as vocab_data
from trialscout.vocab import biomarkers, comorbidities, drugs
from trialscout.vocab.analytes import analytes

MAX_WORDS = 8


@dataclass(frozen=True, slots=True)
class Entry:
    category: str
    """analyte | oncotree | drug | biomarker | biomarker_status | prior_therapy_class | modality | ... """
    canon: str
    exact: str | None = None
    """If set, the text must read exactly this (case-sensitive abbreviations like `ER`, `ALL`)."""
    extra: str | None = None


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    entries: tuple[Entry, ...]

    def get(self, category: str) -> Entry | None:
        return next((e for e in self.entries if e.category == category), None)

    def has(self, *categories: str) -> bool:
        return any(e.category in categories for e in self.entries)


def _add(table: dict[str, list[Entry]], phrase: str, category: str, canon: str, extra: str | None = None) -> None:
    exact = None
    if phrase.startswith("="):
        phrase = exact = phrase[1:]
    key = phrase_key(phrase)
    if key:
        table.setdefault(key, []).append(Entry(category, canon, exact, extra))


@cache
def table() -> dict[str, tuple[Entry, ...]]:
    t: dict[str, list[Entry]] = {}
    for name, spec in analytes().items():
        for syn in spec["synonyms"]:
            _add(t, syn, "analyte", name)
    concepts = rules.load("concepts.json")
    for category, groups in concepts.items():
        if category.startswith("_") or category == "examples":
            continue
        for canon, syns in groups.items():
            for syn in syns:
                _add(t, syn, category, canon)
    for canon, syns in comorbidities.criteria_terms().items():
        for syn in syns:
            _add(t, syn, "comorbidity", canon)
    for phrase, code in vocab_data.load("oncotree_phrases.json")["names"].items():
        _add(t, phrase, "oncotree", code, phrase)
    for agent, spec in drugs.agents().items():
        cls = spec["classes"][0] if spec["classes"] else None
        for name in (agent, *spec["names"]):
            _add(t, name.lower(), "drug", agent, cls)
    for canon, syns in biomarkers.markers().items():
        for syn in syns:
            _add(t, syn, "biomarker", canon)
    for category, groups in (("prior_therapy_class", drugs.classes()), ("modality", drugs.modalities()),
                             ("biomarker_status", biomarkers.statuses())):
        for canon, spec in groups.items():
            for syn in spec["synonyms"]:
                _add(t, syn, category, canon)
    return {k: tuple(v) for k, v in t.items()}


@cache
def _first_words() -> dict[str, int]:
    """First word of every phrase -> the longest phrase (in words) starting with it."""
    out: dict[str, int] = {}
    for key in table():
        words = key.split(" ")
        out[words[0]] = max(out.get(words[0], 0), len(words))
    return out


def _fits(entry: Entry, text: str, start: int, end: int) -> bool:
    return entry.exact is None or text[start:end] == entry.exact


def find(text: str) -> list[Mention]:
    """Longest dictionary matches, left to right, without overlaps."""
    tab, first = table(), _first_words()
    toks = tokens(text)
    keys = [t[0] for t in toks]
    out: list[Mention] = []
    i, n = 0, len(toks)
    while i < n:
        hit = None
        longest = first.get(keys[i], 0)
        for size in range(min(longest, MAX_WORDS, n - i), 0, -1):
            key = keys[i] if size == 1 else " ".join(keys[i:i + size])
            entries = tab.get(key)
            if entries:
                s, e = toks[i][1], toks[i + size - 1][2]
                fitting = tuple(x for x in entries if _fits(x, text, s, e))
                if fitting:
                    hit = Mention(s, e, fitting)
                    i += size
                    break
        if hit is None:
            i += 1
        else:
            out.append(hit)
    return out


_OF_SITE = re.compile(r"\s+of\s+(?:the\s+)?(?P<site>[A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,2})")


def site_specific(text: str, start: int, end: int) -> tuple[str, int] | None:
    """A cancer named as 'histology of the site' ('adenocarcinoma of the prostate', 'adenocarcinoma of the sigmoid
    colon') coded as 'site histology' would be ('PRAD', 'COAD'), with where the site ends; None when that names
    no cancer. Site words are tried longest first, each run of them ending at the last word."""
    m = _OF_SITE.match(text, end)
    if not m:
        return None
    words = [(w.start(), w.end()) for w in re.finditer(r"\S+", m.group("site"))]
    base = m.start("site")
    for k in range(len(words), 0, -1):
        site = m.group("site")[:words[k - 1][1]]
        for i in range(k):
            phrase = f"{site[words[i][0]:]} {text[start:end]}"
            hit = next((x for x in find(phrase) if x.start == 0 and x.end == len(phrase)), None)
            code = hit.get("oncotree") if hit else None
            if code:
                return code.canon, base + words[k - 1][1]
    return None


@lru_cache(maxsize=4096)
def cancer_codes(name: str) -> tuple[str, str] | None:
    """The OncoTree code of a cancer's name as its first cancer phrase gives it, and made site-specific when the
    name says 'histology of the site' (the same code when it does not)."""
    m = next((x for x in find(name) if x.has("oncotree")), None)
    if m is None:
        return None
    plain = m.get("oncotree").canon  # type: ignore[union-attr]
    refined = site_specific(name, m.start, m.end)
    return plain, refined[0] if refined else plain
