"""The application object on a real store (the bundled sample): one score per (patient, trial), whichever way the
trial is asked for: in the ranked list, named, alone, under filters, or from outside the candidate list."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialscout.app import Trialscout
from trialscout.patient import from_note
from trialscout.search import build_filters

NOTE = ("A 61-year-old woman with metastatic breast cancer, ER positive, HER2 negative, with liver and bone "
        "metastases. She received letrozole and palbociclib, then capecitabine. ECOG 1. No brain metastases.")


def test_ranked_named_and_single_trials_score_alike(served_db: Path) -> None:
    facts = from_note(NOTE)
    with Trialscout(served_db) as ts:
        ranked = ts.match(facts, top=0)
        assert len(ranked) > 50 and ranked[0].relevance == max(m.relevance for m in ranked) == 1.0
        named = {m.nct_id: m for m in ts.match(facts, nct_ids=[m.nct_id.lower() for m in ranked], top=0)}
        for m in ranked:
            assert (named[m.nct_id].score, named[m.nct_id].relevance) == (m.score, m.relevance), m.nct_id
        for m in ranked[:: len(ranked) // 5]:
            assert ts.match_one(facts, m.nct_id).score == m.score


def test_filters_normalise_the_named_trials_as_they_do_the_list(served_db: Path) -> None:
    facts = from_note(NOTE)
    completed = build_filters(statuses=["COMPLETED"])
    with Trialscout(served_db) as ts:
        ranked = ts.match(facts, top=10, filters=completed)
        named = ts.match(facts, nct_ids=[m.nct_id for m in ranked], filters=completed, top=0)
        assert [(m.nct_id, m.score) for m in named] == [(m.nct_id, m.score) for m in ranked]
        assert ts.match_one(facts, ranked[2].nct_id, filters=completed).score == ranked[2].score


def test_a_trial_outside_the_candidates_gets_what_a_longer_list_would_give_it(served_db: Path) -> None:
    facts = from_note(NOTE)
    with Trialscout(served_db) as ts:
        short = {h.nct_id for h in ts.candidates(facts, limit=20)}
        every = ts.candidates(facts, limit=10_000)
        best = max(h.score for h in every)
        outside = [h for h in every if h.nct_id not in short][:5]
        assert outside
        found = ts.relevance(facts, [h.nct_id for h in outside], limit=20)
        for h in outside:
            assert found[h.nct_id] == pytest.approx(h.score / best, rel=1e-9)
