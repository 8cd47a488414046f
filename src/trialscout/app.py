"""The application: one object binding a store to search, criteria and matching. Interfaces call only this."""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from trialscout.errors import TrialscoutError
from trialscout.match import criteria_for, expansion_words, match_trial, query_words
from trialscout.match.policy import policy as absence_policy
from trialscout.model import Study
from trialscout.model.compiled import FORMAT as COMPILED_FORMAT
from trialscout.model.compiled import CompiledTrial, compile_trial, is_compiled, load_trial, to_model
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
    criteria), and the layout the compiled criteria are stored in. Criteria stored by another version are parsed
    again when read, and replaced at the next ingest; with `MATCH_PACKAGES` it fingerprints every verdict
    (screening output resumes only under the same one)."""
    digest = hashlib.sha256(f"compiled criteria format {COMPILED_FORMAT}".encode())
    for package in packages:
        root = resources.files(package)
        files = sorted((p for p in Path(str(root)).rglob("*") if p.suffix in _ENGINE_FILES and p.is_file()),
                       key=lambda p: p.relative_to(str(root)).as_posix())
        for path in files:
            digest.update(path.relative_to(str(root)).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def derive_criteria(study: Study) -> dict[str, Any]:
    """What ingest stores beside each study: its criteria, parsed and compiled (`model.compiled`), so matching
    never parses them again nor reads the study."""
    from trialscout.criteria import parse_criteria

    block = study.eligibility_text or ""
    em = study.eligibility
    doc = compile_trial(study.nct_id, study.brief_title, block, parse_criteria(block),
                        minimum_age=em.minimumAge if em else None, maximum_age=em.maximumAge if em else None,
                        sex=em.sex.value if em and em.sex else None)
    return {CRITERIA: doc, CRITERIA_ENGINE: engine_version()}


def compiled_now(study: Study, *, remember: bool = False) -> CompiledTrial:
    """A trial's criteria parsed and compiled now (the store holds none of this engine)."""
    return load_trial(derive_criteria(study)[CRITERIA], remember=remember)


def compiled_trial(store: SqliteStore, nct_id: str, *, remember: bool = False) -> CompiledTrial:
    """The trial as matching reads it: compiled at ingest, else parsed now; a trial not stored is a
    NotFoundError. `remember`: it will be matched again (held, or screened against many patients), so its
    criteria keep what matching works out from them alone (`match.traits`)."""
    return stored_trial(store, nct_id, remember=remember) or compiled_now(store.get(nct_id), remember=remember)


def stored_trial(store: SqliteStore, nct_id: str, *, remember: bool = False) -> CompiledTrial | None:
    """The trial as compiled at ingest, if this engine compiled it; None means: parse its criteria now."""
    return current_compiled(store.get_derived_kinds(nct_id, (CRITERIA, CRITERIA_ENGINE)), remember=remember)


def current_compiled(docs: dict[str, Any], *, remember: bool = False) -> CompiledTrial | None:
    """The compiled trial among a study's derived documents, if this engine wrote it in this layout."""
    doc = docs.get(CRITERIA)
    if docs.get(CRITERIA_ENGINE) != engine_version() or not is_compiled(doc):
        return None
    try:
        return load_trial(doc, remember=remember)
    except (KeyError, TypeError, ValueError, AttributeError):  # a document damaged in the file: parse the record
        return None


class Trialscout:
    def __init__(self, db: str | Path | None = None, *, readonly: bool = True,
                 store: SqliteStore | None = None, hold: bool = True) -> None:
        """`hold`: keep the trials `match_all` reads in this process (and its workers) for the next calls, while
        the store is unchanged (`held_trials`); a one-off command leaves it off."""
        self.store = store or open_store(db, readonly=readonly)
        self.hold = hold

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
        compiled = stored_trial(self.store, study.nct_id)
        return [to_model(c) for c in compiled.criteria] if compiled else criteria_for(study)

    def match_one(self, facts: PatientFacts, nct_id: str, *, relevance: float | None = None,
                  filters: StudyFilters | None = None, today: dt.date | None = None,
                  policy: str | None = None) -> TrialMatch:
        """One trial's verdicts and score. Without `relevance`, it is computed as the ranked list computes it
        (under the same `filters`), so a trial scores the same whichever way it is asked for."""
        nct_id = nct_id.strip().upper()
        trial = self._trial(nct_id)
        if relevance is None:
            relevance = self.relevance(facts, [nct_id], filters).get(nct_id, 0.0)
        return match_trial(trial, facts, relevance=relevance, today=today, policy=policy)

    def _trial(self, nct_id: str) -> CompiledTrial:
        """The trial from those this process holds (`held_trials`), read and held if it is not there yet; read
        for this call only when this object holds nothing."""
        held = held_trials(self.store) if self.hold else None
        if held is None:
            return compiled_trial(self.store, nct_id)
        trial = held.get(nct_id)
        if trial is None:
            trial = compiled_trial(self.store, nct_id, remember=True)
            if len(held) < hold_limit():
                held[nct_id] = trial
        return trial

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

    def match_all(self, facts: PatientFacts, *, filters: StudyFilters | None = None, top: int | None = 10,
                  candidates: int = 200, today: dt.date | None = None, policy: str | None = None,
                  workers: int = 1) -> AllMatches:
        """Every stored trial (that `filters` keep) for a patient, ranked as `match` ranks candidates; the `top`
        of them (None: all) with their explanations, the rest as summaries (an explanation is rebuilt only for a
        trial that is shown). Trials whose record's own age range or sex the patient is outside are pruned in
        SQL before any criterion is read: their verdict is ineligible, as full evaluation gives it (the
        record's criterion fails, and one failing criterion makes a trial ineligible), and only that criterion
        is shown; they rank after the others. With `workers` > 1 the trials are shared out between this process
        and `workers` - 1 others, each reading its share from the store."""
        absence_policy(policy)
        base = filters or StudyFilters()
        limits = patient_limits(facts, facts.as_of or today or dt.date.today(), base)
        best = self._candidate_search(facts, filters, candidates).hits
        high = max((h.score for h in best), default=0.0) or 1.0
        job = RankJob(where=replace(base, sex=limits.sex, age_years=limits.age_years), facts=facts,
                      relevance={h.nct_id: h.score / high for h in best}, today=today, policy=policy,
                      hold=self.hold)
        evaluated = _ranked_shards(self.store, job, max(1, workers))
        evaluated.sort(key=lambda r: (-r.score, r.nct_id))
        outside = {t.nct_id: t for t in self._outside(base, limits)}
        pruned = sorted((RankedTrial.of(job.judge(t, pruned=True, explain=False)) for t in outside.values()),
                        key=lambda r: (-r.relevance, r.nct_id))
        ranked = evaluated + pruned
        shown = [job.judge(outside[r.nct_id] if r.pruned else self._trial(r.nct_id), pruned=r.pruned)
                 for r in (ranked[:top] if top is not None else ranked)]
        return AllMatches(ranked=ranked, shown=shown, evaluated=len(evaluated), pruned=len(pruned))

    def _outside(self, base: StudyFilters, limits: StudyFilters) -> list[CompiledTrial]:
        """The trials `base` keeps whose record's age range or sex the patient (`limits`) is outside, reduced to
        their record's limits."""
        return [CompiledTrial(nct_id=nct_id, title=title, block="", criteria=[], minimum_age=record["minimumAge"],
                              maximum_age=record["maximumAge"], sex=record["sex"])
                for nct_id, title, record in self.store.record_limits_outside(base, limits)]

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
class RankedTrial:
    """A trial's place in a ranking without its explanation: verdict, counts and score."""

    nct_id: str
    title: str | None
    eligibility: str
    score: float
    relevance: float
    counts: dict[str, int]
    pruned: bool = False

    @classmethod
    def of(cls, m: TrialMatch) -> RankedTrial:
        return cls(nct_id=m.nct_id, title=m.title, eligibility=m.eligibility, score=m.score, relevance=m.relevance,
                   counts=m.counts, pruned=m.pruned)


@dataclass(frozen=True)
class RankJob:
    """One patient's match against a share of the store: what each worker needs (it pickles)."""

    where: StudyFilters
    facts: PatientFacts
    relevance: dict[str, float]
    today: dt.date | None
    policy: str | None
    hold: bool = False

    def judge(self, trial: CompiledTrial, pruned: bool = False, explain: bool = True) -> TrialMatch:
        m = match_trial(trial, self.facts, relevance=self.relevance.get(trial.nct_id, 0.0), today=self.today,
                        policy=self.policy, explain=explain)
        return m.model_copy(update={"pruned": True}) if pruned else m

    def rank(self, store: SqliteStore, shard: tuple[int, int] | None = None) -> list[RankedTrial]:
        """The trials of this share (`shard`: (count, which) by row id; None: all), judged and summarised; from
        the trials this process holds (`held_trials`) when the store can say they are current."""
        held = held_trials(store, shard) if self.hold else None
        ids = store.ids_where(self.where, shard=shard) if held is not None else []
        missing = sum(nct_id not in held for nct_id in ids) if held is not None else 0
        if held is not None and len(held) + missing > hold_limit():
            held = None  # more than a process should hold (a registry mirror): read the trials each time
        if held is None:  # each trial read, judged and let go: only one is in memory at a time
            return [RankedTrial.of(self.judge(current_compiled(docs) or compiled_now(store.get(nct_id)),
                                              explain=False))
                    for nct_id, docs in store.derived_where(self.where, (CRITERIA, CRITERIA_ENGINE), shard=shard)]
        if missing:
            with gc_paused():  # the trials read are kept: collecting while they pile up only walks them
                held.update({nct_id: current_compiled(docs, remember=True)
                             or compiled_now(store.get(nct_id), remember=True)
                             for nct_id, docs in store.derived_where(self.where, (CRITERIA, CRITERIA_ENGINE),
                                                                     shard=shard)
                             if nct_id not in held})
        return [RankedTrial.of(self.judge(held.get(nct_id) or compiled_trial(store, nct_id), explain=False))
                for nct_id in ids]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: a bulk read makes millions of objects that all live on, and each
    collection would walk every one of them again (it tripled the time to read the sample's trials)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


_HELD: dict[tuple[str, tuple[int, int] | None], tuple[int, dict[str, CompiledTrial]]] = {}


def held_trials(store: SqliteStore, shard: tuple[int, int] | None = None) -> dict[str, CompiledTrial] | None:
    """The compiled trials this process holds of the store (of one share), by NCT ID: filled by the matching
    that reads them, and kept for as long as the store's generation (its write counter) is unchanged, so a
    server, a library user or a worker that matches again reads nothing, and what matching works out from a
    trial alone (`match.traits`) stays worked out. None for a store that keeps no generation."""
    generation = store.generation()
    if generation is None:
        return None
    key = (str(store.path.resolve()), shard)
    held = _HELD.get(key)
    if held is None or held[0] != generation:
        held = _HELD[key] = (generation, {})
    return held[1]


HOLD_LIMIT = 40_000
"""Trials a process holds at most (`held_trials`; about 27 KB each, so about 1 GB); `$TRIALSCOUT_HOLD_LIMIT`
overrides it. A bigger store is read for each match: holding a 570k-trial registry would take 15 GB."""


def hold_limit() -> int:
    try:
        return int(os.environ.get("TRIALSCOUT_HOLD_LIMIT", HOLD_LIMIT))
    except ValueError:
        raise TrialscoutError(f"not a number of trials: {os.environ['TRIALSCOUT_HOLD_LIMIT']!r}",
                              where="$TRIALSCOUT_HOLD_LIMIT") from None


def release_held() -> None:
    """Drop the trials this process holds (`held_trials`), and stop the worker processes holding theirs."""
    _HELD.clear()
    _shut_pool()


def rank_shard(db: str, job: RankJob, shard: tuple[int, int]) -> list[RankedTrial]:
    """`RankJob.rank` in a worker process, on its own read-only connection."""
    with SqliteStore(db, readonly=True) as store:
        return job.rank(store, shard)


SHARDS_PER_WORKER = 8
"""Shares of the store per process in `match_all`: small enough that the processes finish together although the
others start a second or two after this one."""


def _ranked_shards(store: SqliteStore, job: RankJob, workers: int) -> list[RankedTrial]:
    """The job's trials judged here, or shared between this process and `workers` - 1 others: the store is cut
    into shares by row id; the others take them from the front while this process takes them from the back (a
    share is this process's only if the others have not started it), so nobody waits while work is left."""
    if workers <= 1:
        return job.rank(store)
    count = workers * SHARDS_PER_WORKER
    pool = _worker_pool(workers - 1)
    ranked: list[RankedTrial] = []
    try:
        shares = [pool.submit(rank_shard, str(store.path), job, (count, k)) for k in range(count)]
        for k in reversed(range(count)):
            if not shares[k].cancel():
                break
            ranked += job.rank(store, (count, k))
        for future in shares:
            if not future.cancelled():
                ranked += future.result()
    except BaseException:
        _shut_pool()  # a worker lost or an interrupt: the next call starts fresh ones
        raise
    return ranked


_POOL: dict[int, Any] = {}


def _worker_pool(size: int) -> Any:
    """Worker processes kept between calls, so that they start once and keep the trials they hold."""
    pool = _POOL.get(size)
    if pool is None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        _shut_pool()
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("forkserver") if "forkserver" in methods else mp.get_context("spawn")
        pool = _POOL[size] = ProcessPoolExecutor(size, mp_context=ctx)
    return pool


def _shut_pool(wait: bool = False) -> None:
    for pool in _POOL.values():
        pool.shutdown(wait=wait, cancel_futures=True)
    _POOL.clear()


atexit.register(_shut_pool, wait=True)  # before the interpreter tears down what the pool's thread uses


@dataclass(frozen=True)
class AllMatches:
    """A patient against every stored trial: all of them ranked (the evaluated best first, then those pruned by
    their record's age range or sex, by relevance), and the first of them with their explanations."""

    ranked: list[RankedTrial]
    shown: list[TrialMatch]
    evaluated: int
    pruned: int


def patient_limits(facts: PatientFacts, when: dt.date, base: StudyFilters) -> StudyFilters:
    """The pruning filter: the patient's age and sex, where known and where `base` does not already filter on
    them (a trial's record limits are then checked by full evaluation instead)."""
    years = facts.age_years(when) if base.age_years is None else None
    sex = facts.sex.value if facts.sex is not None and base.sex is None else None
    return StudyFilters(sex=sex, age_years=years)


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
