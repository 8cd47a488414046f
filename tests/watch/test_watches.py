"""Watch runs on a real store: new, now matching, changed and gone trials, each found once with its reason."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.watch.conftest import NOTE_MARKER, PATIENT_NOTE, change, set_status
from trialscout.errors import NotFoundError, StoreError
from trialscout.patient.errors import PatientError
from trialscout.store import SqliteStore
from trialscout.store.lock import exclusive
from trialscout.store.sqlite import SCHEMA_VERSION
from trialscout.watch import WatchError, WatchSpec, add_watch, findings, get_watch, remove_watch, run_watches


def _ids(store: SqliteStore, sql: str) -> list[str]:
    return [r[0] for r in store.conn.execute(sql)]


def _breast(store: SqliteStore, status_sql: str) -> list[str]:
    return _ids(store, "SELECT s.nct_id FROM studies s JOIN studies_fts f ON f.rowid = s.id WHERE studies_fts "
                       f"MATCH 'breast' AND {status_sql} ORDER BY s.nct_id")


def test_status_changes_are_found_once_with_the_change_that_caused_them(store: SqliteStore) -> None:
    closed = _breast(store, "s.overall_status = 'COMPLETED'")[:2]
    recruiting = _breast(store, "s.overall_status = 'RECRUITING'")[:1]
    assert len(closed) == 2 and recruiting
    watch = add_watch(store, name="breast open", spec=WatchSpec(query="breast", statuses=["RECRUITING"]))
    assert run_watches(store).findings == 0  # the baseline is not news
    for nct_id in closed:
        change(store, nct_id, set_status("RECRUITING"))
    change(store, recruiting[0], set_status("ACTIVE_NOT_RECRUITING"))
    change(store, closed[0], set_status("RECRUITING"), new_id="NCT99999001")
    report = run_watches(store)
    found = {f.nct_id: f for f in findings(store.conn, watch.id, run_id=report.run_id)}
    assert {k: f.kind for k, f in found.items()} == {closed[0]: "now_matches", closed[1]: "now_matches",
                                                     recruiting[0]: "gone", "NCT99999001": "new"}
    cause = found[closed[0]].changes
    assert {"field": "overallStatus", "old": "COMPLETED", "new": "RECRUITING"} in cause
    assert "overallStatus: COMPLETED → RECRUITING" in found[closed[0]].reason
    assert "RECRUITING → ACTIVE_NOT_RECRUITING" in found[recruiting[0]].reason
    again = run_watches(store)
    assert again.findings == 0 and findings(store.conn, watch.id, run_id=again.run_id) == []


def test_without_a_change_log_the_state_difference_is_the_reason(store: SqliteStore) -> None:
    nct_id = _breast(store, "s.overall_status = 'RECRUITING'")[0]
    watch = add_watch(store, name="open", spec=WatchSpec(query="breast", statuses=["RECRUITING"]))
    change(store, nct_id, set_status("SUSPENDED"), log=False)  # as an ingest: no change-log rows
    report = run_watches(store)
    [gone] = findings(store.conn, watch.id, run_id=report.run_id)
    assert (gone.nct_id, gone.kind) == (nct_id, "gone")
    assert gone.changes == [{"field": "overallStatus", "old": "RECRUITING", "new": "SUSPENDED"}]


def _add_site(city: str, state: str, lat: float, lon: float) -> Any:
    def edit(ps: dict[str, Any]) -> None:
        module = ps.setdefault("contactsLocationsModule", {})
        module.setdefault("locations", []).append({"facility": f"Watch Test Hospital {city}", "city": city,
                                                   "state": state, "country": "United States",
                                                   "geoPoint": {"lat": lat, "lon": lon}})
    return edit


def test_a_new_site_within_the_radius(store: SqliteStore) -> None:
    watch = add_watch(store, name="near denver", spec=WatchSpec(query="cancer", near="Denver, Colorado",
                                                                radius_km=80))
    inside = set(_ids(store, "SELECT nct_id FROM watch_state WHERE matched = 1"))
    outside = next(n for n in _breast(store, "1") if n not in inside)
    change(store, outside, _add_site("Denver", "Colorado", 39.74, -104.99))
    if inside:
        change(store, sorted(inside)[0], _add_site("Aurora", "Colorado", 39.73, -104.83))
    report = run_watches(store)
    found = {f.nct_id: f for f in findings(store.conn, watch.id, run_id=report.run_id)}
    assert found[outside].kind == "now_matches"
    assert "site added: Watch Test Hospital Denver" in found[outside].reason
    if inside:
        assert found[sorted(inside)[0]].kind == "changed"
        assert "new site within the radius: Watch Test Hospital Aurora" in found[sorted(inside)[0]].reason
    assert run_watches(store).findings == 0


def test_a_patient_watch_reports_verdicts_that_change(store: SqliteStore) -> None:
    watch = add_watch(store, name="her2 patient", spec=WatchSpec(top=30), document=PATIENT_NOTE, store_patient=True)
    matched = _ids(store, f"SELECT nct_id FROM watch_state WHERE watch_id = {watch.id} AND matched = 1 "
                          "ORDER BY nct_id")
    assert matched
    target = matched[0]

    def too_young_only(ps: dict[str, Any]) -> None:
        ps.setdefault("eligibilityModule", {})["maximumAge"] = "30 Years"

    change(store, target, too_young_only)
    report = run_watches(store)
    [gone] = findings(store.conn, watch.id, run_id=report.run_id)
    assert (gone.nct_id, gone.kind) == (target, "gone")
    assert "→ ineligible" in gone.reason and any(c["field"] == "maximumAge" for c in gone.changes)

    def any_age(ps: dict[str, Any]) -> None:
        ps["eligibilityModule"]["maximumAge"] = "99 Years"

    change(store, target, any_age)
    report = run_watches(store)
    [back] = findings(store.conn, watch.id, run_id=report.run_id)
    assert (back.nct_id, back.kind) == (target, "now_matches")
    assert NOTE_MARKER not in back.reason + str(back.changes)
    assert run_watches(store).findings == 0


def test_remove_deletes_the_patient_file_for_good(db: Path, store: SqliteStore) -> None:
    add_watch(store, name="patient", spec=WatchSpec(), document=PATIENT_NOTE, store_patient=True)
    run_watches(store)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert NOTE_MARKER.encode() in db.read_bytes()  # it was there: the check below can fail
    remove_watch(store, "patient")
    files = [db, db.with_name(db.name + "-wal")]
    assert not any(NOTE_MARKER.encode() in p.read_bytes() for p in files if p.exists())
    with pytest.raises(NotFoundError, match="no watch named 'patient'"):
        get_watch(store.conn, "patient")
    assert store.conn.execute("SELECT count(*) FROM watch_state").fetchone()[0] == 0


def test_bad_input_is_refused_with_a_clear_error(store: SqliteStore, tmp_path: Path) -> None:
    spec = WatchSpec(query="breast")
    with pytest.raises(WatchError, match="--store-patient"):
        add_watch(store, name="p", spec=spec, document=PATIENT_NOTE)
    with pytest.raises(WatchError, match="cannot read the patient file"):
        add_watch(store, name="p", spec=spec, patient=tmp_path / "missing.json", store_patient=True)
    (tmp_path / "broken.json").write_text("{not json", "utf-8")
    with pytest.raises(PatientError):
        add_watch(store, name="p", spec=spec, patient=tmp_path / "broken.json", store_patient=True)
    with pytest.raises(WatchError, match="not an e-mail address"):
        add_watch(store, name="s", spec=spec, email="nobody")
    with pytest.raises(WatchError, match="http:// or https://"):
        add_watch(store, name="s", spec=spec, webhook_url="file:///etc/passwd", webhook_secret="x")
    with pytest.raises(WatchError, match="needs a secret"):
        add_watch(store, name="s", spec=spec, webhook_url="http://127.0.0.1:9/hook")
    with pytest.raises(WatchError, match="needs words"):
        add_watch(store, name="s", spec=WatchSpec())
    with pytest.raises(Exception, match="unknown place"):
        add_watch(store, name="s", spec=WatchSpec(query="x", near="Nowhereville Zzyzx", radius_km=10))
    add_watch(store, name="s", spec=spec)
    with pytest.raises(WatchError, match="already a watch named 's'"):
        add_watch(store, name="s", spec=spec)
    with pytest.raises(NotFoundError, match="no watch named 'nope'"):
        run_watches(store, only=["nope"])
    assert store.conn.execute("SELECT count(*) FROM watch_patients").fetchone()[0] == 0


def test_two_runs_at_once_the_second_is_refused(db: Path, store: SqliteStore) -> None:
    add_watch(store, name="s", spec=WatchSpec(query="breast"))
    with exclusive(db, "watch"), pytest.raises(StoreError, match="another `trialscout watch` is running"):
        run_watches(store)
    assert run_watches(store).findings == 0


def test_a_v4_store_is_upgraded_in_place(db: Path) -> None:
    conn = sqlite3.connect(db)
    for table in ("watch_deliveries", "watch_findings", "watch_runs", "watch_state", "watch_patients", "watches"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema version 4"):
        SqliteStore(db, readonly=True)
    with SqliteStore(db) as store:
        assert store.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == \
            SCHEMA_VERSION == "5"
        add_watch(store, name="s", spec=WatchSpec(query="breast"))
        assert run_watches(store).findings == 0
