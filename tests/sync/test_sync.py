"""`trialscout.sync` against a real loopback server holding real records: the same store as ingest, only what
changed on a second run, the right diffs, and faults, bad studies and refused tokens losing nothing."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.sync.conftest import content, derive
from tests.sync.ctgov_server import FakeApi, last_update_of, nct_of, updated
from trialscout.app import derive_criteria
from trialscout.errors import StoreError
from trialscout.ingest import ingest
from trialscout.model import Study
from trialscout.store import SqliteStore
from trialscout.store.lock import exclusive
from trialscout.store.sqlite import SCHEMA_VERSION
from trialscout.sync import ClientOptions, PageTokenRefused, SyncError, SyncOptions, changes, history, sync

FAST = {"backoff": 0.01, "backoff_max": 0.05, "timeout": 1.0, "rate_per_minute": 60_000.0}


def _options(base_url: str, **kw: Any) -> SyncOptions:
    client = ClientOptions(base_url=base_url, **{**FAST, **kw.pop("client", {})})
    return SyncOptions(client=client, **{"page_size": 10, **kw})


def _sync(db: Path, base_url: str, **kw: Any) -> Any:
    with SqliteStore(db) as store:
        return sync(store, _options(base_url, **kw), derive=derive)


def _ingested(tmp_path: Path, records: list[dict[str, Any]], name: str = "ingested.db") -> Path:
    source = tmp_path / f"{name}.ndjson"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    db = tmp_path / name
    with SqliteStore(db) as store:
        report = ingest(store, [source], derive=derive_criteria, workers=1)
    assert report.rejected == 0
    return db


def _runs(db: Path) -> list[dict[str, Any]]:
    with SqliteStore(db) as store:
        return history(store.conn)


def test_a_sync_into_an_empty_store_gives_the_store_an_ingest_of_the_same_records_gives(
        tmp_path: Path, api: tuple[FakeApi, str], records: list[dict[str, Any]]) -> None:
    fake, base_url = api
    db = tmp_path / "synced.db"
    with SqliteStore(db) as store:
        report = sync(store, _options(base_url), derive=derive_criteria)
    assert report.totals == {"fetched": 74, "new": 74, "updated": 0, "unchanged": 0, "rejected": 0}
    assert report.pages == 8 and report.since is None
    first = fake.log[0]["params"]
    assert first["pageSize"] == "10" and first["countTotal"] == "true" and "filter.advanced" not in first
    assert all("pageToken" in r["params"] for r in fake.log[1:])
    synced = content(db)
    assert len(synced["studies"]) == 74 and len(synced["derived"]) == 2 * 74
    assert synced == content(_ingested(tmp_path, records))
    run = _runs(db)[0]
    assert (run["status"], run["pages"], run["newest"]) == ("done", 8, max(last_update_of(r) for r in records))


def _second_version(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The registry a little later: three studies changed (status, a new site, criteria text), dated 2025-01-15."""
    by_id = {nct_of(r): r for r in records}
    ids = sorted(by_id)
    first = next(i for i in ids if by_id[i]["protocolSection"]["statusModule"].get("overallStatus") != "WITHDRAWN")
    site = {"facility": "Hôpital Lariboisière", "city": "Paris", "country": "France", "status": "RECRUITING"}
    changed = {
        first: updated(by_id[first], "2025-01-15", status="WITHDRAWN"),
        ids[40]: updated(by_id[ids[40]], "2025-01-15", site=site),
        ids[70]: updated(by_id[ids[70]], "2025-01-15", criteria_suffix="\n\nExclusion Criteria:\n\n  - Pregnancy\n"),
    }
    return [changed.get(i, by_id[i]) for i in ids], changed


def test_a_second_sync_asks_only_for_what_changed_and_logs_each_change(
        tmp_path: Path, api: tuple[FakeApi, str], records: list[dict[str, Any]]) -> None:
    fake, base_url = api
    db = tmp_path / "twice.db"
    _sync(db, base_url)
    newest = max(last_update_of(r) for r in records)
    same_day = sum(last_update_of(r) == newest for r in records)
    version2, changed = _second_version(records)
    fake.serve(version2)
    fake.log.clear()
    second = _sync(db, base_url)
    assert fake.log[0]["params"]["filter.advanced"] == f"AREA[LastUpdatePostDate]RANGE[{newest},MAX]"
    assert second.totals == {"fetched": 3 + same_day, "new": 0, "updated": 3, "unchanged": same_day, "rejected": 0}
    with SqliteStore(db) as store:
        log = changes(store.conn, run_id=second.run_id)
        for nct_id, doc in changed.items():
            assert store.get(nct_id).to_v2() == Study.from_v2(doc).to_v2()
            assert store.get_derived(nct_id, "criteria") == derive_criteria(store.get(nct_id))["criteria"]
    fields = {(c["nct_id"], c["field"]): c for c in log}
    ids = sorted(changed)
    assert {f for n, f in fields if n == ids[0]} == {"overallStatus", "lastUpdatePostDate"}
    status = fields[(ids[0], "overallStatus")]
    was = next(r for r in records if nct_of(r) == ids[0])["protocolSection"]["statusModule"]["overallStatus"]
    assert (status["old"], status["new"]) == (was, "WITHDRAWN")
    site = fields[(ids[1], "locations[Hôpital Lariboisière, Paris, France]")]
    assert site["old"] is None and site["new"]["status"] == "RECRUITING"
    criteria = fields[(ids[2], "eligibilityCriteria")]
    assert criteria["new"].endswith("  - Pregnancy\n") and not criteria["old"].endswith("Pregnancy\n")
    assert all(c["run_id"] == second.run_id and c["source"] == "sync" for c in log)

    fake.log.clear()
    third = _sync(db, base_url)  # nothing changed since: the changed ones come back unchanged, no new log lines
    assert fake.log[0]["params"]["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2025-01-15,MAX]"
    assert third.totals == {"fetched": 3, "new": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    with SqliteStore(db) as store:
        assert changes(store.conn, run_id=third.run_id) == []
        assert len(changes(store.conn)) == len(log)


def test_the_first_sync_of_an_ingested_store_asks_from_its_newest_update(
        tmp_path: Path, api: tuple[FakeApi, str], records: list[dict[str, Any]]) -> None:
    fake, base_url = api
    db = _ingested(tmp_path, records)
    report = _sync(db, base_url, query_cond="cancer")
    newest = max(last_update_of(r) for r in records)
    assert report.since == newest
    params = fake.log[0]["params"]
    assert params["filter.advanced"] == f"AREA[LastUpdatePostDate]RANGE[{newest},MAX]"
    assert params["query.cond"] == "cancer" and "query.term" not in params
    fake.log.clear()
    _sync(db, base_url, query_term="pancreatic", since="2010-01-01")
    assert fake.log[0]["params"]["query.term"] == "pancreatic"
    assert fake.log[0]["params"]["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2010-01-01,MAX]"


def test_a_query_narrows_what_is_stored(tmp_path: Path, api: tuple[FakeApi, str],
                                        records: list[dict[str, Any]]) -> None:
    _, base_url = api
    db = tmp_path / "narrow.db"
    report = _sync(db, base_url, query_cond="diabetes")
    wanted = {nct_of(r) for r in records if any("diabetes" in c.lower() for c in
                                               r["protocolSection"].get("conditionsModule", {}).get("conditions", [])
                                               + r["protocolSection"].get("conditionsModule", {}).get("keywords", []))}
    assert wanted and report.totals["new"] == len(wanted)
    with SqliteStore(db) as store:
        assert set(store.nct_ids()) == wanted


def test_every_fault_is_retried_and_loses_nothing(tmp_path: Path, api: tuple[FakeApi, str]) -> None:
    fake, base_url = api
    reference = tmp_path / "reference.db"
    _sync(reference, base_url)
    fake.retry_after = "0"
    fake.slow_seconds = 1.5
    fake.faults.extend(["429", "500", "truncate", "truncate-close", "slow", "reset", "503"])
    fake.log.clear()
    db = tmp_path / "faulty.db"
    tries: list[str] = []
    with SqliteStore(db) as store:
        report = sync(store, _options(base_url, client={"timeout": 0.5, "max_tries": 8}), derive=derive,
                      on_retry=lambda n, why, delay: tries.append(why))
    assert report.totals["new"] == 74 and report.totals["rejected"] == 0
    assert content(db) == content(reference)
    assert [r["fault"] for r in fake.log[:8]] == ["429", "500", "truncate", "truncate-close", "slow", "reset", "503",
                                                  None]
    assert "HTTP 429" in tries[0] and "HTTP 500" in tries[1] and "not complete JSON" in tries[3]
    assert "no answer within 0.5 s" in tries[4] and "HTTP 503" in tries[6]


def test_retry_after_is_honoured(tmp_path: Path, api: tuple[FakeApi, str]) -> None:
    fake, base_url = api
    fake.serve(fake.studies[:5])
    fake.retry_after = "1"
    fake.faults.append("429")
    started = time.monotonic()
    report = _sync(tmp_path / "patient.db", base_url)
    assert time.monotonic() - started >= 1.0  # the backoff alone would have waited 0.01 s
    assert report.totals["new"] == 5


def test_a_server_that_keeps_failing_stops_the_sync_clearly_and_a_rerun_resumes(
        tmp_path: Path, api: tuple[FakeApi, str]) -> None:
    fake, base_url = api
    reference = tmp_path / "reference.db"
    _sync(reference, base_url)
    db = tmp_path / "failing.db"
    pages = []

    def fail_after_two(done: Any) -> None:
        pages.append(done.page)
        if done.page == 2:
            fake.faults.extend(["500", "503", "500"])

    with SqliteStore(db) as store, pytest.raises(SyncError) as caught:
        sync(store, _options(base_url, client={"max_tries": 3}), derive=derive, on_page=fail_after_two)
    message = str(caught.value)
    assert "page 3 of run 1" in message and "gave up after 3 tries" in message and "HTTP 500" in message
    assert "run `trialscout sync` again to resume" in message
    run = _runs(db)[0]
    assert (run["status"], run["pages"], run["fetched"]) == ("failed", 2, 20) and "HTTP 500" in run["error"]
    fake.log.clear()
    again = _sync(db, base_url)
    assert again.resumed_at_page == 3 and again.run_id == 1
    assert "pageToken" in fake.log[0]["params"]  # it went on from the checkpoint, not from the first page
    assert again.totals == {"fetched": 74, "new": 74, "updated": 0, "unchanged": 0, "rejected": 0}
    assert content(db) == content(reference)
    assert _runs(db)[0]["status"] == "done"


def test_malformed_studies_and_unknown_enums_are_reported_and_the_rest_land(
        tmp_path: Path, api: tuple[FakeApi, str], records: list[dict[str, Any]]) -> None:
    fake, base_url = api
    odd_status = updated(records[0], "2024-01-01")
    odd_status["protocolSection"]["identificationModule"]["nctId"] = "NCT09999001"
    odd_status["protocolSection"]["statusModule"]["overallStatus"] = "PAUSED_FOR_REVIEW"
    huge = json.dumps(updated(records[1], "2024-01-01")).replace('"protocolSection"', '"x": 1' + "0" * 400 + ', '
                                                                 '"protocolSection"', 1).encode()
    fake.serve([*records[:20], odd_status, b'{"protocolSection": 8}', huge, b"[" * 200 + b"]" * 200])
    db = tmp_path / "bad.db"
    report = _sync(db, base_url)
    assert report.totals == {"fetched": 24, "new": 20, "updated": 0, "unchanged": 0, "rejected": 4}
    whys = dict(report.rejects)
    assert len(whys) == 4
    (status_where, status_why), = [(w, y) for w, y in report.rejects if "NCT09999001" in w]
    assert status_where.startswith("page 3#") and "overallStatus" in status_why and "PAUSED_FOR_REVIEW" in status_why
    assert any("protocolSection must be an object" in y for y in whys.values())
    assert any("401 digits" in y for y in whys.values())
    assert any("nested deeper" in y for y in whys.values())
    with SqliteStore(db) as store:
        assert store.count() == 20
        stored = store.conn.execute("SELECT page, nct_id, why FROM sync_rejects ORDER BY rowid").fetchall()
    assert len(stored) == 4 and {r[1] for r in stored} >= {"NCT09999001", nct_of(records[1])}


def test_a_refused_page_token_is_a_clear_error_that_keeps_the_checkpoint(
        tmp_path: Path, api: tuple[FakeApi, str]) -> None:
    fake, base_url = api
    reference = tmp_path / "reference.db"
    _sync(reference, base_url)
    db = tmp_path / "expired.db"

    def expire_after_two(done: Any) -> None:
        if done.page == 2:
            fake.expire_tokens()

    with SqliteStore(db) as store, pytest.raises(PageTokenRefused) as caught:
        sync(store, _options(base_url), derive=derive, on_page=expire_after_two)
    message = str(caught.value)
    assert "page 3 of run 1" in message and "refused the page token (HTTP 400: invalid pageToken)" in message
    assert "--restart" in message
    with SqliteStore(db) as store:
        cp = store.conn.execute("SELECT run_id, pages_done FROM sync_checkpoint").fetchone()
        assert tuple(cp) == (1, 2) and store.count() == 20
    with pytest.raises(PageTokenRefused):  # asked again, the same token is refused again: nothing moves
        _sync(db, base_url)
    again = _sync(db, base_url, restart=True)
    assert again.run_id == 2 and again.totals["new"] == 54 and again.totals["unchanged"] == 20
    assert content(db) == content(reference)
    assert [r["status"] for r in _runs(db)] == ["done", "abandoned"]


def test_a_run_left_unfinished_is_resumed_only_with_its_own_options(tmp_path: Path,
                                                                     api: tuple[FakeApi, str]) -> None:
    fake, base_url = api
    db = tmp_path / "other.db"
    fake.faults.extend(["500"] * 2)
    with pytest.raises(SyncError):
        _sync(db, base_url, client={"max_tries": 2})
    with pytest.raises(SyncError, match=r"run 1 \(query \{\}, since the start, .*\) stopped at page 1 .* --restart"):
        _sync(db, base_url, query_cond="cancer")
    assert _sync(db, base_url).totals["new"] == 74


def test_a_second_sync_on_the_same_store_is_refused_while_one_runs(tmp_path: Path,
                                                                    api: tuple[FakeApi, str]) -> None:
    _, base_url = api
    db = tmp_path / "locked.db"
    SqliteStore(db).close()
    with exclusive(db, "sync"), pytest.raises(StoreError, match=r"another `trialscout sync` is running on this "
                                                                r"store \(pid \d+"):
        _sync(db, base_url)
    assert _sync(db, base_url).totals["new"] == 74  # the lock went with its holder


def test_bad_options_are_refused_before_any_request(tmp_path: Path, api: tuple[FakeApi, str]) -> None:
    fake, base_url = api
    with pytest.raises(SyncError, match="page size must be 1 to 1000"):
        _sync(tmp_path / "x.db", base_url, page_size=1001)
    with pytest.raises(SyncError, match="YYYY-MM-DD"):
        _sync(tmp_path / "x.db", base_url, since="last week")
    assert fake.log == []


def test_a_v3_store_is_upgraded_in_place(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    db = _ingested(tmp_path, records[:5], "old.db")
    before = content(db)
    conn = sqlite3.connect(db)
    for table in ("study_changes", "sync_rejects", "sync_checkpoint", "sync_runs"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema version 3"):
        SqliteStore(db, readonly=True)
    with SqliteStore(db) as store:
        assert store.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == SCHEMA_VERSION
        assert history(store.conn) == []
    with SqliteStore(db, readonly=True) as store:
        assert store.count() == 5
    assert content(db) == before
