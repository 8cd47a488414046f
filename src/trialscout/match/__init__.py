"""Matching: a patient against one trial (verdicts with evidence) or against the store (ranked trials)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterable
from importlib import resources
from typing import Any

from trialscout.match.evaluate import evaluate
from trialscout.match.policy import policy as absence_policy
from trialscout.match.structured import record_criteria, structured_criteria
from trialscout.model import Study
from trialscout.model.compiled import CompiledTrial
from trialscout.model.criteria import Criterion
from trialscout.model.match import CriterionResult, TrialMatch
from trialscout.model.patient import PatientFacts
from trialscout.vocab import oncotree

__all__ = ["criteria_for", "expansion_words", "match_study", "match_trial", "patient_query", "query_words", "score",
           "verdict_counts"]

RELEVANCE_WEIGHT = 1.0
"""Topicality (the search score relative to the best candidate's) carries the ranking..."""
PASSED_WEIGHT = 0.1
"""...the share of computable criteria the patient passes nudges it..."""
INELIGIBLE_PENALTY = 0.2
"""...and a failing criterion lowers it, without burying the trial: criteria extraction errs, and a trial the
patient is excluded from still concerns the patient's disease. Tuned on TREC 2021 (bench/trec_experiments.md)."""
LIKELY_FAIL_PENALTY = 0.1
"""An unknown criterion with a failing part (not fully read, or an alternative failing while another is open) is
half the evidence of a fail: half the penalty (bench/trec_experiments.md, block F)."""

_WORD = re.compile(r"\w+")
NOTE_STOPWORDS = frozenset(
    json.loads(resources.files("trialscout.match").joinpath("rules/match.json").read_text("utf-8"))
    ["note_stopwords"]["words"])
"""Words of a clinical note that say nothing about which trials fit (data: `match/rules/match.json`)."""


def criteria_for(study: Study, stored: list[dict[str, Any]] | None = None) -> list[Criterion]:
    """The trial's structured criteria: as stored at ingest when available, else parsed now."""
    if stored is not None:
        return [Criterion.model_validate(c) for c in stored]
    from trialscout.criteria import parse_criteria

    return parse_criteria(study.eligibility_text or "")


def score(eligibility: str, relevance: float, counts: dict[str, int]) -> float:
    """Relevance (0–1) first; the share of the criteria that apply which the patient is known to meet adds a
    little (a presumed pass counts half, a criterion nothing of which was understood counts as not met);
    ineligibility subtracts, and an unknown criterion with a failing part (a likely fail, or one alternative
    failing while another is open) half as much."""
    applying = sum(counts.get(k, 0) for k in ("pass", "fail", "unknown", "not_computable"))
    known = counts.get("pass", 0) - 0.5 * counts.get("presumed", 0)
    passed = known / applying if applying else 0.0
    value = RELEVANCE_WEIGHT * relevance + PASSED_WEIGHT * passed
    if eligibility == "ineligible":
        return value - INELIGIBLE_PENALTY
    return value - LIKELY_FAIL_PENALTY if counts.get("part_fails", 0) else value


def match_study(study: Study, facts: PatientFacts, *, criteria: list[Criterion] | None = None,
                relevance: float = 0.0, today: dt.date | None = None, policy: str | None = None) -> TrialMatch:
    """Every criterion of the trial (its written ones, then its record's age range and sex) against the facts,
    under an absence policy (`default` or `strict`, see `match/rules/policy.json`)."""
    crits = (criteria if criteria is not None else criteria_for(study)) + structured_criteria(study)
    return _match(study.nct_id, study.brief_title, study.eligibility_text or "", crits, facts, relevance, today,
                  policy)


def match_trial(trial: CompiledTrial, facts: PatientFacts, *, relevance: float = 0.0, today: dt.date | None = None,
                policy: str | None = None, explain: bool = True) -> TrialMatch:
    """`match_study` on a trial's compiled form (`model.compiled`): the same verdicts, without the Study. Without
    `explain`, the verdicts, counts and score are the same, the criteria unordered and not fully explained (see
    `evaluate`)."""
    crits = [*trial.criteria, *record_criteria(trial.minimum_age, trial.maximum_age, trial.sex)]
    return _match(trial.nct_id, trial.title, trial.block, crits, facts, relevance, today, policy, explain)


def _match(nct_id: str, title: str | None, block: str, crits: list[Any], facts: PatientFacts, relevance: float,
           today: dt.date | None, policy: str | None, explain: bool = True) -> TrialMatch:
    rules = absence_policy(policy)
    eligibility, results = evaluate(crits, block, facts, today, rules, explain=explain)
    counts = verdict_counts(results)
    value = score(eligibility, relevance, counts)
    return TrialMatch(nct_id=nct_id, title=title, eligibility=eligibility,
                      relevance=relevance, score=value, counts=counts, criteria=results, policy=rules.name)


def verdict_counts(results: list[CriterionResult]) -> dict[str, int]:
    """Criteria by verdict, each counted once: pass (and, of them, `presumed`), fail, unknown (and, of them,
    `likely_fail`: it would fail, but the criterion was not fully read; and `part_fails`: some understood part
    of it fails, an alternative's perhaps), not_applicable,
    not_computable (unknown, nothing of it understood); a group's alternatives under `alternative`."""
    counts = {"pass": 0, "presumed": 0, "fail": 0, "unknown": 0, "likely_fail": 0, "part_fails": 0,
              "not_applicable": 0, "not_computable": 0}
    for r in results:
        if r.alternative_of is not None:  # settled through its lead-in, which counts the group once
            counts["alternative"] = counts.get("alternative", 0) + 1
        elif r.verdict == "unknown" and not r.computable:
            counts["not_computable"] += 1
        else:
            counts[r.verdict] += 1
            counts["presumed"] += r.verdict == "pass" and r.presumed
            counts["likely_fail"] += r.verdict == "unknown" and r.likely_fail
            counts["part_fails"] += r.verdict == "unknown" and any(e.verdict == "fail" for e in r.evidence)
    return counts


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


def query_words(facts: PatientFacts) -> list[str]:
    """Candidate-retrieval words, repeated to weight them: every content word of the notes once, then the
    understood diagnoses (with OncoTree names) and comorbidities again, so they count twice."""
    note = [w for text in facts.notes for w in _WORD.findall(text.lower()) if w not in NOTE_STOPWORDS]
    words = list(dict.fromkeys(note))
    if facts.diagnoses or facts.biomarkers:
        words += _WORD.findall(patient_query(facts).lower())
    words += [w for c in facts.comorbidities for w in _WORD.findall(c.name.lower())]
    return [w.replace("_", " ") for w in words]


def expansion_words(conditions: Iterable[list[str]], *, terms: int = 5, min_docs: int = 2) -> list[str]:
    """Pseudo-relevance feedback: the words most often shared by the conditions of the top candidates (each
    word counted once per trial, kept when at least `min_docs` trials share it), at most `terms` of them."""
    counts: Counter[str] = Counter()
    for names in conditions:
        counts.update({w for name in names for w in _WORD.findall(name.lower()) if w not in NOTE_STOPWORDS})
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [w for w, n in ranked[:terms] if n >= min_docs]
