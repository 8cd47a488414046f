"""The covering filter index: used by filtered searches, and the answers are the same with or without it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import BUNDLED_SAMPLE
from trialscout.ingest import ingest
from trialscout.search import build_filters
from trialscout.search.expand import expanded_expression
from trialscout.store import SqliteStore

CASES = [("breast cancer", {"statuses": ["COMPLETED"]}), ("lymphoma", {"phases": ["PHASE2", "PHASE3"], "age": 50}),
         ("cancer", {"sex": "FEMALE", "countries": ["US"]}), ("lung", {})]


def answers(db: Path) -> list[tuple[list[str], int | None, dict[str, dict[str, int]]]]:
    out = []
    with SqliteStore(db, readonly=True) as store:
        for words, kw in CASES:
            match, filters = expanded_expression(words, mode="all"), build_filters(**kw)
            page = store.search(match, filters, limit=15)
            out.append(([h.nct_id for h in page.hits], page.total, store.facets(match, filters)))
    return out


def test_filtered_search_reads_the_covering_index_and_answers_as_without_it(tmp_path: Path) -> None:
    db = tmp_path / "cover.db"
    with SqliteStore(db) as store:
        ingest(store, [BUNDLED_SAMPLE])
        base, params = store._base(expanded_expression("breast cancer", mode="all"),
                                   build_filters(statuses=["COMPLETED"]), covered=True)
        plan = " ".join(r[3] for r in store.conn.execute(f"EXPLAIN QUERY PLAN SELECT count(*) {base}", params))
        assert "COVERING INDEX studies_filter_cover" in plan
    with_index = answers(db)
    assert all(hits for hits, _, _ in with_index)
    conn = sqlite3.connect(db)
    conn.execute("DROP INDEX studies_filter_cover")  # as a store last written by an older trialscout
    conn.commit()
    conn.close()
    assert answers(db) == with_index
