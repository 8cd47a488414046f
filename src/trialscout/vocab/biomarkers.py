"""Biomarkers: canonical names and their synonyms, result statuses with their polarity, related markers."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from trialscout.vocab._data import load


def markers() -> dict[str, list[str]]:
    """Canonical biomarker -> synonyms (lower case = any case; '=' prefix = case-sensitive as written)."""
    return load("biomarkers.json")["markers"]


def statuses() -> dict[str, dict[str, Any]]:
    """Canonical status -> {"synonyms", "polarity", "values"}."""
    return load("biomarkers.json")["statuses"]


def shorthand() -> dict[str, list[list[str]]]:
    return load("biomarkers.json")["shorthand"]


def _key(text: str | None) -> str:
    return re.sub(r"[\s\-_/]+", "", (text or "").lower())


@cache
def _marker_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for canonical, names in markers().items():
        for n in (canonical, *names):
            index.setdefault(_key(n.lstrip("=")), canonical)
    return index


def canonical_marker(name: str | None) -> str | None:
    """The canonical name of a biomarker written any way (`ERBB2`, `her-2`, `HER2/neu` -> `HER2`), or None."""
    return _marker_index().get(_key(name))


@cache
def _related() -> frozenset[frozenset[str]]:
    return frozenset(frozenset(pair) for pair in load("biomarkers.json")["related"])


def related(a: str, b: str) -> bool:
    """Whether two canonical markers name the same test for matching (BRCA and BRCA1, MSI and MMR)."""
    return frozenset((a, b)) in _related()


@cache
def _status_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for canonical, spec in statuses().items():
        for w in (canonical, canonical.replace("_", " "), *spec["synonyms"], *spec.get("values", [])):
            index.setdefault(w.lstrip("=").lower() if len(w) > 1 else w, canonical)
    return index


def canonical_status(word: str | None) -> str | None:
    """The canonical status for a status word (`amplification` -> `amplified`, `wild-type` -> `wild_type`)."""
    if not word:
        return None
    w = " ".join(word.strip().lower().split())
    index = _status_index()
    return index.get(w) or index.get(w.replace("_", " ")) or index.get(w.replace("-", " "))


def polarity(status: str | None) -> str | None:
    """'positive' / 'negative' for a status (`amplified` -> positive, `wild_type` -> negative), else None."""
    canonical = canonical_status(status)
    return statuses()[canonical]["polarity"] if canonical else None
