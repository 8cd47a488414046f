"""TREC formats: qrels in, run files out and back."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from trialscout.evaluation import EvaluationError, read_qrels, read_run, write_run
from trialscout.evaluation.trec import strictly_decreasing


def test_read_qrels(tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_text("1 0 NCT00000001 2\n1 0 NCT00000002 0\n\n10 0 NCT00000001 1\n", encoding="utf-8")
    assert read_qrels(path) == {"1": {"NCT00000001": 2, "NCT00000002": 0}, "10": {"NCT00000001": 1}}


def test_bad_qrels_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_text("1 0 NCT00000001 2\n1 0 NCT00000002 eligible\n", encoding="utf-8")
    with pytest.raises(EvaluationError, match=r"q\.txt:2"):
        read_qrels(path)


def test_run_file_format() -> None:
    run = {"10": [("NCT2", 0.5)], "2": [("NCT1", 3.0), ("NCT3", 1.25)]}
    buf = io.StringIO()
    write_run(run, buf, "mytag")
    assert buf.getvalue().splitlines() == ["2 Q0 NCT1 1 3.000000 mytag", "2 Q0 NCT3 2 1.250000 mytag",
                                           "10 Q0 NCT2 1 0.500000 mytag"]


def test_run_round_trip_depth_and_ties(tmp_path: Path) -> None:
    ranking = [(f"NCT{i:08d}", 1.0) for i in range(1200)]  # all tied
    path = tmp_path / "run.txt"
    write_run({"1": ranking}, path, "t")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1000  # at most 1,000 trials per topic
    fields = [line.split() for line in lines]
    assert all(len(f) == 6 and f[1] == "Q0" and f[5] == "t" for f in fields)
    assert [int(f[3]) for f in fields] == list(range(1, 1001))
    scores = [float(f[4]) for f in fields]
    assert all(a > b for a, b in zip(scores, scores[1:], strict=False))  # ties broken, order kept
    assert [d for d, _ in read_run(path)["1"]] == [d for d, _ in ranking[:1000]]


def test_strictly_decreasing_only_touches_ties() -> None:
    assert strictly_decreasing([("a", 3.0), ("b", 2.0), ("c", 2.0), ("d", 5.0)]) == [
        ("a", 3.0), ("b", 2.0), ("c", 1.999999), ("d", 1.999998)]


def test_tag_must_be_one_word() -> None:
    with pytest.raises(EvaluationError):
        write_run({}, io.StringIO(), "two words")
