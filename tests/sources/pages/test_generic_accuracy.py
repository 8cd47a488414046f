"""The generic reader on layouts it was not written for: pages of three made-up sites rendered from real
ClinicalTrials.gov v2 records (tests/fixtures/pages/generic, answer key truth.json; bench/pages_accuracy.py)."""

from __future__ import annotations

import importlib.util
import json
from collections import defaultdict

from tests.sources.pages.conftest import FIXTURES, REPO
from trialscout.sources.pages import explain

GENERIC = FIXTURES / "generic"
FLOOR = 0.95


def _bench():
    spec = importlib.util.spec_from_file_location("pages_accuracy", REPO / "bench" / "pages_accuracy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generic_reader_field_accuracy_per_layout() -> None:
    bench = _bench()
    truth = json.loads((GENERIC / "truth.json").read_text("utf-8"))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, want in truth.items():
        expl = explain(name, (GENERIC / name).read_bytes())
        assert expl.layout == "generic", name
        assert expl.study is not None, (name, expl.error)
        right, total, _ = bench.score(bench.read_back(expl.record), want)
        layout = name.split("-", 1)[1].rsplit(".", 1)[0]
        totals[layout][0] += right
        totals[layout][1] += total
    assert set(totals) == {"dl-html", "table-html", "markdown"}
    accuracy = {layout: r / t for layout, (r, t) in totals.items()}
    print("generic reader field accuracy:", {k: f"{v:.1%}" for k, v in accuracy.items()})
    assert all(a >= FLOOR for a in accuracy.values()), accuracy


def test_generic_pages_never_take_the_similar_trial() -> None:
    for page in GENERIC.glob("NCT*"):
        out = json.dumps(explain(page.name, page.read_bytes()).record)
        assert "NCT09999991" not in out and "A Different Study" not in out
