"""Clinical concepts of all medicine (diseases, findings, procedures, drugs) found in text, and their is-a tree."""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Callable, Container
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

DATA = "clinical.json.gz"
FOLD_VERSION = 1
"""Raise when `fold_token` changes: the shipped phrase keys were folded by it (scripts/make_clinical_vocab.py)."""
KINDS = ("disease", "finding", "behaviour", "procedure", "device", "drug", "drug_class")


@dataclass(frozen=True, slots=True)
class ConceptMention:
    start: int
    end: int
    text: str
    ids: tuple[str, ...]
    """Every concept the phrase names (representative ids, see `canonical`), most specific source first."""


# ---------------------------------------------------------------- folding: the same for phrases and text
_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "λ": "lambda", "μ": "mu", "ω": "omega"}
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9",
          "x": "10", "xi": "11", "xii": "12", "xiii": "13"}
_ROMAN_AFTER = frozenset({"type", "grade", "stage", "class", "phase", "factor", "level"})
_IRREGULAR = {
    "metastases": "metastasis", "diagnoses": "diagnosis", "prognoses": "prognosis", "crises": "crisis",
    "testes": "testis", "apices": "apex", "appendices": "appendix", "varices": "varix", "cervices": "cervix",
    "cortices": "cortex", "indices": "index", "matrices": "matrix", "vertices": "vertex", "emboli": "embolus",
    "thrombi": "thrombus", "bronchi": "bronchus", "fungi": "fungus", "calculi": "calculus", "nuclei": "nucleus",
    "bacilli": "bacillus", "foci": "focus", "nevi": "nevus", "naevi": "nevus", "villi": "villus", "stimuli": "stimulus",
    "bacteria": "bacterium", "diverticula": "diverticulum", "criteria": "criterion", "phenomena": "phenomenon",
    "ganglia": "ganglion", "women": "woman", "men": "man", "children": "child", "feet": "foot", "teeth": "tooth",
    "mice": "mouse", "lice": "louse", "overdoses": "overdose", "series": "series", "species": "species",
    "rabies": "rabies", "scabies": "scabies", "caries": "caries", "herpes": "herpes", "diabetes": "diabetes",
    "mumps": "mumps", "biceps": "biceps", "triceps": "triceps", "forceps": "forceps", "viruses": "virus",
    "fetuses": "fetus", "foetuses": "fetus", "sinuses": "sinus", "plexuses": "plexus", "uteruses": "uterus",
}
_KEEP_S = ("ss", "us", "is", "ys")


def _spelling(t: str) -> str:
    """British to American medical spelling (oedema, haemorrhage, anaemia, tumour, randomised, centre)."""
    if len(t) > 4 and "ae" in t[:-2]:
        t = t[:-2].replace("ae", "e") + t[-2:]
    if t.startswith("oe"):
        t = "e" + t[2:]
    if len(t) > 5 and "oe" in t:
        t = t[0] + t[1:].replace("oe", "e")
    if len(t) > 5 and t.endswith("our"):
        return t[:-3] + "or"
    for gb, us in (("isation", "ization"), ("ised", "ized"), ("ising", "izing")):
        if len(t) > len(gb) + 2 and t.endswith(gb):
            return t[: -len(gb)] + us
    if len(t) > 4 and t.endswith(("tre", "bre")):
        return t[:-2] + "er"
    return t


def _singular(t: str) -> str:
    if t in _IRREGULAR:
        return _IRREGULAR[t]
    if len(t) <= 3 or not t.isalpha():
        return t
    if t.endswith("ies") and len(t) > 4:
        return t[:-3] + "y"
    if t.endswith("itides"):
        return t[:-6] + "itis"
    if t.endswith("oses") and len(t) > 6:
        return t[:-2] + "is"
    if t.endswith(("yses", "theses")):
        return t[:-2] + "is"
    if t.endswith(("sses", "shes", "tches", "nches", "xes", "zzes")):
        return t[:-2]
    if t.endswith("ae") and len(t) > 4:
        return t[:-1]
    if t.endswith("s") and not t.endswith(_KEEP_S):
        return t[:-1]
    return t


@lru_cache(maxsize=1 << 16)
def fold_token(token: str) -> str:
    """One word as phrase keys spell it: lower case, accents and Greek letters spelled out, American spelling,
    singular (`Oedemas` → `edema`, `metastases` → `metastasis`, `β` → `beta`)."""
    t = token.lower()
    if not t.isascii():
        t = "".join(_GREEK.get(ch, ch) for ch in t)
        t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode() or t
    return _spelling(_singular(t))


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Folded word tokens as (key, start, end): words split at hyphens, slashes, and letter/digit boundaries; a
    possessive 's dropped; a roman numeral after `type`, `grade`, `stage`, `class`... read as a number."""
    out: list[tuple[str, int, int]] = []
    for m in _TOKEN.finditer(text):
        s, e = m.span()
        word = m.group()
        if word in ("s", "S") and s >= 2 and text[s - 1] in "'’" and text[s - 2].isalpha():
            continue
        key = fold_token(word)
        if out and key in _ROMAN and out[-1][0] in _ROMAN_AFTER:
            key = _ROMAN[key]
        out.append((key, s, e))
    return out


def fold_phrase(text: str) -> str:
    """The lookup key of a phrase: its folded tokens joined by single spaces."""
    return " ".join(t for t, _, _ in tokens(text))


def _alnum(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


# ---------------------------------------------------------------- the data
@dataclass(frozen=True)
class _Vocab:
    concepts: dict[str, list[Any]]
    """Representative id -> [label, kind, parents, same-as ids]."""
    alias: dict[str, str]
    """Every known id (representatives, merged same-as ids, obsolete alternative ids) -> representative."""
    phrases: dict[str, list[str]]
    exact: dict[str, list[tuple[str, list[str]]]]
    """Phrase key -> [(letters and digits as they must be written, ids)] for case-sensitive abbreviations."""
    lengths: dict[str, tuple[int, ...]]
    """First word of a phrase key -> the lengths in words of the phrases starting with it, longest first."""
    general: frozenset[str]


def _read() -> dict[str, Any]:
    with resources.files("trialscout.vocab").joinpath(DATA).open("rb") as fh:
        return json.loads(gzip.decompress(fh.read()))


@cache
def _vocab() -> _Vocab:
    raw = _read()
    refold = raw.get("fold_version") != FOLD_VERSION
    phrases: dict[str, list[str]] = raw["phrases"]
    if refold:  # data folded by another version of fold_token: fold again (slow, correct)
        phrases = {}
        for key, ids in raw["phrases"].items():
            phrases.setdefault(fold_phrase(key), []).extend(ids)
    exact: dict[str, list[tuple[str, list[str]]]] = {}
    for form, ids in raw["exact"].items():
        exact.setdefault(fold_phrase(form), []).append((_alnum(form), ids))
    lengths: dict[str, set[int]] = {}
    for key in (*phrases, *exact):
        words = key.split(" ")
        lengths.setdefault(words[0], set()).add(len(words))
    concepts = raw["concepts"]
    alias = {cid: cid for cid in concepts}
    for cid, row in concepts.items():
        for other in row[3]:
            alias.setdefault(other, cid)
    for other, cid in raw.get("alt_ids", {}).items():
        alias.setdefault(other, cid)
    return _Vocab(concepts, alias, phrases, exact, {k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()},
                  frozenset(raw["general"]))


def load() -> None:
    """Read the data now (it is otherwise read on first use, once per process)."""
    _vocab()


# ---------------------------------------------------------------- finding concepts in text
_BREAK = re.compile(r"[,;:()\[\]{}|]")


def _bounded(text: str, start: int, end: int) -> bool:
    """The span starts and ends at word boundaries and does not run across a comma, semicolon or bracket."""
    return ((start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())
            and not _BREAK.search(text, start, end))


def _ids_at(v: _Vocab, key: str, text: str, start: int, end: int) -> tuple[str, ...]:
    ids = list(v.phrases.get(key, ()))
    for form, more in v.exact.get(key, ()):
        if _alnum(text[start:end]) == form:
            ids.extend(more)
    return tuple(dict.fromkeys(ids))


def find(text: str) -> list[ConceptMention]:
    """Every concept named in `text`: the longest phrase first, left to right, no overlaps, whole words only."""
    return list(_find(text))


@lru_cache(maxsize=256)
def _find(text: str) -> tuple[ConceptMention, ...]:
    """`find`, remembered for the few texts read last (extraction and the coverage check read the same criterion
    one after the other; a small cache, as notes can be long)."""
    v = _vocab()
    phrases, exact, lengths = v.phrases, v.exact, v.lengths
    toks = tokens(text)
    keys = [t[0] for t in toks]
    out: list[ConceptMention] = []
    i, n = 0, len(toks)
    heads = _heads()
    while i < n:
        step = 1
        paired = None
        for size in lengths.get(keys[i], ()):
            if i + size > n:
                continue
            if size > 1:
                if paired is None:
                    paired = f"{keys[i]} {keys[i + 1]}" in heads
                if not paired:  # no phrase of two words or more starts with these two
                    continue
            key = keys[i] if size == 1 else " ".join(keys[i:i + size])
            if key not in phrases and key not in exact:  # no ids: skip the boundary test
                continue
            start, end = toks[i][1], toks[i + size - 1][2]
            if not _bounded(text, start, end):
                continue
            ids = _ids_at(v, key, text, start, end)
            if ids:
                out.append(ConceptMention(start, end, text[start:end], ids))
                step = size
                break
        i += step
    if _JOINERS.intersection(keys):
        out = _elliptic(v, text, toks, keys, out)
    return tuple(m for m in out if not _defined_otherwise(text, m, out))


@cache
def _heads() -> frozenset[str]:
    """The first two words of every phrase key of two words or more."""
    v = _vocab()
    return frozenset(" ".join(words[:2]) for key in (*v.phrases, *v.exact) if len(words := key.split(" ")) > 1)


_JOINERS = frozenset({"or", "and"})


def _elliptic(v: _Vocab, text: str, toks: list[tuple[str, int, int]], keys: list[str],
              found: list[ConceptMention]) -> list[ConceptMention]:
    """Coordination ellipsis: 'central venous puncture or catheterization' names 'central venous catheterization'.
    After 'or'/'and', one to three words take the one to three words before the item it joins when the whole is a
    vocabulary phrase; that reading replaces a broader one of the same words."""
    out = list(found)
    sizes = _phrase_sizes(v, keys)
    for j in [j for j, key in enumerate(keys) if key in _JOINERS]:
        if j < 1 or j + 1 >= len(toks) or _BREAK.search(text, toks[j - 1][2], toks[j][1]):
            continue
        out = _shared_head(v, text, toks, keys, j, out, sizes)
        for size in (3, 2, 1) if j >= 2 else ():
            if j + size > len(toks) - 1:
                continue
            start, end = toks[j + 1][1], toks[j + size][2]
            tail = keys[j + 1:j + 1 + size]
            phrase = next((k for p in (3, 2, 1) if j - 1 - p >= 0 and p + size in sizes(keys[j - 1 - p])
                           and (k := " ".join(keys[j - 1 - p:j - 1] + tail)) in v.phrases), None)
            if phrase is None or not _bounded(text, start, end):
                continue
            whole = v.phrases[phrase]
            out = [m for m in out if not (start <= m.start and m.end <= end)]
            out.append(ConceptMention(start, end, text[start:end], tuple(dict.fromkeys(whole))))
            break
    return sorted(out, key=lambda m: m.start)


def _phrase_sizes(v: _Vocab, keys: list[str]) -> Callable[[str], Container[int]]:
    """For a first word, the lengths in words of the phrase keys that start with it: a cheap test before joining
    words to look a phrase up. When a folded word holds a space itself (a rare compatibility character), word
    counts do not add up and every length is let through."""
    if any(" " in key for key in keys):
        return lambda _first: _ANY_SIZE
    lengths = v.lengths
    return lambda first: lengths.get(first, ())


class _AnySize:
    def __contains__(self, _size: object) -> bool:
        return True


_ANY_SIZE = _AnySize()


def _shared_head(v: _Vocab, text: str, toks: list[tuple[str, int, int]], keys: list[str], j: int,
                 found: list[ConceptMention], sizes: Callable[[str], Container[int]]) -> list[ConceptMention]:
    """'acute or chronic renal failure': the one to three words before the joiner at `j` take the head of the item
    after it (the one to three words after its first one or two) when the whole is a vocabulary phrase."""
    for q in (3, 2, 1):
        if j - q < 0 or _BREAK.search(text, toks[j - q][1], toks[j - 1][2]):
            continue
        first = sizes(keys[j - q])
        for y in (1, 2):
            for h in (3, 2, 1):
                if j + y + h >= len(toks) + 1 or q + h not in first:  # no phrase of q + h words starts there
                    continue
                whole = " ".join(keys[j - q:j] + keys[j + 1 + y:j + 1 + y + h])
                if whole not in v.phrases or len(keys[j + 1 + y:j + 1 + y + h]) != h:
                    continue  # (tested before the break search: cheaper, and either one skips)
                if not _BREAK.search(text, toks[j][1], toks[j + y + h - 1][2]):
                    start, end = toks[j - q][1], toks[j - 1][2]
                    kept = [m for m in found if not (start <= m.start and m.end <= end)]
                    return [*kept, ConceptMention(start, end, text[start:end], tuple(dict.fromkeys(v.phrases[whole])))]
    return found


_ABBREVIATION_IN_BRACKETS = re.compile(r"\(\s*([A-Z][A-Za-z]{1,7})\s*\)")
_MINOR_WORDS = frozenset({"of", "the", "and", "or", "in", "for", "to", "a", "an", "with", "on"})


def _defined_otherwise(text: str, m: ConceptMention, found: list[ConceptMention]) -> bool:
    """An abbreviation the text defines ('Abbreviated Injury Scale (AIS)') means its long form there: the
    vocabulary's reading of it ('AIS': acute ischaemic stroke) stands only if the long form names the same concept."""
    if "(" not in text:
        return False
    bracket = _ABBREVIATION_IN_BRACKETS.fullmatch(text, max(0, m.start - 1), min(len(text), m.end + 1)) or \
        _ABBREVIATION_IN_BRACKETS.match(text, max(0, m.start - 2))
    if not bracket or bracket.start(1) != m.start:
        return False
    long_start = _long_form_start(text[:bracket.start()], m.text)
    if long_start is None:
        return False
    same = {i for o in found if o is not m and long_start <= o.start and o.end <= bracket.start() for i in o.ids}
    return not same & set(m.ids)


def _long_form_start(before: str, abbreviation: str) -> int | None:
    """Where the words spelling `abbreviation` by their initials end `before` (minor words may be skipped)."""
    letters = [c.lower() for c in abbreviation if c.isupper()] or [abbreviation[0].lower()]
    words = list(re.finditer(r"[A-Za-z][A-Za-z'-]*", before))
    if not words or before[words[-1].end():].strip():
        return None
    need, start = len(letters), None
    for w in reversed(words):
        if need == 0:
            break
        token = w.group().lower()
        if token[0] == letters[need - 1]:
            need -= 1
            start = w.start()
        elif token not in _MINOR_WORDS:
            return None
    return start if need == 0 else None


def lookup(phrase: str) -> tuple[str, ...]:
    """The concepts a whole phrase names (`"heart attack"` → myocardial infarction), empty when none."""
    hit = find(phrase)
    return hit[0].ids if len(hit) == 1 and hit[0].start == 0 and hit[0].end == len(phrase.rstrip()) else ()


# ---------------------------------------------------------------- the concepts and their tree
def canonical(cid: str) -> str | None:
    """The representative id of a concept known by `cid` (a merged MeSH id or an obsolete DO id), or None."""
    return _vocab().alias.get(cid)


def _row(cid: str) -> list[Any]:
    rep = canonical(cid)
    if rep is None:
        raise KeyError(f"unknown clinical concept {cid!r}")
    return _vocab().concepts[rep]


def label(cid: str) -> str:
    """The preferred name of a concept (KeyError when unknown)."""
    return _row(cid)[0]


def kind(cid: str) -> str:
    """One of KINDS (KeyError when unknown)."""
    return _row(cid)[1]


def parents(cid: str) -> tuple[str, ...]:
    """The direct is-a parents (representative ids) of a concept (KeyError when unknown)."""
    return tuple(_row(cid)[2])


def same_as(cid: str) -> tuple[str, ...]:
    """The representative id and every id merged into it (a DO term and its MeSH descriptor)."""
    rep = canonical(cid)
    return (rep, *_vocab().concepts[rep][3]) if rep else (cid,)


@cache
def _rep_ancestors(rep: str) -> frozenset[str]:
    seen = {rep}
    todo = [rep]
    concepts = _vocab().concepts
    while todo:
        for p in concepts[todo.pop()][2]:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return frozenset(seen)


@cache
def ancestors(cid: str) -> frozenset[str]:
    """Every id of the concept and of all concepts above it, same-as ids included; {cid} when unknown."""
    rep = canonical(cid)
    if rep is None:
        return frozenset({cid})
    concepts = _vocab().concepts
    return frozenset(x for a in _rep_ancestors(rep) for x in (a, *concepts[a][3])) | {cid}


def subsumes(general: str, specific: str) -> bool:
    """True when `specific` is `general` or lies below it (atenolol below beta blockers)."""
    g, s = canonical(general), canonical(specific)
    if g is None or s is None:
        return general == specific
    return g in _rep_ancestors(s)


@cache
def depth(cid: str) -> int:
    """Fewest is-a steps from the concept up to a root (0 for a root; KeyError when unknown)."""
    ps = parents(cid)
    return 0 if not ps else 1 + min(depth(p) for p in ps)


def is_general(cid: str) -> bool:
    """True for a concept too broad to decide anything ("disease", "syndrome", "drug", "therapy")."""
    rep = canonical(cid)
    return rep is not None and rep in _vocab().general
