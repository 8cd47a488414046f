"""TREC formats: qrels (`TOPIC ITER DOC GRADE`) in, run files (`TOPIC Q0 DOC RANK SCORE TAG`) out and in."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from trialscout.errors import TrialscoutError

Qrels = dict[str, dict[str, int]]
"""topic → document → grade (TREC CT: 0 not relevant, 1 excluded, 2 eligible)."""
Ranking = list[tuple[str, float]]
"""(document, score), best first."""
Run = dict[str, Ranking]
"""topic → ranking."""

MAX_DEPTH = 1000


class EvaluationError(TrialscoutError):
    """A qrels or run file that cannot be read, or an evaluation that cannot be done."""


def read_qrels(path: str | Path) -> Qrels:
    """Judgements by topic; a malformed line is an error naming the file and line."""
    qrels: Qrels = {}
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4 or not _is_int(parts[3]):
                raise EvaluationError("expected 'TOPIC ITERATION DOCUMENT GRADE'", where=f"{path}:{number}")
            topic, _, doc, grade = parts
            qrels.setdefault(topic, {})[doc] = int(grade)
    return qrels


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


SCORE_STEP = 1e-6


def strictly_decreasing(ranking: Ranking) -> Ranking:
    """The same order with ties broken by a tiny step: trec_eval re-sorts by score (then document id), so the
    written scores must carry our order, not the ranks."""
    out: Ranking = []
    for doc, score in ranking:
        if out and score > out[-1][1] - SCORE_STEP:
            score = out[-1][1] - SCORE_STEP
        out.append((doc, round(score, 6)))
    return out


def run_lines(run: Run, tag: str, *, depth: int = MAX_DEPTH) -> Iterator[str]:
    """Lines of a standard run file: ranks from 1, scores strictly decreasing, at most `depth` per topic."""
    for topic in sorted(run, key=_topic_key):
        for rank, (doc, score) in enumerate(strictly_decreasing(run[topic][:depth]), start=1):
            yield f"{topic} Q0 {doc} {rank} {score:.6f} {tag}"


def write_run(run: Run, out: str | Path | TextIO, tag: str, *, depth: int = MAX_DEPTH) -> None:
    """Write `run` in TREC format to a path or an open text stream."""
    if " " in tag or not tag:
        raise EvaluationError(f"run tag {tag!r} must be one word")
    if isinstance(out, str | Path):
        with open(out, "w", encoding="utf-8") as fh:
            _write_lines(run_lines(run, tag, depth=depth), fh)
    else:
        _write_lines(run_lines(run, tag, depth=depth), out)


def _write_lines(lines: Iterable[str], fh: TextIO) -> None:
    for line in lines:
        fh.write(line + "\n")


def read_run(path: str | Path) -> Run:
    """A run file back into rankings (ordered by rank as written)."""
    ranked: dict[str, list[tuple[int, str, float]]] = {}
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 6:
                raise EvaluationError("expected 'TOPIC Q0 DOCUMENT RANK SCORE TAG'", where=f"{path}:{number}")
            topic, _, doc, rank, score, _tag = parts
            ranked.setdefault(topic, []).append((int(rank), doc, float(score)))
    return {t: [(d, s) for _, d, s in sorted(rows)] for t, rows in ranked.items()}


def _topic_key(topic: str) -> tuple[int, str]:
    return (int(topic), topic) if topic.isdigit() else (1 << 30, topic)
