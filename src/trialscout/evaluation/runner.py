"""Rank the corpus for every topic: the real matching pipeline, and plain BM25 as the baseline beside it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from trialscout.app import Trialscout
from trialscout.evaluation.trec import MAX_DEPTH, Ranking, Run
from trialscout.patient import load_patient
from trialscout.search import fts_expression
from trialscout.store import SqliteStore, StudyFilters

BASELINE_WEIGHTS = (1.0, 1.0, 1.0, 0.0, 1.0, 1.0)
"""Plain BM25: title, conditions, keywords, summary and criteria count alike; interventions are left out."""

Topic = tuple[str, str]
"""(topic number, note text)."""


@dataclass
class SystemRun:
    """One system's rankings over the topics, with its candidate-retrieval rankings and the time it took."""

    name: str
    run: Run = field(default_factory=dict)
    candidates: Run = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def seconds_per_topic(self) -> float:
        return self.seconds / len(self.run) if self.run else 0.0


def bm25_ranking(store: SqliteStore, text: str, *, depth: int = MAX_DEPTH) -> Ranking:
    """The note's words (all of them, any may match) ranked by FTS5 BM25 with `BASELINE_WEIGHTS`."""
    expression = fts_expression(text, mode="any", max_terms=None)
    if expression is None:
        return []
    page = store.search(expression, StudyFilters(), limit=depth, weights=BASELINE_WEIGHTS, count_total=False)
    return [(h.nct_id, h.score) for h in page.hits]


def pipeline_ranking(ts: Trialscout, text: str, *, depth: int = MAX_DEPTH) -> tuple[Ranking, Ranking]:
    """The note as a patient through `Trialscout.match`: (final ranking, candidate ranking)."""
    facts = load_patient(text)
    hits = ts.candidates(facts, limit=depth)
    results = ts.rank_candidates(facts, hits)
    return [(m.nct_id, m.score) for m in results[:depth]], [(h.nct_id, h.score) for h in hits]


def run_system(name: str, topics: Iterable[Topic], rank: Callable[[str], tuple[Ranking, Ranking]],
               on_topic: Callable[[str], None] | None = None) -> SystemRun:
    """Apply `rank` (note text → final and candidate rankings) to every topic, timing the whole."""
    result = SystemRun(name)
    for number, text in topics:
        started = time.perf_counter()
        result.run[number], result.candidates[number] = rank(text)
        result.seconds += time.perf_counter() - started
        if on_topic:
            on_topic(number)
    return result


def run_baseline(store: SqliteStore, topics: Iterable[Topic], *, depth: int = MAX_DEPTH,
                 on_topic: Callable[[str], None] | None = None) -> SystemRun:
    def rank(text: str) -> tuple[Ranking, Ranking]:
        ranking = bm25_ranking(store, text, depth=depth)
        return ranking, ranking

    return run_system("bm25", topics, rank, on_topic)


def run_pipeline(ts: Trialscout, topics: Iterable[Topic], *, depth: int = MAX_DEPTH,
                 on_topic: Callable[[str], None] | None = None) -> SystemRun:
    return run_system("trialscout", topics, lambda text: pipeline_ranking(ts, text, depth=depth), on_topic)
