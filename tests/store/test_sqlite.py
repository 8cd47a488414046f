"""The SQLite store on real files: upsert rules, side tables, transactions, WAL readers."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from trialscout.errors import NotFoundError, StoreError
from trialscout.model import Study
from trialscout.store import INSERTED, UNCHANGED, UPDATED, SqliteStore, StudyFilters


def _study(v2_json_dir: Path, nct_id: str) -> Study:
    return Study.from_v2(json.loads((v2_json_dir / f"{nct_id}.json").read_text("utf-8")))


def _with_update(study: Study, date: str, title: str) -> Study:
    data = study.to_v2()
    data["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": date, "type": "ACTUAL"}
    data["protocolSection"]["identificationModule"]["briefTitle"] = title
    return Study.from_v2(data)


def test_upsert_newer_replaces_older_and_same_data_changes_nothing(store: SqliteStore, v2_json_dir: Path) -> None:
    s = _study(v2_json_dir, "NCT03418623")
    with store.transaction():
        assert store.upsert(s) == INSERTED
        assert store.upsert(s) == UNCHANGED
        assert store.upsert(_with_update(s, "2030-01-01", "Newer title")) == UPDATED
        assert store.upsert(_with_update(s, "2001-01-01", "Older title")) == UNCHANGED
    assert store.count() == 1
    assert store.get("NCT03418623").brief_title == "Newer title"
    assert store.search('"newer"', StudyFilters()).total == 1
    assert store.search('"older"', StudyFilters()).total == 0  # the old FTS row went with the old record


def test_stored_json_is_the_full_record(store: SqliteStore, v2_json_dir: Path) -> None:
    original = json.loads((v2_json_dir / "NCT02552212.json").read_text("utf-8"))
    with store.transaction():
        store.upsert(Study.from_v2(original))
    assert store.get_json("nct02552212") == original
    with pytest.raises(NotFoundError, match="NCT00000000"):
        store.get("NCT00000000")


def test_indexed_columns(store: SqliteStore, v2_json_dir: Path) -> None:
    with store.transaction():
        store.upsert(_study(v2_json_dir, "NCT03418623"))
    row = store.conn.execute("SELECT * FROM studies").fetchone()
    assert (row["overall_status"], row["phases"], row["study_type"], row["sex"]) == \
        ("COMPLETED", " PHASE2 ", "INTERVENTIONAL", "ALL")
    assert (row["min_age_years"], row["max_age_years"]) == (21.0, 40.0)
    assert row["lead_sponsor"] == "Laboratorio Farmaceutico Ct S.r.l."
    sites = store.conn.execute("SELECT city, country FROM sites").fetchall()
    assert [tuple(r) for r in sites] == [("Charleston", "United States")]


def test_failed_transaction_leaves_nothing_half_written(store: SqliteStore, v2_json_dir: Path) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert(_study(v2_json_dir, "NCT03418623"))
        raise RuntimeError("interrupted")
    assert store.count() == 0
    for table in ("conditions", "interventions", "sites", "studies_fts"):
        assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_readers_keep_answering_during_a_write(tmp_path: Path, v2_json_dir: Path) -> None:
    path = tmp_path / "wal.db"
    writer = SqliteStore(path)
    with writer.transaction():
        writer.upsert(_study(v2_json_dir, "NCT03418623"))
    assert writer.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    writer.conn.execute("BEGIN IMMEDIATE")
    writer.upsert(_study(v2_json_dir, "NCT02210780"))  # uncommitted write in progress
    seen: list[int] = []
    reader_thread = threading.Thread(target=lambda: seen.append(SqliteStore(path, readonly=True).count()))
    reader_thread.start()
    reader_thread.join(5)
    writer.conn.commit()
    assert seen == [1]  # the reader was not blocked and saw the last committed state
    assert SqliteStore(path, readonly=True).count() == 2
    writer.close()


def test_missing_or_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database"):
        SqliteStore(tmp_path / "absent.db", readonly=True)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="bad.db"):
        SqliteStore(bad)


def test_schema_is_a_real_sqlite_file(store: SqliteStore) -> None:
    names = {r[0] for r in sqlite3.connect(store.path).execute("SELECT name FROM sqlite_master")}
    assert {"studies", "conditions", "interventions", "sites", "derived", "studies_fts"} <= names


def test_legacy_sites_are_geocoded_offline_and_countries_coded(store: SqliteStore) -> None:
    from tests.conftest import FIXTURES
    from trialscout.sources import iter_items

    studies = [i.study for i in iter_items([FIXTURES / "xml"]) if i.ok and i.study.locations]
    assert studies and all(loc.geoPoint is None for s in studies for loc in s.locations)  # XML has no coordinates
    with store.transaction():
        for s in studies:
            store.upsert(s)
    total, placed, coded = store.conn.execute(
        "SELECT count(*), sum(lat IS NOT NULL), sum(country_code IS NOT NULL) FROM sites").fetchone()
    assert placed / total > 0.9 and coded == sum(1 for s in studies for loc in s.locations if loc.country)
    # Philadelphia City Hall is at 39.95 N, 75.16 W; Taipei at 25.05 N, 121.53 E.
    for city, lat, lon in (("Philadelphia", 39.95, -75.16), ("Taipei", 25.05, 121.53)):
        row = store.conn.execute("SELECT lat, lon, geocoded FROM sites WHERE city = ?", (city,)).fetchone()
        assert abs(row["lat"] - lat) < 0.1 and abs(row["lon"] - lon) < 0.1 and row["geocoded"] == 1


def test_a_version_1_store_is_upgraded_in_place(tmp_path: Path, v2_json_dir: Path) -> None:
    path = tmp_path / "old.db"
    with SqliteStore(path) as s:
        with s.transaction():
            s.upsert(_study(v2_json_dir, "NCT03418623"))
        s.conn.executescript("DROP INDEX sites_country; ALTER TABLE sites DROP COLUMN country_code; "
                             "ALTER TABLE sites DROP COLUMN geocoded; UPDATE meta SET value = '1';")
    with pytest.raises(StoreError, match="open it once for writing"):
        SqliteStore(path, readonly=True)
    with SqliteStore(path) as s:
        assert s.conn.execute("SELECT country_code FROM sites").fetchone()[0] == "US"
    assert SqliteStore(path, readonly=True).count() == 1
