"""Matching: a patient against one trial (verdicts with evidence) or against the store (ranked trials)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialscout.match.evaluate import evaluate
from trialscout.model import Study
from trialscout.model.criteria import Criterion
from trialscout.model.match import TrialMatch
from trialscout.model.patient import PatientFacts
from trialscout.vocab import oncotree

__all__ = ["criteria_for", "match_study", "patient_query", "score"]

RELEVANCE_WEIGHT = 0.6
ELIGIBILITY_WEIGHT = 0.4
INELIGIBLE_PENALTY = 1.0


def criteria_for(study: Study, stored: list[dict[str, Any]] | None = None) -> list[Criterion]:
    """The trial's structured criteria: as stored at ingest when available, else parsed now."""
    if stored is not None:
        return [Criterion.model_validate(c) for c in stored]
    from trialscout.criteria import parse_criteria

    return parse_criteria(study.eligibility_text or "")


def score(eligibility: str, relevance: float, counts: dict[str, int]) -> float:
    """Relevance (0–1) and eligibility (share of computable criteria passed) blended; ineligible sinks."""
    computable = counts.get("pass", 0) + counts.get("fail", 0) + counts.get("unknown", 0)
    passed = counts.get("pass", 0) / computable if computable else 0.0
    value = RELEVANCE_WEIGHT * relevance + ELIGIBILITY_WEIGHT * passed
    return value - INELIGIBLE_PENALTY if eligibility == "ineligible" else value


def match_study(study: Study, facts: PatientFacts, *, criteria: list[Criterion] | None = None,
                relevance: float = 0.0, today: dt.date | None = None) -> TrialMatch:
    crits = criteria if criteria is not None else criteria_for(study)
    eligibility, results = evaluate(crits, study.eligibility_text or "", facts, today)
    counts = {"pass": 0, "fail": 0, "unknown": 0, "not_computable": 0}
    for r in results:
        counts[r.verdict if r.computable else "not_computable"] += 1
    return TrialMatch(nct_id=study.nct_id, title=study.brief_title, eligibility=eligibility,
                      relevance=relevance, score=score(eligibility, relevance, counts), counts=counts,
                      criteria=results)


def patient_query(facts: PatientFacts) -> str:
    """Search words for a patient's candidate trials: diagnoses, their OncoTree names, histology, setting,
    metastatic sites and biomarkers; the note text itself when nothing was understood."""
    words: list[str] = []
    tree = oncotree()
    for d in facts.diagnoses:
        words.append(d.name)
        if d.oncotree_code and d.oncotree_code in tree:
            words.append(tree[d.oncotree_code].name)
            words.append(tree[d.oncotree_code].main_type or "")
        words += [d.histology or "", *d.setting, *(f"{s} metastases" for s in d.metastatic_sites)]
    words += [b.name for b in facts.biomarkers]
    text = " ".join(w.replace("_", " ") for w in words if w)
    return text or " ".join(facts.notes)
