"""The hand-checked sample (tests/fixtures/criteria/sample.json): verified constraints must still be found."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from trialscout.criteria.extract import find_all

SAMPLE = json.loads((Path(__file__).parents[1] / "fixtures/criteria/sample.json").read_text("utf-8"))
CHECKED = [it for it in SAMPLE if it.get("checked")]


def _core(c: dict) -> dict:
    return {k: v for k, v in c.items() if k not in ("span",) and v not in (False, None)}


@pytest.mark.parametrize("item", CHECKED, ids=lambda it: f"{it['id']}")
def test_verified_constraints_still_found(item: dict) -> None:
    got = [_core(f) for f in find_all(item["text"], item["type"])]
    for c, verdict in zip(item["found"], item["verdicts"], strict=True):
        if verdict == "ok":
            assert _core(c) in got, (item["text"], c, got)


def test_sample_size_and_precision_is_reported() -> None:
    assert len(SAMPLE) >= 300
    tally: Counter = Counter()
    for it in CHECKED:
        for c, v in zip(it["found"], it["verdicts"], strict=True):
            tally[(c["kind"], v)] += 1
    assert tally  # the figures themselves are printed by bench/criteria_precision.py
