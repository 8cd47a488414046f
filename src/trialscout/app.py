"""The application: one object binding a store to search, criteria and matching. Interfaces call only this."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from trialscout.match import criteria_for, expansion_words, match_study, query_words
from trialscout.match.policy import policy as absence_policy
from trialscout.model import Study
from trialscout.model.criteria import Criterion
from trialscout.model.match import TrialMatch
from trialscout.model.patient import PatientFacts
from trialscout.search import search, weighted_expression
from trialscout.store import Hit, Page, SqliteStore, StudyFilters, open_store
from trialscout.store.sqlite import DEFAULT_WEIGHTS

CANDIDATE_WEIGHTS = DEFAULT_WEIGHTS
"""BM25 column weights for candidate retrieval (title, conditions, keywords, interventions, summary, criteria)."""
FEEDBACK_TRIALS = 5
"""How many top candidates lend their conditions' words to the second, expanded candidate search..."""
FEEDBACK_TERMS = 5
"""...and how many of those words at most (each must be shared by two of those trials)..."""
FEEDBACK_FUSION = 0.5
"""...and the share of the expanded search in the fused candidate score (the plain search keeps the rest: the
expansion sharpens the top, the plain search keeps recall)."""
CRITERIA = "criteria"
"""The derived-document kind under which structured criteria are stored at ingest."""
CRITERIA_ENGINE = "criteria_engine"
"""...and the fingerprint of the engine that parsed them."""


_ENGINE_FILES = (".py", ".json", ".gz")


CRITERIA_PACKAGES = ("trialscout.criteria", "trialscout.vocab", "trialscout.context")
MATCH_PACKAGES = (*CRITERIA_PACKAGES, "trialscout.patient", "trialscout.match")


@cache
def engine_version(packages: tuple[str, ...] = CRITERIA_PACKAGES) -> str:
    """A fingerprint of the engine: the code, rules and vocabularies of `packages` (by default those that parse
    criteria). Criteria stored by another version are parsed again when read, and replaced at the next ingest;
    with `MATCH_PACKAGES` it fingerprints every verdict (screening output resumes only under the same one)."""
    digest = hashlib.sha256()
    for package in packages:
        root = resources.files(package)
        files = sorted((p for p in Path(str(root)).rglob("*") if p.suffix in _ENGINE_FILES and p.is_file()),
                       key=lambda p: p.relative_to(str(root)).as_posix())
        for path in files:
            digest.update(path.relative_to(str(root)).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def derive_criteria(study: Study) -> dict[str, Any]:
    """What ingest stores beside each study: its structured criteria (so matching never re-parses)."""
    from trialscout.criteria import parse_criteria

    return {CRITERIA: [c.model_dump(mode="json") for c in parse_criteria(study.eligibility_text or "")],
            CRITERIA_ENGINE: engine_version()}


def stored_criteria(store: SqliteStore, nct_id: str) -> list[dict[str, Any]] | None:
    """The criteria stored at ingest, if this engine parsed them; None means: parse them now."""
    docs = store.get_derived_kinds(nct_id, (CRITERIA, CRITERIA_ENGINE))
    found: list[dict[str, Any]] | None = docs.get(CRITERIA) if docs.get(CRITERIA_ENGINE) == engine_version() else None
    return found


class Trialscout:
    def __init__(self, db: str | Path | None = None, *, readonly: bool = True,
                 store: SqliteStore | None = None) -> None:
        self.store = store or open_store(db, readonly=readonly)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Trialscout:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def search(self, text: str | None, filters: StudyFilters | None = None, *, limit: int = 20, offset: int = 0,
               mode: str = "all") -> Page:
        return search(self.store, text, filters, limit=limit, offset=offset, mode=mode)

    def study(self, nct_id: str) -> Study:
        return self.store.get(nct_id.strip())

    def criteria(self, nct_id: str) -> list[Criterion]:
        study = self.study(nct_id)
        return criteria_for(study, stored_criteria(self.store, study.nct_id))

    def match_one(self, facts: PatientFacts, nct_id: str, *, relevance: float | None = None,
                  filters: StudyFilters | None = None, today: dt.date | None = None,
                  policy: str | None = None) -> TrialMatch:
        """One trial's verdicts and score. Without `relevance`, it is computed as the ranked list computes it
        (under the same `filters`), so a trial scores the same whichever way it is asked for."""
        study = self.study(nct_id)
        if relevance is None:
            relevance = self.relevance(facts, [study.nct_id], filters).get(study.nct_id, 0.0)
        crits = criteria_for(study, stored_criteria(self.store, study.nct_id))
        return match_study(study, facts, criteria=crits, relevance=relevance, today=today, policy=policy)

    def match(self, facts: PatientFacts, *, nct_ids: list[str] | None = None, top: int = 10,
              filters: StudyFilters | None = None, candidates: int = 200,
              today: dt.date | None = None, policy: str | None = None) -> list[TrialMatch]:
        """Rank trials for a patient, best first: the given trials, or candidates retrieved by search. A named
        trial gets the relevance the candidate list (under `filters`) gives it, so both ways score it alike."""
        absence_policy(policy)  # an unknown policy is an error even when no trial is found
        if nct_ids:
            ids = [i.strip().upper() for i in nct_ids]
            found = self.relevance(facts, ids, filters, limit=candidates)
            results = [self.match_one(facts, i, relevance=found.get(i, 0.0), today=today, policy=policy)
                       for i in ids]
            results.sort(key=lambda m: (-m.score, m.nct_id))
        else:
            results = self.rank_candidates(facts, self.candidates(facts, filters, limit=candidates), today=today,
                                           policy=policy)
        return results[:top] if top else results

    def candidates(self, facts: PatientFacts, filters: StudyFilters | None = None, *,
                   limit: int = 200) -> list[Hit]:
        """Candidate trials for a patient, best first: BM25 over the patient's words (`query_words`), fused with
        a second search that adds words the conditions of the first `FEEDBACK_TRIALS` share (pseudo-relevance
        feedback). Scores are the fused, max-normalised BM25 scores (0–1)."""
        return self._candidate_search(facts, filters, limit).hits

    def relevance(self, facts: PatientFacts, nct_ids: list[str], filters: StudyFilters | None = None, *,
                  limit: int = 200) -> dict[str, float]:
        """The relevance (0–1) `rank_candidates` gives these trials: their fused candidate score over the best
        candidate's. A trial outside the candidate list is scored by the same searches restricted to it."""
        found = self._candidate_search(facts, filters, limit)
        fused = {h.nct_id: h.score for h in found.hits}
        best = max(fused.values(), default=0.0) or 1.0
        missing = [i for i in dict.fromkeys(nct_ids) if i not in fused]
        if missing:
            only = StudyFilters(nct_ids=missing)
            for expression, weight, top in found.rankings:
                for h in self.store.search(expression, only, limit=len(missing), weights=CANDIDATE_WEIGHTS,
                                           count_total=False).hits:
                    fused[h.nct_id] = fused.get(h.nct_id, 0.0) + weight * h.score / top
        return {i: min(1.0, fused.get(i, 0.0) / best) for i in nct_ids}

    def _candidate_search(self, facts: PatientFacts, filters: StudyFilters | None, limit: int) -> CandidateSearch:
        words = query_words(facts)
        expression = weighted_expression(words)
        if expression is None:
            return CandidateSearch([], [])
        where = filters or StudyFilters()
        plain = self.store.search(expression, where, limit=limit, weights=CANDIDATE_WEIGHTS, count_total=False).hits
        feedback = expansion_words((h.conditions for h in plain[:FEEDBACK_TRIALS]), terms=FEEDBACK_TERMS)
        if not feedback:
            return CandidateSearch(fuse([(plain, 1.0)], limit), [(expression, 1.0, _best(plain))])
        wider = weighted_expression([*words, *feedback]) or expression
        expanded = self.store.search(wider, where, limit=limit, weights=CANDIDATE_WEIGHTS, count_total=False).hits
        weights = (1.0 - FEEDBACK_FUSION, FEEDBACK_FUSION)
        return CandidateSearch(fuse([(plain, weights[0]), (expanded, weights[1])], limit),
                               [(expression, weights[0], _best(plain)), (wider, weights[1], _best(expanded))])

    def rank_candidates(self, facts: PatientFacts, hits: list[Hit], *, today: dt.date | None = None,
                        policy: str | None = None) -> list[TrialMatch]:
        """Evaluate each candidate and order them by match score (relevance from search, eligibility)."""
        best = max((h.score for h in hits), default=0.0) or 1.0
        results = [self.match_one(facts, h.nct_id, relevance=h.score / best, today=today, policy=policy)
                   for h in hits]
        results.sort(key=lambda m: (-m.score, m.nct_id))
        return results


@dataclass(frozen=True)
class CandidateSearch:
    """The fused candidates, and each search fused into them: (FTS5 expression, weight, its best BM25 score)."""

    hits: list[Hit]
    rankings: list[tuple[str, float, float]]


def _best(hits: list[Hit]) -> float:
    return max((h.score for h in hits), default=0.0) or 1.0


def fuse(rankings: list[tuple[list[Hit], float]], limit: int) -> list[Hit]:
    """Weighted sum of max-normalised scores over several rankings (a trial absent from one gets 0 there)."""
    fused: dict[str, float] = {}
    first: dict[str, Hit] = {}
    for hits, weight in rankings:
        best = max((h.score for h in hits), default=0.0) or 1.0
        for h in hits:
            fused[h.nct_id] = fused.get(h.nct_id, 0.0) + weight * h.score / best
            first.setdefault(h.nct_id, h)
    order = sorted(fused, key=lambda n: (-fused[n], n))[:limit]
    return [first[n].model_copy(update={"score": fused[n]}) for n in order]
