"""The hand-checked sample (tests/fixtures/criteria/sample.json): the engine finds what a reader finds.

Each item's `expected` is the truth; `known_miss`/`known_wrong` are the engine's recorded shortfalls
(`bench/criteria_precision.py --update` rewrites them). Any other difference fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from trialscout.criteria.extract import find_all

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from criteria_precision import compare, key  # noqa: E402

SAMPLE = json.loads((Path(__file__).parents[1] / "fixtures/criteria/sample.json").read_text("utf-8"))


def test_every_item_is_hand_checked() -> None:
    assert len(SAMPLE) >= 300
    assert all(it.get("checked") and "expected" in it for it in SAMPLE)


@pytest.mark.parametrize("item", SAMPLE, ids=lambda it: f"{it['id']}")
def test_engine_matches_verified_expectations(item: dict) -> None:
    _, wrong, missed = compare(item, find_all(item["text"], item["type"]))
    known_wrong = {key(c) for c in item.get("known_wrong", [])}
    known_miss = {key(c) for c in item.get("known_miss", [])}
    assert [c for c in wrong if key(c) not in known_wrong] == [], item["text"]
    assert [c for c in missed if key(c) not in known_miss] == [], item["text"]


def test_known_shortfalls_are_not_expectations() -> None:
    for it in SAMPLE:
        want = {key(c) for c in it["expected"]}
        assert not {key(c) for c in it.get("known_wrong", [])} & want, it["text"]
        assert {key(c) for c in it.get("known_miss", [])} <= want, it["text"]
