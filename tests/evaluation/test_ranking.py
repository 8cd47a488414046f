"""The ranking pieces the TREC figures rest on: candidate words, feedback words, fusion, score."""

from __future__ import annotations

import pytest

from trialscout.app import fuse
from trialscout.match import INELIGIBLE_PENALTY, LIKELY_FAIL_PENALTY, PASSED_WEIGHT, expansion_words, query_words, score
from trialscout.patient import load_patient
from trialscout.store import Hit


def test_query_words_weight_understood_facts_twice() -> None:
    facts = load_patient("58-year-old woman with metastatic breast cancer and a history of hypertension.")
    words = query_words(facts)
    assert "the" not in words and "with" not in words  # stop words dropped
    assert words.count("breast") >= 2  # once from the note, again as the understood diagnosis
    assert words.count("hypertension") == 2  # once from the note, again as a comorbidity


def test_expansion_words_are_shared_and_deterministic() -> None:
    conditions = [["Breast Neoplasms", "Carcinoma, Ductal"], ["Breast Cancer"], ["Lung Cancer"],
                  ["Carcinoma, Ductal, Breast"]]
    assert expansion_words(conditions) == ["breast", "cancer", "carcinoma", "ductal"]  # by count, then name
    assert expansion_words(conditions, terms=2) == ["breast", "cancer"]
    assert expansion_words([["Asthma"]]) == []  # one trial alone never lends a word


def test_fuse_sums_normalised_scores() -> None:
    a = [Hit(nct_id="NCT1", score=10.0), Hit(nct_id="NCT2", score=5.0)]
    b = [Hit(nct_id="NCT2", score=2.0), Hit(nct_id="NCT3", score=1.0)]
    fused = fuse([(a, 0.5), (b, 0.5)], limit=10)
    assert [(h.nct_id, h.score) for h in fused] == [("NCT2", 0.75), ("NCT1", 0.5), ("NCT3", 0.25)]
    assert [h.nct_id for h in fuse([(a, 0.5), (b, 0.5)], limit=2)] == ["NCT2", "NCT1"]


def test_score_puts_relevance_first_and_ineligibility_below() -> None:
    counts = {"pass": 3, "fail": 1, "unknown": 0}
    eligible = score("eligible", 0.8, {"pass": 4})
    assert eligible == pytest.approx(0.8 + PASSED_WEIGHT)
    assert score("ineligible", 0.8, counts) == pytest.approx(0.8 + PASSED_WEIGHT * 0.75 - INELIGIBLE_PENALTY)
    assert score("ineligible", 1.0, counts) > score("eligible", 0.6, {"pass": 4})  # a penalty, not a burial


def test_a_likely_fail_costs_half_an_ineligibility() -> None:
    counts = {"pass": 3, "unknown": 1, "likely_fail": 1, "part_fails": 1}
    uncertain = score("uncertain", 0.8, counts)
    assert uncertain == pytest.approx(0.8 + PASSED_WEIGHT * 0.75 - LIKELY_FAIL_PENALTY)
    assert score("uncertain", 0.8, {"pass": 3, "unknown": 1}) > uncertain > \
        score("ineligible", 0.8, {"pass": 3, "fail": 1})
    assert LIKELY_FAIL_PENALTY == INELIGIBLE_PENALTY / 2
