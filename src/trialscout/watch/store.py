"""The watch tables of a store (`store/schema_watches.sql`): add, find, list and remove watches; their state,
findings and deliveries. A stored patient document is only ever read by `document` and deleted for good."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from trialscout.errors import NotFoundError
from trialscout.store import SqliteStore
from trialscout.watch.findings import Marks
from trialscout.watch.look import Seen
from trialscout.watch.model import Delivery, Finding, Watch, WatchError, WatchSpec

WATCH_COLUMNS = "id, name, kind, spec, email, webhook_url, webhook_secret, created, looked_at, last_run_id"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def marks_now(conn: sqlite3.Connection) -> Marks:
    """The store's current high-water marks: a watch that looks now has seen up to here."""
    study = conn.execute("SELECT coalesce(max(id), 0) FROM studies").fetchone()[0]
    change = conn.execute("SELECT coalesce(max(id), 0) FROM study_changes").fetchone()[0]
    return Marks(int(study), int(change), now())


def insert_watch(store: SqliteStore, *, name: str, kind: str, spec: WatchSpec, document: str | None,
                 email: str | None, webhook_url: str | None, webhook_secret: str | None) -> int:
    """Inside the caller's transaction."""
    if store.conn.execute("SELECT 1 FROM watches WHERE name = ?", (name,)).fetchone():
        raise WatchError(f"there is already a watch named {name!r} (choose another name, or remove it first)",
                         where="name")
    cur = store.conn.execute(
        "INSERT INTO watches (name, kind, spec, email, webhook_url, webhook_secret, created) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (name, kind, spec.model_dump_json(), email, webhook_url, webhook_secret, now()))
    watch_id = int(cur.lastrowid)
    if document is not None:
        store.conn.execute("INSERT INTO watch_patients (watch_id, document) VALUES (?, ?)", (watch_id, document))
    return watch_id


def _watch(row: Any) -> Watch:
    return Watch(id=row[0], name=row[1], kind=row[2], spec=WatchSpec.model_validate_json(row[3]), email=row[4],
                 webhook_url=row[5], has_webhook_secret=bool(row[6]), created=row[7], looked_at=row[8],
                 last_run_id=row[9])


def list_watches(conn: sqlite3.Connection) -> list[Watch]:
    return [_watch(r) for r in conn.execute(f"SELECT {WATCH_COLUMNS} FROM watches ORDER BY name")]


def get_watch(conn: sqlite3.Connection, ref: str | int) -> Watch:
    """A watch by name, or by id (a number)."""
    text = str(ref).strip()
    row = conn.execute(f"SELECT {WATCH_COLUMNS} FROM watches WHERE name = ?", (text,)).fetchone()
    if row is None and text.isdigit():
        row = conn.execute(f"SELECT {WATCH_COLUMNS} FROM watches WHERE id = ?", (int(text),)).fetchone()
    if row is None:
        raise NotFoundError(f"no watch named {text[:80]!r} (`trialscout watch list` lists them)", where="watch")
    return _watch(row)


def secret(conn: sqlite3.Connection, watch_id: int) -> str | None:
    row = conn.execute("SELECT webhook_secret FROM watches WHERE id = ?", (watch_id,)).fetchone()
    return row[0] if row else None


def document(conn: sqlite3.Connection, watch_id: int) -> str | None:
    row = conn.execute("SELECT document FROM watch_patients WHERE watch_id = ?", (watch_id,)).fetchone()
    return row[0] if row else None


def marks_of(conn: sqlite3.Connection, watch_id: int) -> Marks:
    row = conn.execute("SELECT seen_study_id, seen_change_id, looked_at FROM watches WHERE id = ?",
                       (watch_id,)).fetchone()
    return Marks(row[0], row[1], row[2])


def seen(conn: sqlite3.Connection, watch_id: int) -> dict[str, Seen]:
    rows = conn.execute("SELECT nct_id, matched, content_hash, state FROM watch_state WHERE watch_id = ?",
                        (watch_id,))
    return {r[0]: Seen(bool(r[1]), r[2], json.loads(r[3])) for r in rows}


def remove_watch(store: SqliteStore, ref: str | int) -> tuple[Watch, bool]:
    """Delete a watch and everything it kept, its patient document included, for good: with secure_delete on,
    SQLite overwrites the deleted bytes, and the write-ahead log that still held the old pages is checkpointed
    into the file and truncated. Returns the watch, and whether the log could be cleared now (a reader holding it
    keeps it until the next write-open clears it)."""
    watch = get_watch(store.conn, ref)
    store.conn.execute("PRAGMA secure_delete = ON")
    with store.transaction():
        store.conn.execute("DELETE FROM watch_patients WHERE watch_id = ?", (watch.id,))
        store.conn.execute("DELETE FROM watches WHERE id = ?", (watch.id,))
    busy = store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    return watch, not busy


def findings(conn: sqlite3.Connection, watch_id: int, *, run_id: int | None = None, limit: int = 100
             ) -> list[Finding]:
    """A watch's findings, newest first (of one run, or the latest `limit`)."""
    where, params = ("watch_id = ? AND run_id = ?", (watch_id, run_id)) if run_id else ("watch_id = ?", (watch_id,))
    rows = conn.execute("SELECT id, watch_id, run_id, nct_id, kind, title, status, reason, changes, at FROM "
                        f"watch_findings WHERE {where} ORDER BY id DESC LIMIT ?", (*params, limit))
    return [Finding(id=r[0], watch_id=r[1], run_id=r[2], nct_id=r[3], kind=r[4], title=r[5], status=r[6],
                    reason=r[7], changes=json.loads(r[8]), at=r[9]) for r in rows]


def deliveries(conn: sqlite3.Connection, *, watch_id: int | None = None, statuses: tuple[str, ...] = ()
               ) -> list[Delivery]:
    parts, params = [], []
    if watch_id is not None:
        parts.append("watch_id = ?")
        params.append(watch_id)
    if statuses:
        parts.append(f"status IN ({', '.join('?' * len(statuses))})")
        params.extend(statuses)
    rows = conn.execute("SELECT id, watch_id, run_id, channel, target, status, tries, last_error, last_try, sent_at "
                        f"FROM watch_deliveries {'WHERE ' + ' AND '.join(parts) if parts else ''} ORDER BY id",
                        params)
    return [Delivery(id=r[0], watch_id=r[1], run_id=r[2], channel=r[3], target=r[4], status=r[5], tries=r[6],
                     last_error=r[7], last_try=r[8], sent_at=r[9]) for r in rows]


def runs(conn: sqlite3.Connection, limit: int = 20) -> list[dict[str, Any]]:
    cols = ("id", "started", "finished", "status", "watches", "findings", "error")
    rows = conn.execute(f"SELECT {', '.join(cols)} FROM watch_runs ORDER BY id DESC LIMIT ?", (limit,))
    return [dict(zip(cols, r, strict=True)) for r in rows]
