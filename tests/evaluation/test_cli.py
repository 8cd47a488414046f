"""`trialscout eval` end to end on a small store built from the fixture XML records and hand-written topics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trialscout.cli import app
from trialscout.evaluation import read_run

pytest.importorskip("ir_measures", reason="evaluation needs ir-measures + pytrec-eval-terrier")

FIXTURE_XML = Path(__file__).resolve().parents[1] / "fixtures" / "xml"

TOPICS = """<topics task="test">
<topic number="1">58-year-old woman with HER2-positive metastatic breast cancer with liver metastases,
previously treated with trastuzumab and paclitaxel.</topic>
<topic number="2">62-year-old woman with endometrial cancer, planned for surgery.</topic>
<topic number="3">45 year old man with acute pancreatitis.</topic>
</topics>
"""
QRELS = """1 0 NCT03133988 2
1 0 NCT03459976 0
1 0 NCT00004475 0
2 0 NCT03459976 2
2 0 NCT03133988 0
3 0 NCT00004475 1
3 0 NCT99999999 2
"""


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("eval")
    (root / "topics.xml").write_text(TOPICS, encoding="utf-8")
    (root / "qrels.txt").write_text(QRELS, encoding="utf-8")
    return root


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, ["eval", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_eval_ingests_runs_and_scores(collection: Path) -> None:
    db, run = collection / "store.db", collection / "run.txt"
    common = ["--topics", str(collection / "topics.xml"), "--qrels", str(collection / "qrels.txt"), "--db", str(db)]
    table = invoke(*common, "--corpus", str(FIXTURE_XML), "--run", str(run))
    assert "| bm25 |" in table and "| trialscout |" in table and "judged NDCG@10" in table
    assert "3 topics run; means over the 3 with a relevant judged trial" in table

    pipeline, baseline = read_run(run), read_run(f"{run}.bm25")
    assert set(pipeline) == set(baseline) == {"1", "2", "3"}
    assert pipeline["1"][0][0] == "NCT03133988"  # the HER2+ metastatic breast cancer trial first
    assert pipeline["2"][0][0] == "NCT03459976"
    line = run.read_text(encoding="utf-8").splitlines()[0].split()
    assert line[:2] == ["1", "Q0"] and line[3] == "1" and line[5] == "trialscout"

    # Again, from the JSON figures, without re-ingesting: the store persisted; two topics only.
    figures = json.loads(invoke(*common, "--limit-topics", "2", "--json"))
    assert figures["topics"] == 2 and figures["scored_topics"] == 2
    systems = {s["name"]: s for s in figures["systems"]}
    assert systems["trialscout"]["judged"]["ndcg@10"] == pytest.approx(1.0)
    assert 0.0 < systems["bm25"]["judged"]["ndcg@10"] <= 1.0
    assert systems["trialscout"]["candidates"]["recall@100"] == pytest.approx(1.0)


def test_eval_reports_a_missing_file_in_one_line(collection: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--topics", str(collection / "nope.xml"), "--qrels",
                                      str(collection / "qrels.txt"), "--db", str(collection / "x.db")])
    assert result.exit_code == 1
    assert "no such file" in result.output
