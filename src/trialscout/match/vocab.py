"""Matcher vocabulary: shared vocabularies from `trialscout.vocab`; scale conversions from `match/rules/match.json`."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from trialscout.model.criteria import Constraint
from trialscout.model.patient import PriorTherapy
from trialscout.vocab import analytes, biomarkers, comorbidities, drugs


@cache
def _rules() -> dict[str, Any]:
    return json.loads(resources.files("trialscout.match").joinpath("rules/match.json").read_text("utf-8"))


def reference_limit(analyte: str, which: str) -> float | None:
    """The assumed adult ULN (`which='uln'`) or LLN of an analyte in its canonical unit (vocab/analytes.json)."""
    return analytes.reference_limit(analyte, which)


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


def canonical_biomarker(name: str | None) -> str:
    return biomarkers.canonical_marker(name) or re.sub(r"[\s\-_/]+", "", (name or "").upper())


def same_biomarker(a: str | None, b: str | None) -> bool:
    ca, cb = canonical_biomarker(a), canonical_biomarker(b)
    return ca == cb or biomarkers.related(ca, cb)


def biomarker_polarity(status: str | None) -> str | None:
    """'positive' / 'negative' for a status word (`amplified` → positive, `wild_type` → negative)."""
    return biomarkers.polarity(status)


def comorbidity_matches(wanted: str, key: str | None, name: str) -> bool:
    """Whether a patient's comorbidity (its vocabulary key, or failing that its name) is the criterion's comorbidity
    or one it includes (`hepatitis` accepts `hbv`; `cardiovascular_disease` accepts `heart_failure`)."""
    wanted_key = comorbidities.canonical(wanted) or wanted.lower().replace(" ", "_")
    if key:
        if comorbidities.includes(wanted_key, key):
            return True
        if comorbidities.canonical(key):
            return False
    words = comorbidities.words(wanted_key) or (wanted.replace("_", " ").lower(),)
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


def therapy_matches(c: Constraint, t: PriorTherapy) -> bool:
    """Whether a patient's therapy is the agent, a member of the class, or of the modality the criterion names."""
    agent = (t.agent or "").lower()
    if c.agent:
        return bool(agent) and (agent == c.agent.lower() or c.agent.lower() in agent)
    if c.agent_class:
        return t.agent_class == c.agent_class or c.agent_class in drugs.classes_of(agent)
    if c.modality:
        return t.modality in drugs.satisfied_by(c.modality)
    return False
