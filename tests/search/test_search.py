"""Search over a real store: BM25 ranking, filters, safe query text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialscout.errors import QueryError
from trialscout.model import Study
from trialscout.search import build_filters, fts_expression, search
from trialscout.store import SqliteStore


@pytest.fixture
def filled(store: SqliteStore, v2_json_dir: Path) -> SqliteStore:
    with store.transaction():
        for f in sorted(v2_json_dir.glob("*.json")):
            store.upsert(Study.from_v2(json.loads(f.read_text("utf-8"))))
    return store


def test_text_search_ranks_the_trial_about_it_first(filled: SqliteStore) -> None:
    page = search(filled, "atopic dermatitis dupilumab")
    assert page.hits[0].nct_id == "NCT02210780"
    assert page.hits[0].conditions == ["Atopic Dermatitis"]


def test_all_words_by_default_any_word_on_request(filled: SqliteStore) -> None:
    assert search(filled, "dermatitis glutamate").total == 0
    assert {h.nct_id for h in search(filled, "dermatitis glutamate", mode="any").hits} == \
        {"NCT02210780", "NCT03418623"}


def test_filters(filled: SqliteStore) -> None:
    def ids(**kw: object) -> set[str]:
        return {h.nct_id for h in search(filled, None, build_filters(**kw), limit=100).hits}

    everything = ids()
    assert len(everything) == 11
    assert ids(statuses=["Not yet recruiting"]) == {"NCT06171568"}
    assert ids(phases=["Phase 2"]) == {"NCT02210780", "NCT03418623"}
    assert ids(study_types=["observational"]) <= everything
    assert "NCT03418623" in ids(age=30) and "NCT03418623" not in ids(age=45)  # 21-40 years
    assert "NCT03418623" in ids(countries=["United States"])
    assert ids(countries=["United States"]) == ids(countries=["us"]) == ids(countries=["USA"])
    assert "NCT03418623" not in ids(countries=["China"])
    assert ids(nct_ids=["nct02210780"]) == {"NCT02210780"}


def test_metastases_finds_metastasis(store: SqliteStore, v2_json_dir: Path) -> None:
    data = json.loads((v2_json_dir / "NCT03418623.json").read_text("utf-8"))
    data["protocolSection"]["conditionsModule"]["conditions"] = ["Brain Metastases"]
    with store.transaction():
        store.upsert(Study.from_v2(data))
    assert search(store, "brain metastasis").total == 1
    assert search(store, "brain metastases").total == 1


@pytest.mark.parametrize("text", ['"', "*", "NEAR(a b)", "title:cancer", "a AND OR NOT", "x" * 10_000,
                                  "'; DROP TABLE studies; --", "^cancer", "(((", "-", ""])
def test_hostile_query_text_never_reaches_fts_as_syntax(filled: SqliteStore, text: str) -> None:
    page = search(filled, text)
    assert page.total is not None and page.total >= 0
    assert filled.count() == 11


def test_fts_expression_quotes_every_term_and_caps_length() -> None:
    assert fts_expression('brain "metastases" NEAR*') == '"brain" AND "metastasis" AND "near"'
    assert fts_expression("  ") is None
    assert fts_expression(" ".join(f"w{i}" for i in range(500))).count('"') == 2 * 64


@pytest.mark.parametrize(("kw", "message"), [
    ({"statuses": ["open-ish"]}, "unknown status"), ({"phases": ["PHASE9"]}, "unknown phase"),
    ({"sex": "robot"}, "unknown sex"), ({"age": 430}, "outside"), ({"nct_ids": ["NCT1"]}, "not an NCT ID"),
    ({"countries": ["Atlantis"]}, "unknown country")])
def test_bad_filters_are_clear_errors(kw: dict, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        build_filters(**kw)


def test_bad_paging(filled: SqliteStore) -> None:
    with pytest.raises(QueryError):
        search(filled, "cancer", limit=0)
    with pytest.raises(QueryError):
        search(filled, "cancer", offset=-1)
