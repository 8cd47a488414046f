"""Vocabulary look-ups shared by every reader: analytes and units, drugs, conditions, OncoTree, biomarkers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from trialscout.patient.rules import load

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


@dataclass(frozen=True)
class Term:
    """One vocabulary entry found by a term: its category (`cancer`, `comorbidity`, ...), key and data."""

    category: str
    key: str | None
    data: Any = None


# ---------------------------------------------------------------- units and analytes


def normalise_unit(unit: str | None) -> str:
    """A unit spelt one way: lower case, no spaces, `µ`→`u`, `10^9`/`x10e9`/`×10⁹` → `10*9`, `cu.mm` → `mm3`."""
    u = (unit or "").strip().translate(_SUPERSCRIPTS).lower()
    u = u.replace("µ", "u").replace("μ", "u").replace(" ", "").replace("cells/", "/")
    u = re.sub(r"^(?:x|×|\*)", "", u)
    u = re.sub(r"10(?:\^|\*\*|\*|e)?([0-9]+)(?=/)", r"10*\1", u)
    u = re.sub(r"/(?:cu\.?mm|cmm|mm\^?3|mm\*\*3)$", "/mm3", u)
    u = u.replace("{1.73_m2}", "1.73m2").replace("/1.73m^2", "/1.73m2").replace("/1.73m²", "/1.73m2")
    u = u.replace("mcl", "ul").replace("/dl", "/dl").replace("iu/l", "iu/l")
    return u


@cache
def analytes() -> dict[str, dict[str, Any]]:
    return {k: v for k, v in load("analytes.json").items() if not k.startswith("_")}


def analyte_of(name: str) -> str | None:
    """The canonical analyte for a name (`Platelets`, `PLT`, `platelet count`, `neutrophils_absolute`)."""
    table = analytes()
    key = name.strip()
    if key.lower() in table:
        return key.lower()
    return _analyte_terms().get(key.lower()) or _analyte_terms().get(key)


@cache
def _analyte_terms() -> dict[str, str]:
    out: dict[str, str] = {}
    for key, entry in analytes().items():
        for term in entry["terms"]:
            out[term.lower()] = key
        for term in entry["case_terms"]:
            out[term] = key
    return out


def convert(analyte: str, value: float, unit: str | None) -> tuple[float, str] | None:
    """The value in the analyte's canonical unit, or None when the unit is not known for that analyte."""
    entry = analytes()[analyte]
    factor = entry["units"].get(normalise_unit(unit))
    if factor is None:
        return None
    return value * factor, entry["unit"]


def plausible_range(analyte: str) -> tuple[float, float]:
    low, high = analytes()[analyte]["range"]
    return float(low), float(high)


# ---------------------------------------------------------------- drugs


@cache
def drug_index() -> dict[str, tuple[str, str]]:
    """Every drug name (lower case) -> (canonical agent, class)."""
    out: dict[str, tuple[str, str]] = {}
    for cls, agents in load("drugs.json")["classes"].items():
        for agent, names in agents.items():
            for name in (agent, *names):
                out[name.lower()] = (agent, cls)
    return out


def drug_of(name: str) -> tuple[str, str | None] | None:
    """(canonical agent, class) for a drug name, or None when unknown."""
    hit = drug_index().get(name.strip().lower())
    if hit:
        return hit
    for word in re.split(r"[\s,/]+", name.lower()):
        if word in drug_index():
            return drug_index()[word]
    return None


def class_of(agent: str) -> str | None:
    hit = drug_index().get(agent.lower())
    return hit[1] if hit else None


def modality_of(text: str) -> str | None:
    """The modality a procedure name implies (`surgery`, `radiotherapy`, `ablation`, `transplant`), or None."""
    low = text.lower()
    for modality, terms in load("drugs.json")["procedures"].items():
        if any(re.search(rf"(?<![a-z]){re.escape(t.lower())}(?![a-z])", low) for t in terms):
            return modality
    if re.search(r"ectomy\b|otomy\b|resection\b", low):
        return "surgery"
    return None


# ---------------------------------------------------------------- conditions and OncoTree


@cache
def oncotree() -> dict[str, list[Any]]:
    return load("oncotree.json")["codes"]


def is_oncotree_code(code: str) -> bool:
    return code in oncotree()


def ancestors(code: str) -> list[str]:
    """The OncoTree codes above a code, nearest first (excluding the root `TISSUE`)."""
    out: list[str] = []
    parent = oncotree().get(code, [None, None])[1]
    while parent and parent != "TISSUE" and parent not in out:
        out.append(parent)
        parent = oncotree().get(parent, [None, None])[1]
    return out


@cache
def condition_terms() -> dict[str, Term]:
    """Every condition term (lower case, or as written for case-sensitive terms) -> Term."""
    data = load("conditions.json")
    out: dict[str, Term] = {}
    for entry in data["cancers"]:
        term = Term("cancer", entry["code"], entry)
        _add_terms(out, entry, term)
    for key, entry in data["comorbidities"].items():
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


# ---------------------------------------------------------------- biomarkers


@cache
def biomarker_aliases() -> dict[str, str]:
    """Alias (as written) -> canonical biomarker name."""
    out: dict[str, str] = {}
    for name, aliases in load("biomarkers.json")["names"].items():
        for alias in (name, *aliases):
            out[alias] = name
    return out


def biomarker_name(text: str) -> str | None:
    text = text.strip()
    table = biomarker_aliases()
    return table.get(text) or next((v for k, v in table.items() if k.lower() == text.lower()), None)


def biomarker_status(word: str | None) -> str | None:
    if word is None:
        return None
    return load("biomarkers.json")["status_words"].get(word.strip().lower())


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
