"""Matcher vocabulary read from `match/rules/match.json`: reference ranges, scale conversions, aliases."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from trialscout.model.criteria import Constraint
from trialscout.model.patient import PriorTherapy


@cache
def _rules() -> dict[str, Any]:
    return json.loads(resources.files("trialscout.match").joinpath("rules/match.json").read_text("utf-8"))


def _key(text: str | None) -> str:
    return re.sub(r"[\s\-_/]+", "", (text or "").lower())


def reference_limit(analyte: str, which: str) -> float | None:
    """The assumed adult ULN (`which='uln'`) or LLN of an analyte in its canonical unit."""
    return _rules()["reference_ranges"].get(which, {}).get(analyte)


def ecog_from_karnofsky(score: int) -> int:
    for low, ecog in _rules()["karnofsky_to_ecog"]["bands"]:
        if score >= low:
            return int(ecog)
    return 5


def karnofsky_range_from_ecog(ecog: int) -> tuple[int, int]:
    """The Karnofsky band that an ECOG grade corresponds to (ECOG 1 → 70–80)."""
    bands = _rules()["karnofsky_to_ecog"]["bands"]
    highs = {e: (100 if i == 0 else bands[i - 1][0] - 10) for i, (_low, e) in enumerate(bands)}
    lows = {e: low for low, e in bands}
    return int(lows.get(ecog, 0)), int(highs.get(ecog, 0))


@cache
def _biomarker_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for canonical, names in _rules()["biomarker_aliases"].items():
        if canonical.startswith("_"):
            continue
        for n in [canonical, *names]:
            index.setdefault(_key(n), canonical)
    return index


def canonical_biomarker(name: str | None) -> str:
    return _biomarker_index().get(_key(name), _key(name).upper())


def same_biomarker(a: str | None, b: str | None) -> bool:
    ca, cb = canonical_biomarker(a), canonical_biomarker(b)
    if ca == cb:
        return True
    pair = {ca, cb}
    return pair in ({"BRCA", "BRCA1"}, {"BRCA", "BRCA2"}, {"MSI", "MMR"})


@cache
def _polarity() -> dict[str, str]:
    table = _rules()["biomarker_polarity"]
    return {w.lower(): side for side in ("positive", "negative") for w in table[side]}


def biomarker_polarity(status: str | None) -> str | None:
    """'positive' / 'negative' for a status word (`amplified` → positive, `wild_type` → negative)."""
    if not status:
        return None
    s = status.lower().strip()
    return _polarity().get(s) or _polarity().get(s.replace("_", " "))


def comorbidity_matches(wanted: str, key: str | None, name: str) -> bool:
    aliases = _rules()["comorbidity_aliases"]
    wanted_key = wanted.lower().replace(" ", "_")
    if key and (key == wanted_key or (wanted_key == "hepatitis" and key in ("hbv", "hcv"))):
        return True
    words = aliases.get(wanted_key, [wanted.replace("_", " ")])
    text = f" {name.lower()} "
    return any(re.search(rf"\b{re.escape(w)}\b", text) for w in words)


def stage_matches(patient_stage: str | None, wanted: list[str]) -> bool | None:
    """Patient stage `IIIA` against criterion stages (`III`, `IV`): the Roman group or the exact substage."""
    if not patient_stage:
        return None
    ps = patient_stage.upper().replace("STAGE", "").strip()
    group = re.match(r"^(IV|I{1,3})", ps)
    for w in wanted:
        w = w.upper().replace("STAGE", "").strip()
        if ps == w or (group and group.group(1) == w):
            return True
    return False


def _drug_class_members(agent_class: str) -> set[str]:
    return set(_rules()["drug_classes"].get(agent_class, []))


def therapy_matches(c: Constraint, t: PriorTherapy) -> bool:
    """Whether a patient's therapy is the agent, a member of the class, or of the modality the criterion names."""
    agent = (t.agent or "").lower()
    if c.agent:
        return bool(agent) and (agent == c.agent.lower() or c.agent.lower() in agent)
    if c.agent_class:
        return t.agent_class == c.agent_class or agent in _drug_class_members(c.agent_class)
    if c.modality:
        modalities = _rules()["therapy_modalities"].get(c.modality, [c.modality])
        return t.modality in modalities
    return False
