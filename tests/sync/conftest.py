"""Fixtures of the sync tests: real records served by a real loopback server, and a store's content to compare."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED_DATA, V2_JSON_DIR, require
from tests.sync.ctgov_server import FakeApi, real_records, running

XML_FIXTURES = SHARED_DATA / "ctgov-xml" / "aact-fixtures"


@cache
def _records() -> tuple[dict[str, Any], ...]:
    return tuple(real_records(require(XML_FIXTURES), require(V2_JSON_DIR)))


@pytest.fixture
def records() -> list[dict[str, Any]]:
    """74 real records: the 63 legacy XML AACT fixtures converted by our reader, and the 11 API v2 JSON records."""
    import json

    return [json.loads(json.dumps(r)) for r in _records()]


@pytest.fixture
def api(records: list[dict[str, Any]]) -> Iterator[tuple[FakeApi, str]]:
    fake = FakeApi()
    fake.serve(records)
    with running(fake) as base_url:
        yield fake, base_url


@cache
def _derive_cached(doc: str) -> Any:
    import json

    from trialscout.app import derive_criteria
    from trialscout.model import Study

    return derive_criteria(Study.from_v2(json.loads(doc)))


def derive(study: Any) -> dict[str, Any]:
    """`app.derive_criteria`, remembered across tests for the same record (it is the slow part, and pure)."""
    import copy

    from trialscout.store.rows import canonical_json

    return copy.deepcopy(_derive_cached(canonical_json(study)))


def content(db: Path) -> dict[str, list[tuple]]:
    """Everything a store holds about its studies, keyed by NCT ID rather than row id, without the columns that say
    when and from where a record came (ingested_at, source)."""
    conn = sqlite3.connect(db)
    try:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(studies)") if r[1] not in ("id", "source",
                                                                                       "ingested_at")]
        out = {"studies": conn.execute(f"SELECT {', '.join(cols)} FROM studies ORDER BY nct_id").fetchall()}
        for table in ("conditions", "interventions", "sites", "derived"):
            out[table] = sorted(conn.execute(f"SELECT s.nct_id, t.* FROM {table} t JOIN studies s ON s.id = "
                                             "t.study_id").fetchall(), key=repr)
            out[table] = [r[:1] + r[2:] for r in out[table]]  # without the row id
        out["fts"] = conn.execute("SELECT s.nct_id, f.* FROM studies_fts f JOIN studies s ON s.id = f.rowid "
                                  "ORDER BY s.nct_id").fetchall()
        return out
    finally:
        conn.close()
