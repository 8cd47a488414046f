"""Writers that wait their turn: a second writer on a real SQLite file waits (and says so once) while another holds
the write lock, goes on when it is released, and gives up with a clear error only after WRITE_WAIT."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from trialscout.errors import StoreError
from trialscout.store import SqliteStore, sqlite


def _hold_write_lock(db: Path, seconds: float, started: threading.Event) -> None:
    conn = sqlite3.connect(db)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('holder', 'other process')")
    started.set()
    time.sleep(seconds)
    conn.commit()
    conn.close()


def test_a_second_writer_waits_then_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "w.db"
    SqliteStore(db).close()
    monkeypatch.setattr(sqlite, "BUSY_TIMEOUT_MS", 200)
    store = SqliteStore(db)
    told: list[float] = []
    store.on_wait = lambda: told.append(time.monotonic())
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db, 1.5, started))
    holder.start()
    started.wait(5)
    begun = time.monotonic()
    with store.transaction():
        store.conn.execute("INSERT OR REPLACE INTO meta VALUES ('writer', 'us')")
    waited = time.monotonic() - begun
    holder.join()
    assert len(told) == 1 and waited >= 1.0
    rows = dict(store.conn.execute("SELECT key, value FROM meta WHERE key IN ('holder', 'writer')").fetchall())
    assert rows == {"holder": "other process", "writer": "us"}
    store.close()


def test_a_writer_gives_up_with_a_clear_error_after_write_wait(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "w.db"
    SqliteStore(db).close()
    monkeypatch.setattr(sqlite, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(sqlite, "WRITE_WAIT", 0.5)
    store = SqliteStore(db)
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db, 2.0, started))
    holder.start()
    started.wait(5)
    with pytest.raises(StoreError, match="held the write lock"), store.transaction():
        pass
    holder.join()
    store.close()
