"""Comorbidities: one key space for criteria, patient readers and matcher, with the parent/child `includes` relation."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from trialscout.vocab._data import load


def comorbidities() -> dict[str, dict[str, Any]]:
    """Canonical key -> {"terms", "case_terms", "criteria_terms", "includes", "aliases"} (absent lists are empty)."""
    return load("comorbidities.json")["comorbidities"]


def criteria_terms() -> dict[str, list[str]]:
    """Canonical key -> the phrasings the criteria engine looks for ('=' prefix: case-sensitive)."""
    return {k: v.get("criteria_terms", []) for k, v in comorbidities().items() if v.get("criteria_terms")}


def patient_terms() -> dict[str, dict[str, list[str]]]:
    """Canonical key -> {"terms": [...], "case_terms": [...]} for patient records and notes."""
    return {k: {"terms": v.get("terms", []), "case_terms": v.get("case_terms", [])}
            for k, v in comorbidities().items() if v.get("terms") or v.get("case_terms")}


@cache
def _alias_index() -> dict[str, str]:
    out = {k: k for k in comorbidities()}
    for k, v in comorbidities().items():
        for a in v.get("aliases", []):
            out.setdefault(a, k)
    return out


def canonical(key: str | None) -> str | None:
    """The canonical key for a key or alias (`infection` -> `active_infection`), or None when unknown."""
    if not key:
        return None
    return _alias_index().get(key.lower().strip().replace(" ", "_").replace("-", "_"))


@cache
def descendants(key: str) -> frozenset[str]:
    """The key and every key it includes, transitively (`hepatitis` -> {hepatitis, hbv, hcv})."""
    out: set[str] = set()
    todo = [canonical(key) or key]
    while todo:
        k = todo.pop()
        if k not in out:
            out.add(k)
            todo.extend(comorbidities().get(k, {}).get("includes", []))
    return frozenset(out)


def includes(parent: str, child: str | None) -> bool:
    """True when `child` is `parent` or lies below it (a patient's `hbv` satisfies a criterion on `hepatitis`)."""
    c = canonical(child)
    return c is not None and c in descendants(parent)


@cache
def words(key: str) -> tuple[str, ...]:
    """Lower-case words that name the key or any key below it (to read a patient's free-text comorbidity name)."""
    out: list[str] = []
    for k in sorted(descendants(key)):
        v = comorbidities().get(k, {})
        out += [k.replace("_", " "), *v.get("terms", []), *(t.lower() for t in v.get("case_terms", []))]
        out += [t.lstrip("=").lower() for t in v.get("criteria_terms", [])]
    return tuple(dict.fromkeys(w for w in out if w))


def qualifiers() -> dict[str, list[str]]:
    """Canonical qualifier -> words saying it (`uncontrolled` <- 'poorly controlled'): the ones that narrow a
    comorbidity, so that the unqualified condition does not decide a criterion on it."""
    return {k: v for k, v in load("comorbidities.json")["qualifiers"].items() if not k.startswith("_")}


def qualifiers_in(text: str) -> list[str]:
    """The canonical narrowing qualifiers said in `text`, in vocabulary order."""
    low = " ".join(text.lower().replace("-", " ").split())
    return [q for q, words, said in _qualifier_res() if any(w in low for w in words) and said.search(low)]


@cache
def _qualifier_res() -> tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...]:
    """Per qualifier: its words (a cheap substring test first) and one pattern for any of them standing alone and
    not after 'not' (the same test as searching for each word in turn)."""
    return tuple((q, tuple(ws), re.compile(r"(?<!\bnot )\b(?:" + "|".join(re.escape(w) for w in ws) + r")\b"))
                 for q, ws in qualifiers().items() if ws)
