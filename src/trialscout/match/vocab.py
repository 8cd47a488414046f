"""Matcher vocabulary: shared vocabularies from `trialscout.vocab`; scale conversions from `match/rules/match.json`."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from trialscout.model.criteria import Constraint
from trialscout.model.patient import Comorbidity, PriorTherapy
from trialscout.vocab import analytes, biomarkers, clinical, comorbidities, drugs


@cache
def _rules() -> dict[str, Any]:
    return json.loads(resources.files("trialscout.match").joinpath("rules/match.json").read_text("utf-8"))


def reference_limit(analyte: str, which: str) -> float | None:
    """The assumed adult ULN (`which='uln'`) or LLN of an analyte in its canonical unit (vocab/analytes.json)."""
    return analytes.reference_limit(analyte, which)


def response_contradicts(wanted: str | None, recorded: str | None) -> bool:
    """Whether a therapy's recorded response rules out the criterion's ('progressed' vs a recorded PR)."""
    rule = _rules()["therapy_response"].get(wanted or "")
    if not rule or not recorded:
        return False
    return " ".join(recorded.lower().split()) in {w.lower() for w in rule["contradicted_by"]}


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


def concept_within(specific: list[str], general: list[str]) -> bool:
    """Whether a concept of `specific` is one of `general` or lies below it in the clinical vocabulary."""
    return any(clinical.subsumes(g, s) for g in general for s in specific)


def concept_codes_of(words: str) -> list[str]:
    """The clinical vocabulary's concepts for exactly these words (a patient's condition as written)."""
    hits = clinical.find(words)
    if len(hits) != 1 or hits[0].start != 0 or hits[0].end != len(words):
        return []
    return [i for i in hits[0].ids if not clinical.is_general(i)]


@cache
def comorbidity_codes(key: str) -> tuple[str, ...]:
    """The clinical vocabulary's concepts for a comorbidity key (from its name and terms), to read what a note
    names in the vocabulary's words ('cardiovascular_disease': the DO concept 'valvular heart disease' is below)."""
    canon = comorbidities.canonical(key) or key
    spec = comorbidities.comorbidities().get(canon, {})
    names = [canon.replace("_", " "), *spec.get("terms", [])]
    out: list[str] = []
    for name in names:
        hits = clinical.find(name)
        if len(hits) == 1 and hits[0].start == 0 and hits[0].end == len(name):
            out += [i for i in hits[0].ids if not clinical.is_general(i)]
    return tuple(dict.fromkeys(out))


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


def therapy_matches(c: Constraint, t: PriorTherapy) -> bool | None:
    """Whether a patient's therapy is the agent, a member of the class, or of the modality the criterion names;
    None when a drug of unknown class may or may not be of the modality."""
    agent = (t.agent or "").lower()
    if c.agent:
        return bool(agent) and (agent == c.agent.lower() or c.agent.lower() in agent)
    if c.agent_class:
        return t.agent_class == c.agent_class or c.agent_class in drugs.classes_of(agent)
    if c.modality:
        return _modality_matches(c.modality, t, agent)
    return False


def _modality_matches(modality: str, t: PriorTherapy, agent: str) -> bool | None:
    if t.modality not in drugs.satisfied_by(modality):
        return False
    wanted = drugs.modality_classes(modality)
    if wanted is None or t.modality != "drug":
        return True
    have = set(drugs.classes_of(agent)) | ({t.agent_class} if t.agent_class else set())
    if not agent and not have:
        return True if drugs.modality_generic(modality) else None
    if have & wanted:
        return True
    return False if have else None


def checkable_settings(settings: list[str] | None) -> list[str]:
    """A criterion's setting words without the descriptors no record lists (`histologically_confirmed`, `primary`)."""
    descriptors = set(_rules()["condition_settings"]["descriptors"])
    return [s for s in settings or [] if s not in descriptors]


def setting_holds(wanted: list[str], have: set[str]) -> bool | None:
    """Whether a diagnosis with setting words `have` is in one of the `wanted` settings: True when the record confirms
    one, False when it contradicts every one, None otherwise (a word the record lacks is not evidence against it)."""
    found = [_one_setting(w, have) for w in checkable_settings(wanted)]
    if any(found):
        return True
    if found and all(f is False for f in found):
        return False
    return None


def _one_setting(wanted: str, have: set[str]) -> bool | None:
    spec = _rules()["condition_settings"]["checkable"].get(wanted, {})
    if wanted in have or have & set(spec.get("confirmed_by", ())):
        return True
    if have & set(spec.get("contradicted_by", ())):
        return False
    return None


def narrowing_qualifiers(qualifier: list[str] | None) -> list[str]:
    """A criterion's comorbidity qualifiers that narrow it (`uncontrolled`, `clinically significant`), canonical."""
    known = comorbidities.qualifiers()
    return [q for q in qualifier or [] if q in known]


def fact_qualifiers(m: Comorbidity) -> list[str]:
    """The narrowing qualifiers a patient's comorbidity carries: in its name or source words, or `active` when the
    record marks it active."""
    words = f"{m.name} {m.provenance.text or ''}"
    return comorbidities.qualifiers_in(words) + (["active"] if m.active is True else [])
