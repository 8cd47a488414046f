"""Metric plumbing on a tiny hand-made collection: every expected value worked out by hand below."""

from __future__ import annotations

import math

import pytest

from trialscout.evaluation import condense, mean_scores, per_topic, restrict_qrels
from trialscout.evaluation.metrics import scorable_topics

pytest.importorskip("ir_measures", reason="evaluation needs ir-measures + pytrec-eval-terrier")

# Topic 1: a and d eligible (2), b excluded (1), c not relevant (0); d is judged but never retrieved.
# Topic 2: y excluded, x not relevant. Topic 3: only a non-relevant judgement -> not scorable.
QRELS = {"1": {"a": 2, "b": 1, "c": 0, "d": 2}, "2": {"x": 0, "y": 1}, "3": {"z": 0}}
RUN = {"1": [("c", 4.0), ("a", 3.0), ("e", 2.0), ("b", 1.0)],  # e is unjudged
       "2": [("e", 3.0), ("y", 2.0), ("x", 1.0)],
       "3": [("z", 1.0)]}


def dcg(gains: list[int]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


IDEAL_1 = dcg([2, 2, 1, 0])  # 2 + 2/log2(3) + 1/2 = 3.7619
FULL_1 = dcg([0, 2, 0, 1]) / IDEAL_1  # (2/log2(3) + 1/log2(5)) / 3.7619 = 0.4499
JUDGED_1 = dcg([0, 2, 1]) / IDEAL_1  # (2/log2(3) + 1/2) / 3.7619 = 0.4683
FULL_2 = dcg([0, 1, 0]) / dcg([1, 0])  # 1/log2(3) = 0.6309
JUDGED_2 = 1.0  # y first once e is dropped


def test_hand_computed_values_are_what_they_claim() -> None:
    assert abs(IDEAL_1 - 3.7619) < 1e-4
    assert abs(FULL_1 - 0.4499) < 1e-4
    assert abs(JUDGED_1 - 0.4683) < 1e-4
    assert abs(FULL_2 - 0.6309) < 1e-4


def test_scorable_topics_need_a_relevant_judgement() -> None:
    assert scorable_topics(QRELS) == ["1", "2"]


def test_condense_drops_unjudged_and_keeps_order() -> None:
    assert condense(RUN, QRELS) == {"1": [("c", 4.0), ("a", 3.0), ("b", 1.0)], "2": [("y", 2.0), ("x", 1.0)],
                                    "3": [("z", 1.0)]}


def test_full_run_per_topic() -> None:
    values = per_topic(RUN, QRELS)
    assert values["ndcg@10"] == pytest.approx({"1": FULL_1, "2": FULL_2})
    assert values["p@10"] == pytest.approx({"1": 0.1, "2": 0.0})  # eligible only: a in the top 10; y is grade 1
    assert values["rr"] == pytest.approx({"1": 0.5, "2": 0.0})  # first eligible at rank 2; none for topic 2
    assert values["recall@100"] == pytest.approx({"1": 2 / 3, "2": 1.0})  # a, b of a, b, d; y of y


def test_means_full_and_judged_only() -> None:
    full = mean_scores(RUN, QRELS)
    assert full["ndcg@10"] == pytest.approx((FULL_1 + FULL_2) / 2)
    assert full["p@10"] == pytest.approx(0.05)
    assert full["rr"] == pytest.approx(0.25)
    judged = mean_scores(condense(RUN, QRELS), QRELS)
    assert judged["ndcg@10"] == pytest.approx((JUDGED_1 + JUDGED_2) / 2)
    assert judged["rr"] == pytest.approx(0.25)


def test_a_topic_without_a_ranking_scores_zero() -> None:
    values = per_topic({"1": RUN["1"]}, QRELS)
    assert values["ndcg@10"]["2"] == 0.0 and values["ndcg@10"]["1"] == pytest.approx(FULL_1)


def test_ties_keep_the_ranking_order_not_the_document_id_order() -> None:
    # trec_eval would sort tied scores by document id descending (c before a); our order must win.
    tied = {"1": [("a", 1.0), ("c", 1.0)]}
    assert per_topic(tied, QRELS)["rr"]["1"] == 1.0


def test_restrict_qrels_to_the_corpus() -> None:
    assert restrict_qrels(QRELS, ["a", "b", "x"]) == {"1": {"a": 2, "b": 1}, "2": {"x": 0}}
