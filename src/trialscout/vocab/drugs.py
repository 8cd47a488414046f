"""Drugs and therapies: agents with their names and classes, class words, regimens, therapy modalities."""

from __future__ import annotations

from functools import cache
from typing import Any

from trialscout.vocab._data import load

PROCEDURE_MODALITIES = ("surgery", "radiotherapy", "ablation", "transplant")
"""Patient-record modalities that a procedure word names (a drug therapy is recorded by its agent)."""


def agents() -> dict[str, dict[str, Any]]:
    """Canonical agent -> {"classes": [...], "names": [...]}."""
    return load("drugs.json")["agents"]


def classes() -> dict[str, dict[str, Any]]:
    """Drug class key -> {"synonyms": [...]}."""
    return load("drugs.json")["classes"]


def regimens() -> dict[str, list[str]]:
    return load("drugs.json")["regimens"]


def modalities() -> dict[str, dict[str, Any]]:
    """Criterion modality -> {"synonyms", "record", "satisfied_by"}."""
    return load("drugs.json")["modalities"]


@cache
def drug_index() -> dict[str, tuple[str, str | None]]:
    """Every drug name (lower case) -> (canonical agent, its reported class)."""
    out: dict[str, tuple[str, str | None]] = {}
    for agent, spec in agents().items():
        cls = spec["classes"][0] if spec["classes"] else None
        for name in (agent, *spec["names"]):
            out.setdefault(name.lower(), (agent, cls))
    return out


def classes_of(agent: str | None) -> tuple[str, ...]:
    """Every class an agent belongs to (`nivolumab` -> immune_checkpoint_inhibitor, anti_pd1); () when unknown."""
    hit = drug_index().get((agent or "").lower())
    return tuple(agents()[hit[0]]["classes"]) if hit else ()


def satisfied_by(modality: str) -> list[str]:
    """The patient-record modalities that satisfy a criterion modality (`chemotherapy` -> `["drug"]`)."""
    spec = modalities().get(modality)
    return list(spec["satisfied_by"]) if spec else [modality]


@cache
def procedure_words() -> dict[str, str]:
    """Word (as stored: '=' marks case-sensitive) -> the patient-record modality it names (surgery, radiotherapy...)."""
    out: dict[str, str] = {}
    for spec in modalities().values():
        if spec.get("record") in PROCEDURE_MODALITIES:
            for w in spec["synonyms"]:
                out.setdefault(w, spec["record"])
    return out


def modality_classes(modality: str) -> frozenset[str] | None:
    """The drug classes that satisfy a drug modality (`chemotherapy` -> platinum, taxane, ...); None when any drug
    does (the modality lists no classes)."""
    spec = modalities().get(modality) or {}
    return frozenset(spec["classes"]) if "classes" in spec else None


def modality_generic(modality: str) -> bool:
    """Whether a drug recorded without a name ("received chemotherapy") satisfies the modality."""
    return bool((modalities().get(modality) or {}).get("generic", True))


def supportive_classes() -> frozenset[str]:
    """Classes that are never anticancer therapy (corticosteroid, anticoagulant, bisphosphonate, antibiotic, ...)."""
    return frozenset(load("drugs.json")["supportive_classes"])
