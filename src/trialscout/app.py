"""The application: one object binding a store to search, criteria and matching. Interfaces call only this."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from trialscout.match import criteria_for, expansion_words, match_study, query_words
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


@cache
def engine_version() -> str:
    """A fingerprint of the criteria engine: its code, rules and vocabularies. Criteria stored by another version
    are parsed again when read, and replaced at the next ingest."""
    digest = hashlib.sha256()
    for package in ("trialscout.criteria", "trialscout.vocab"):
        root = resources.files(package)
        files = sorted((p for p in Path(str(root)).rglob("*") if p.suffix in (".py", ".json") and p.is_file()),
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

    def match_one(self, facts: PatientFacts, nct_id: str, *, relevance: float = 0.0,
                  today: dt.date | None = None) -> TrialMatch:
        study = self.study(nct_id)
        crits = criteria_for(study, stored_criteria(self.store, study.nct_id))
        return match_study(study, facts, criteria=crits, relevance=relevance, today=today)

    def match(self, facts: PatientFacts, *, nct_ids: list[str] | None = None, top: int = 10,
              filters: StudyFilters | None = None, candidates: int = 200,
              today: dt.date | None = None) -> list[TrialMatch]:
        """Rank trials for a patient, best first: the given trials, or candidates retrieved by search."""
        if nct_ids:
            results = [self.match_one(facts, i, today=today) for i in nct_ids]
            results.sort(key=lambda m: (-m.score, m.nct_id))
        else:
            results = self.rank_candidates(facts, self.candidates(facts, filters, limit=candidates), today=today)
        return results[:top] if top else results

    def candidates(self, facts: PatientFacts, filters: StudyFilters | None = None, *,
                   limit: int = 200) -> list[Hit]:
        """Candidate trials for a patient, best first: BM25 over the patient's words (`query_words`), fused with
        a second search that adds words the conditions of the first `FEEDBACK_TRIALS` share (pseudo-relevance
        feedback). Scores are the fused, max-normalised BM25 scores (0–1)."""
        words = query_words(facts)
        expression = weighted_expression(words)
        if expression is None:
            return []
        where = filters or StudyFilters()
        plain = self.store.search(expression, where, limit=limit, weights=CANDIDATE_WEIGHTS, count_total=False).hits
        feedback = expansion_words((h.conditions for h in plain[:FEEDBACK_TRIALS]), terms=FEEDBACK_TERMS)
        if not feedback:
            return fuse([(plain, 1.0)], limit)
        expression = weighted_expression([*words, *feedback])
        expanded = self.store.search(expression, where, limit=limit, weights=CANDIDATE_WEIGHTS,
                                     count_total=False).hits
        return fuse([(plain, 1.0 - FEEDBACK_FUSION), (expanded, FEEDBACK_FUSION)], limit)

    def rank_candidates(self, facts: PatientFacts, hits: list[Hit], *,
                        today: dt.date | None = None) -> list[TrialMatch]:
        """Evaluate each candidate and order them by match score (relevance from search, eligibility)."""
        best = max((h.score for h in hits), default=0.0) or 1.0
        results = [self.match_one(facts, h.nct_id, relevance=h.score / best, today=today) for h in hits]
        results.sort(key=lambda m: (-m.score, m.nct_id))
        return results


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
