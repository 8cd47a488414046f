"""TREC-style evaluation: every topic through the matching pipeline, beside plain BM25, scored with ir-measures."""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from pathlib import Path

from trialscout.app import Trialscout
from trialscout.evaluation.metrics import MEASURE_NAMES, condense, mean_scores, per_topic, restrict_qrels
from trialscout.evaluation.report import Report, format_table, score_systems
from trialscout.evaluation.runner import SystemRun, run_baseline, run_pipeline
from trialscout.evaluation.trec import MAX_DEPTH, EvaluationError, Qrels, Run, read_qrels, read_run, write_run
from trialscout.patient.topics import read_topics

__all__ = ["MAX_DEPTH", "MEASURE_NAMES", "EvaluationError", "Qrels", "Report", "Run", "SystemRun", "condense",
           "evaluate_collection", "format_table", "mean_scores", "per_topic", "read_qrels", "read_run",
           "restrict_qrels", "write_run"]


def evaluate_collection(ts: Trialscout, topics_path: str | Path, qrels_path: str | Path, *,
                        limit_topics: int | None = None, depth: int = MAX_DEPTH, run_path: str | Path | None = None,
                        on_topic: Callable[[str], None] | None = None) -> tuple[Report, list[SystemRun]]:
    """Run the topics through plain BM25 and the pipeline on the store of `ts`; score both against the qrels.

    `run_path` receives the pipeline's run (tag `trialscout`) and, beside it with `.bm25` added, the baseline's.
    """
    qrels = read_qrels(qrels_path)
    topics = list(islice(read_topics(topics_path), limit_topics))
    if not topics:
        raise EvaluationError("no topics", where=str(topics_path))
    baseline = run_baseline(ts.store, topics, depth=depth, on_topic=on_topic)
    pipeline = run_pipeline(ts, topics, depth=depth, on_topic=on_topic)
    if run_path is not None:
        write_run(pipeline.run, run_path, "trialscout", depth=depth)
        write_run(baseline.run, f"{run_path}.bm25", "bm25", depth=depth)
    report = score_systems([baseline, pipeline], qrels, set(ts.store.nct_ids()))
    return report, [baseline, pipeline]
