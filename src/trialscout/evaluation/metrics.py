"""Scores of a run against qrels with ir-measures: NDCG@10 (graded), P@10 and RR (eligible = grade 2), R@100."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from trialscout.evaluation.trec import EvaluationError, Qrels, Run, strictly_decreasing

ELIGIBLE = 2
"""TREC CT grade of a trial the patient is eligible for; grade 1 = excluded (relevant but ineligible)."""
MEASURE_NAMES = ("ndcg@10", "p@10", "rr", "recall@100")


@cache
def measures() -> dict[str, Any]:
    """Our names → ir-measures measures (imported on first use, so the rest of trialscout runs without it).
    Recall@100 counts grades 1 and 2 as relevant (could matching see the trial at all)."""
    try:
        from ir_measures import RR, P, R, nDCG
    except ImportError:
        raise EvaluationError("evaluation needs ir-measures: pip install ir-measures pytrec-eval-terrier") from None
    return {"ndcg@10": nDCG @ 10, "p@10": P(rel=ELIGIBLE) @ 10, "rr": RR(rel=ELIGIBLE), "recall@100": R @ 100}


def restrict_qrels(qrels: Qrels, documents: Iterable[str]) -> Qrels:
    """Judgements of documents that exist in the corpus only (the rest can never be retrieved)."""
    have = set(documents)
    out = {t: {d: g for d, g in judged.items() if d in have} for t, judged in qrels.items()}
    return {t: judged for t, judged in out.items() if judged}


def scorable_topics(qrels: Qrels) -> list[str]:
    """Topics with at least one relevant (grade ≥ 1) judged document: the only ones NDCG can rank."""
    return [t for t, judged in qrels.items() if any(g > 0 for g in judged.values())]


def condense(run: Run, qrels: Qrels) -> Run:
    """Judged-only (condensed) run: unjudged documents dropped, order kept (Sakai's condensed lists)."""
    return {t: [(d, s) for d, s in ranking if d in qrels.get(t, {})] for t, ranking in run.items()}


def per_topic(run: Run, qrels: Qrels, topics: Iterable[str] | None = None) -> dict[str, dict[str, float]]:
    """Measure name → topic → value, over `topics` (default: scorable topics); a topic with no ranking scores 0."""
    table = measures()
    import ir_measures

    wanted = list(topics) if topics is not None else scorable_topics(qrels)
    q = [ir_measures.Qrel(t, d, g) for t in wanted for d, g in qrels.get(t, {}).items()]
    r = [ir_measures.ScoredDoc(t, d, s) for t in wanted for d, s in strictly_decreasing(run.get(t, []))]
    names = {m: name for name, m in table.items()}
    values: dict[str, dict[str, float]] = {name: dict.fromkeys(wanted, 0.0) for name in table}
    for metric in ir_measures.iter_calc(list(table.values()), q, r):
        values[names[metric.measure]][metric.query_id] = float(metric.value)
    return values


def mean_scores(run: Run, qrels: Qrels, topics: Iterable[str] | None = None) -> dict[str, float]:
    """Mean of each measure over the topics (default: scorable topics)."""
    values = per_topic(run, qrels, topics)
    return {name: (sum(v.values()) / len(v) if v else 0.0) for name, v in values.items()}
