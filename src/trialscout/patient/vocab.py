"""Vocabulary look-ups shared by every reader: analytes and units, drugs, conditions, OncoTree, biomarkers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from trialscout.patient.rules import load
from trialscout.vocab import biomarkers, comorbidities, drugs, lineage, oncotree
from trialscout.vocab.analytes import analytes as vocab_analytes
from trialscout.vocab.analytes import canonical_unit
from trialscout.vocab.analytes import plausible_range as vocab_range
from trialscout.vocab.units import to_canonical, to_ucum


@dataclass(frozen=True)
class Term:
    """One vocabulary entry found by a term: its category (`cancer`, `comorbidity`, ...), key and data."""

    category: str
    key: str | None
    data: Any = None


# ---------------------------------------------------------------- units and analytes (trialscout.vocab)


def normalise_unit(unit: str | None) -> str:
    """A unit spelt the UCUM way when known (`x10^9/L` -> `10*9/L`), else as written without surrounding spaces."""
    return to_ucum(unit) or (unit or "").strip()


def analytes() -> dict[str, dict[str, Any]]:
    return vocab_analytes()


def analyte_of(name: str) -> str | None:
    """The canonical analyte for a name (`Platelets`, `PLT`, `platelet count`, `neutrophils_absolute`)."""
    key = name.strip()
    if key.lower() in analytes():
        return key.lower()
    return _analyte_terms().get(key.lower()) or _analyte_terms().get(key)


@cache
def _analyte_terms() -> dict[str, str]:
    out: dict[str, str] = {}
    for key, entry in analytes().items():
        for term in entry["synonyms"]:
            out.setdefault(term[1:] if term.startswith("=") else term.lower(), key)
    return out


def convert(analyte: str, value: float, unit: str | None) -> tuple[float, str] | None:
    """The value in the analyte's canonical unit, or None when the unit is not known for that analyte."""
    canonical = to_canonical(analyte, value, unit)
    if canonical is None:
        return None
    return canonical, canonical_unit(analyte)


def plausible_range(analyte: str) -> tuple[float, float]:
    return vocab_range(analyte) or (float("-inf"), float("inf"))


# ---------------------------------------------------------------- drugs (trialscout.vocab.drugs)


def drug_index() -> dict[str, tuple[str, str | None]]:
    """Every drug name (lower case) -> (canonical agent, class)."""
    return drugs.drug_index()


def drug_of(name: str) -> tuple[str, str | None] | None:
    """(canonical agent, class) for a drug name, or None when unknown."""
    index = drug_index()
    hit = index.get(name.strip().lower())
    if hit:
        return hit
    for word in re.split(r"[\s,/]+", name.lower()):
        if word in index:
            return index[word]
    return None


def class_of(agent: str) -> str | None:
    hit = drug_index().get(agent.lower())
    return hit[1] if hit else None


@cache
def _procedure_patterns() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for word, modality in drugs.procedure_words().items():
        exact = word.startswith("=")
        w = word[1:] if exact else word
        out.append((re.compile(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", 0 if exact else re.IGNORECASE), modality))
    return out


def modality_of(text: str) -> str | None:
    """The modality a procedure name implies (`surgery`, `radiotherapy`, `ablation`, `transplant`), or None."""
    for pattern, modality in _procedure_patterns():
        if pattern.search(text):
            return modality
    if re.search(r"ectomy\b|otomy\b|resection\b", text.lower()):
        return "surgery"
    return None


# ---------------------------------------------------------------- conditions and OncoTree


def is_oncotree_code(code: str) -> bool:
    return code in oncotree()


def ancestors(code: str) -> list[str]:
    """The OncoTree codes above a code, nearest first (excluding the root `TISSUE`)."""
    return lineage(code)[1:]


@cache
def condition_terms() -> dict[str, Term]:
    """Every condition term (lower case, or as written for case-sensitive terms) -> Term."""
    data = load("conditions.json")
    out: dict[str, Term] = {}
    for entry in data["cancers"]:
        term = Term("cancer", entry["code"], entry)
        _add_terms(out, entry, term)
    for key, entry in comorbidities.patient_terms().items():
        _add_terms(out, entry, Term("comorbidity", key))
    for key, entry in data["symptoms"].items():
        _add_terms(out, entry, Term("symptom", key))
    return out


def _add_terms(out: dict[str, Term], entry: dict[str, Any], term: Term) -> None:
    for t in entry.get("terms", []):
        out.setdefault(t.lower(), term)
    for t in entry.get("case_terms", []):
        out.setdefault(t, term)


def condition_of(name: str) -> Term | None:
    """The vocabulary entry for a condition name, trying the whole name and then its longest known phrase."""
    terms = condition_terms()
    hit = terms.get(name.strip()) or terms.get(name.strip().lower())
    if hit:
        return hit
    from trialscout.patient.matcher import vocabulary_matcher

    found = [m for m in vocabulary_matcher().find(name) if m.term.category in ("cancer", "comorbidity")]
    if not found:
        return None
    return max(found, key=lambda m: (m.term.category == "cancer", m.end - m.start)).term


def cancer_entry(code: str | None) -> dict[str, Any] | None:
    for entry in load("conditions.json")["cancers"]:
        if entry["code"] == code:
            return entry
    return None


# ---------------------------------------------------------------- biomarkers (trialscout.vocab.biomarkers)


@cache
def biomarker_aliases() -> dict[str, str]:
    """Alias (as written: a lower-case synonym also in upper and title case) -> canonical biomarker name."""
    out: dict[str, str] = {}
    for name, aliases in biomarkers.markers().items():
        out.setdefault(name, name)
        for alias in aliases:
            spellings = [alias[1:]] if alias.startswith("=") else [alias, alias.upper(), alias[:1].upper() + alias[1:]]
            for spelling in spellings:
                out.setdefault(spelling, name)
    return out


def biomarker_name(text: str) -> str | None:
    text = text.strip()
    return biomarker_aliases().get(text) or biomarkers.canonical_marker(text)


def biomarker_status(word: str | None) -> str | None:
    return biomarkers.canonical_status(word)


@cache
def status_words() -> tuple[str, ...]:
    """Status words searched for in notes (longest first; single characters such as '+' are read apart)."""
    words = {w.lstrip("=").lower() for spec in biomarkers.statuses().values() for w in spec["synonyms"]}
    return tuple(sorted((w for w in words if len(w) > 1), key=len, reverse=True))


# ---------------------------------------------------------------- metastasis


def metastasis_mentions(text: str) -> list[tuple[str, int, int]]:
    """(canonical site, start, end) for each mention of metastasis to a site ("liver metastases",
    "metastatic to lymph nodes and adrenal glands", "secondary malignant neoplasm of liver")."""
    from trialscout.patient.rules import regex

    sites = load("conditions.json")["metastasis_sites"]
    out: list[tuple[str, int, int]] = []
    for rule in load("note_patterns.json")["metastasis"]:
        for m in regex(rule["pattern"]).finditer(text):
            for word in re.split(r"\s*(?:,|\band\b|\bor\b|\bthe\b)\s*", m.group(1).lower()):
                site = sites.get(word.strip())
                if site and all(site != s or m.start() != a for s, a, _ in out):
                    out.append((site, m.start(), m.end()))
    return sorted(out, key=lambda x: x[1])
