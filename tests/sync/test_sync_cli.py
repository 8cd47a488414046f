"""`trialscout sync` as a user runs it, in a child process against the loopback server: its output, two at once,
Ctrl-C, and `kill -9` at random points, resumed, against a store synced without interruption."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.sync.conftest import content
from tests.sync.ctgov_server import FakeApi, nct_of, updated
from trialscout.app import derive_criteria
from trialscout.store import SqliteStore
from trialscout.sync import ClientOptions, SyncOptions, sync

TRIALSCOUT = [sys.executable, "-m", "trialscout.cli"]


def _cli(db: Path, base_url: str, *extra: str) -> subprocess.Popen[str]:
    args = ["sync", "--db", str(db), "--base-url", base_url, "--page-size", "5", "--rate", "6000/s",
            "--backoff", "0.01", "--timeout", "5", *extra]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([*TRIALSCOUT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _pages_stored(db: Path) -> int:
    """Pages committed by every run so far (0 before the store or its tables exist)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(conn.execute("SELECT coalesce(sum(pages), 0) FROM sync_runs").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _done_runs(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(conn.execute("SELECT count(*) FROM sync_runs WHERE status = 'done'").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _log(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {
            "runs": conn.execute("SELECT id, since, status, fetched, new, updated, unchanged, rejected, pages, newest "
                                 "FROM sync_runs ORDER BY id").fetchall(),
            "changes": conn.execute("SELECT nct_id, run_id, field, old, new FROM study_changes "
                                    "ORDER BY nct_id, field").fetchall(),
            "checkpoint": conn.execute("SELECT * FROM sync_checkpoint").fetchall(),
            "integrity": conn.execute("PRAGMA integrity_check").fetchall(),
        }
    finally:
        conn.close()


def _later(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The registry later: every third study has a new status and a newer date."""
    out = []
    for i, r in enumerate(sorted(records, key=nct_of)):
        out.append(updated(r, "2025-02-01", status="COMPLETED" if i % 2 else "SUSPENDED") if i % 3 == 0 else r)
    return out


def test_output_history_and_ctrl_c(tmp_path: Path, api: tuple[FakeApi, str]) -> None:
    fake, base_url = api
    db = tmp_path / "cli.db"
    fake.page_delay = 0.3
    proc = _cli(db, base_url)
    deadline = time.monotonic() + 60
    while _pages_stored(db) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted: every page stored so far is kept; run `trialscout sync` again to resume" in err
    assert _log(db)["runs"][0][2] == "interrupted"
    fake.page_delay = 0.0
    done = _cli(db, base_url)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    assert out.startswith("run=1 fetched=74 new=74 updated=0 unchanged=0 rejected=0 seconds=")
    assert " resumed_at_page=" in out and "since=all" in out
    lines = [line for line in err.splitlines() if line.startswith("page ")]  # not a terminal: a line per page
    assert lines and lines[-1] == "page 15: fetched=4 new=4 updated=0 unchanged=0 rejected=0"
    history = subprocess.run([*TRIALSCOUT, "sync", "--history", "--db", str(db)], capture_output=True, text=True,
                             timeout=60)
    assert history.returncode == 0
    assert history.stdout.startswith("run=1 status=done ") and "fetched=74 new=74" in history.stdout


def test_a_second_sync_at_once_is_refused_with_a_clear_message(tmp_path: Path, api: tuple[FakeApi, str]) -> None:
    fake, base_url = api
    db = tmp_path / "two.db"
    fake.page_delay = 0.2
    first = _cli(db, base_url)
    deadline = time.monotonic() + 60
    while _pages_stored(db) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    second = _cli(db, base_url)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 1
    assert f"error: {db}: another `trialscout sync` is running on this store (pid {first.pid}, started " in err
    assert first.wait(timeout=120) == 0
    assert _log(db)["runs"][0][2:5] == ("done", 74, 74)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_kill_9_at_random_points_then_resume_gives_the_store_of_an_uninterrupted_sync(
        tmp_path: Path, api: tuple[FakeApi, str], records: list[dict[str, Any]]) -> None:
    fake, base_url = api
    later = _later(records)
    reference = tmp_path / "reference.db"
    options = SyncOptions(client=ClientOptions(base_url=base_url, rate_per_minute=1e6), page_size=5)
    with SqliteStore(reference) as store:
        sync(store, options, derive=derive_criteria)
        fake.serve(later)
        sync(store, options, derive=derive_criteria)
    db = tmp_path / "killed.db"
    rng = random.Random(14)
    kills = 0
    for finished, version in enumerate((records, later), start=1):
        fake.serve(version)
        while _done_runs(db) < finished:  # kill once a random number of further pages is stored, a moment later
            target = _pages_stored(db) + rng.randint(1, 3)
            proc = _cli(db, base_url)
            deadline = time.monotonic() + 60
            while _pages_stored(db) < target and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.15))
            if proc.poll() is not None:
                break  # it finished this version before the kill
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
            kills += 1
            assert _log(db)["integrity"] == [("ok",)]
        else:
            continue  # killed after its last page was stored, on its way out: the version is done
        assert proc.returncode == 0, proc.communicate()[1]
    assert kills >= 10
    assert content(db) == content(reference)
    assert _log(db) == _log(reference)  # the same runs, counts and change log: no page stored twice or lost
