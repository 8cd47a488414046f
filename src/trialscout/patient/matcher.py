"""Dictionary matching over notes: every vocabulary term found as a whole word, longest match first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from trialscout.patient.vocab import Term, analytes, condition_terms, drug_index
from trialscout.vocab import drugs

_LEFT = r"(?<![A-Za-z0-9])"
_RIGHT = r"(?![A-Za-z0-9])"


@dataclass(frozen=True)
class Match:
    """One term found in a text: its span, the text as written, and the vocabulary entry."""

    start: int
    end: int
    text: str
    term: Term


class Matcher:
    """Finds terms of a vocabulary; lower-case terms match in any case (and with a plural `s`),
    terms written with capitals of up to six characters match exactly as written."""

    def __init__(self, terms: dict[str, Term]) -> None:
        self._exact = {t: v for t, v in terms.items() if _is_exact(t)}
        self._folded = {t.lower(): v for t, v in terms.items() if not _is_exact(t)}
        self._re_folded = _alternation(self._folded, re.IGNORECASE, plural=True)
        self._re_exact = _alternation(self._exact, 0, plural=False)

    def find(self, text: str) -> list[Match]:
        """Non-overlapping matches, longest first where two overlap, in text order."""
        found: list[Match] = []
        for regex, table, fold in ((self._re_folded, self._folded, True), (self._re_exact, self._exact, False)):
            if regex is None:
                continue
            for m in regex.finditer(text):
                term = _lookup(m.group(0), table, fold)
                if term is not None:
                    found.append(Match(m.start(), m.end(), m.group(0), term))
        return _drop_overlaps(found)


def _is_exact(term: str) -> bool:
    return term != term.lower() and len(term) <= 6


def _alternation(table: dict[str, Term], flags: int, plural: bool) -> re.Pattern[str] | None:
    if not table:
        return None
    body = "|".join(re.escape(t) for t in sorted(table, key=len, reverse=True))
    suffix = "(?:s|es)?" if plural else ""
    return re.compile(f"{_LEFT}(?:{body}){suffix}{_RIGHT}", flags)


def _lookup(text: str, table: dict[str, Term], fold: bool) -> Term | None:
    key = text.lower() if fold else text
    if key in table:
        return table[key]
    for cut in (1, 2):
        if fold and key[:-cut] in table:
            return table[key[:-cut]]
    return None


def _drop_overlaps(found: list[Match]) -> list[Match]:
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    out: list[Match] = []
    for m in found:
        if out and m.start < out[-1].end:
            if (m.end - m.start) > (out[-1].end - out[-1].start):
                out[-1] = m
            continue
        out.append(m)
    return out


@cache
def vocabulary_matcher() -> Matcher:
    """Conditions, symptoms, drugs, regimens, therapy words and procedures in one matcher."""
    terms: dict[str, Term] = dict(condition_terms())
    for name, (agent, cls) in drug_index().items():
        terms.setdefault(_spelling(name), Term("drug", agent, cls))
    for abbr, agents in drugs.regimens().items():
        terms.setdefault(abbr, Term("regimen", abbr, agents))
    for cls, spec in drugs.classes().items():
        for w in spec["synonyms"]:
            _add_word(terms, w, Term("therapy", None, cls))
    for spec in drugs.modalities().values():
        record = spec.get("record")
        for w in spec["synonyms"]:
            if record == "drug":
                _add_word(terms, w, Term("therapy", None, None))
            elif record:
                _add_word(terms, w, Term("procedure", record, w.lstrip("=")))
    return Matcher(terms)


def _add_word(terms: dict[str, Term], word: str, term: Term) -> None:
    """A vocabulary word: '=' marks a case-sensitive spelling, others match in any case."""
    terms.setdefault(word[1:] if word.startswith("=") else word.lower(), term)


@cache
def _capitalised() -> dict[str, str]:
    return {n.lower(): n for spec in drugs.agents().values() for n in spec["names"] if n != n.lower()}


def _spelling(name: str) -> str:
    """Drug names are indexed in lower case; restore capitals for short abbreviations (`CPT-11`, `BB`, `IFN`)."""
    return _capitalised().get(name, name)


@cache
def analyte_matcher() -> Matcher:
    terms: dict[str, Term] = {}
    for key, entry in analytes().items():
        for t in entry["synonyms"]:
            terms.setdefault(t[1:] if t.startswith("=") else t.lower(), Term("lab", key))
    return Matcher(terms)
