"""The sync tables of a store (`store/schema_sync.sql`): runs, the checkpoint of the run in progress, rejects and the
change log. Every write here runs inside the caller's transaction unless it opens its own."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trialscout.store import SqliteStore
from trialscout.sync.diff import Change

RUN_COLUMNS = ("id", "started", "finished", "base_url", "query", "since", "status", "fetched", "new", "updated",
               "unchanged", "rejected", "pages", "newest", "error")


@dataclass(frozen=True)
class Checkpoint:
    """The run in progress: what it asks for, and where it stopped (`next_page_token` None: at the first page)."""

    run_id: int
    base_url: str
    query: str
    since: str | None
    next_page_token: str | None
    pages_done: int


@dataclass
class PageCounts:
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    newest: str | None = None

    def add(self, outcome: str) -> None:
        name = {"inserted": "new"}.get(outcome, outcome)
        setattr(self, name, getattr(self, name) + 1)

    def seen(self, last_update: str | None) -> None:
        if last_update and (self.newest is None or last_update > self.newest):
            self.newest = last_update


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def query_key(cond: str | None, term: str | None) -> str:
    """A run's query as stored and compared: the API parameters it narrows by, as sorted JSON."""
    return json.dumps({k: v for k, v in (("query.cond", cond), ("query.term", term)) if v}, sort_keys=True)


def checkpoint(conn: sqlite3.Connection) -> Checkpoint | None:
    row = conn.execute("SELECT run_id, base_url, query, since, next_page_token, pages_done FROM sync_checkpoint "
                       "WHERE id = 1").fetchone()
    return Checkpoint(*row) if row else None


def begin_run(store: SqliteStore, base_url: str, query: str, since: str | None) -> Checkpoint:
    """A new run and its checkpoint at the first page, committed together."""
    with store.transaction():
        cur = store.conn.execute("INSERT INTO sync_runs (started, base_url, query, since, status) "
                                 "VALUES (?, ?, ?, ?, 'running')", (now(), base_url, query, since))
        run_id = int(cur.lastrowid)
        store.conn.execute("INSERT INTO sync_checkpoint (id, run_id, base_url, query, since) VALUES (1, ?, ?, ?, ?)",
                           (run_id, base_url, query, since))
    return Checkpoint(run_id, base_url, query, since, None, 0)


def set_status(store: SqliteStore, run_id: int, status: str, error: str | None = None) -> None:
    with store.transaction():
        store.conn.execute("UPDATE sync_runs SET status = ?, error = ?, finished = CASE WHEN ? = 'running' THEN NULL "
                           "ELSE ? END WHERE id = ?", (status, error, status, now(), run_id))


def abandon(store: SqliteStore, cp: Checkpoint) -> None:
    """Drop the checkpoint; its run is kept in the history as abandoned (what it stored stays stored)."""
    with store.transaction():
        store.conn.execute("UPDATE sync_runs SET status = 'abandoned', finished = ? WHERE id = ?", (now(), cp.run_id))
        store.conn.execute("DELETE FROM sync_checkpoint WHERE id = 1")


def next_since(conn: sqlite3.Connection, query: str) -> str | None:
    """Where a new run starts: the newest LastUpdatePostDate the last finished run with this query saw (or its own
    start date if it saw nothing); else the newest in the store (a bulk file ingested first); else None: all."""
    row = conn.execute("SELECT since, newest FROM sync_runs WHERE status = 'done' AND query = ? "
                       "ORDER BY id DESC LIMIT 1", (query,)).fetchone()
    if row is not None:
        dates = [d for d in row if d]
        return max(dates) if dates else None
    found = conn.execute("SELECT max(last_update) FROM studies").fetchone()[0]
    return found or None


def record_page(conn: sqlite3.Connection, cp: Checkpoint, counts: PageCounts, next_token: str | None) -> Checkpoint:
    """Inside the page's transaction: the run's counts, and the checkpoint moved past the page (removed, and the run
    done, after the last one)."""
    conn.execute("UPDATE sync_runs SET fetched = fetched + ?, new = new + ?, updated = updated + ?, "
                 "unchanged = unchanged + ?, rejected = rejected + ?, pages = pages + 1, "
                 "newest = CASE WHEN ? IS NOT NULL AND (newest IS NULL OR ? > newest) THEN ? ELSE newest END "
                 "WHERE id = ?", (counts.fetched, counts.new, counts.updated, counts.unchanged, counts.rejected,
                                  counts.newest, counts.newest, counts.newest, cp.run_id))
    if next_token is None:
        conn.execute("UPDATE sync_runs SET status = 'done', finished = ?, error = NULL WHERE id = ?",
                     (now(), cp.run_id))
        conn.execute("DELETE FROM sync_checkpoint WHERE id = 1")
    else:
        conn.execute("UPDATE sync_checkpoint SET next_page_token = ?, pages_done = pages_done + 1 WHERE id = 1",
                     (next_token,))
    return Checkpoint(cp.run_id, cp.base_url, cp.query, cp.since, next_token, cp.pages_done + 1)


def record_reject(conn: sqlite3.Connection, run_id: int, page: int, nct_id: str | None, where: str,
                  why: str) -> None:
    conn.execute('INSERT INTO sync_rejects (run_id, page, nct_id, position, why) VALUES (?, ?, ?, ?, ?)',
                 (run_id, page, nct_id, where, why))


def record_changes(conn: sqlite3.Connection, nct_id: str, run_id: int | None, changes: list[Change],
                   source: str = "sync") -> None:
    at = now()
    conn.executemany("INSERT INTO study_changes (nct_id, run_id, source, at, field, old, new) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [(nct_id, run_id, source, at, c.field, _json(c.old), _json(c.new)) for c in changes])


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def run(conn: sqlite3.Connection, run_id: int) -> dict[str, Any]:
    row = conn.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM sync_runs WHERE id = ?", (run_id,)).fetchone()
    return dict(zip(RUN_COLUMNS, row, strict=True))


def history(conn: sqlite3.Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first."""
    rows = conn.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM sync_runs ORDER BY id DESC LIMIT ?", (limit,))
    return [dict(zip(RUN_COLUMNS, r, strict=True)) for r in rows]


def changes(conn: sqlite3.Connection, nct_id: str | None = None, run_id: int | None = None) -> list[dict[str, Any]]:
    """The change log, oldest first: of one study, one run, or all."""
    where = " AND ".join(c for c, v in (("nct_id = ?", nct_id), ("run_id = ?", run_id)) if v is not None)
    params = [v for v in (nct_id, run_id) if v is not None]
    rows = conn.execute("SELECT nct_id, run_id, source, at, field, old, new FROM study_changes "
                        f"{'WHERE ' + where if where else ''} ORDER BY id", params)
    return [{"nct_id": r[0], "run_id": r[1], "source": r[2], "at": r[3], "field": r[4],
             "old": json.loads(r[5]) if r[5] is not None else None,
             "new": json.loads(r[6]) if r[6] is not None else None} for r in rows]
