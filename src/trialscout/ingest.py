"""Ingest: read records from any source and upsert them into a store, accounting for every record."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from trialscout.errors import RecordError
from trialscout.model import Study
from trialscout.sources import SourceItem, iter_items
from trialscout.store import SqliteStore
from trialscout.store.rows import StudyRows, study_rows
from trialscout.store.sqlite import UPDATED

BATCH_SIZE = 500
"""Records per transaction: an interrupted ingest loses at most one uncommitted batch, never half a record."""

Derive = Callable[[Study], dict[str, Any]]
Prepared = tuple[SourceItem, StudyRows, dict[str, Any] | None]
Outcome = tuple[SourceItem, Prepared | SourceItem]
"""A record read, and either what to write for it or the item reporting why it cannot be stored."""
_RECORD_FAULTS = (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.ProgrammingError, sqlite3.DataError,
                  ValueError, TypeError, OverflowError)
"""What one record's content can make a write raise (a value SQLite will not bind, text it will not take): that
record is reported and the batch goes on. Anything else (a full disk, an I/O error) ends the run with the cause."""


@dataclass
class IngestReport:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects: list[tuple[str, str]] = field(default_factory=list)  # (where, why), first 1,000 kept in memory

    def as_dict(self) -> dict[str, int]:
        return {"read": self.read, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": self.rejected}


def ingest(
    store: SqliteStore,
    paths: Iterable[str | Path],
    *,
    fmt: str = "auto",
    rejects_out: TextIO | None = None,
    derive: Derive | None = None,
    on_item: Callable[[SourceItem], None] | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
) -> IngestReport:
    """Upsert every readable record; write each bad one as a JSON line `{where, why}` to `rejects_out`.

    Rows and derived documents are computed before the write transaction opens, so each transaction holds the
    write lock only for the SQL (another ingest into the same store waits its turn instead of timing out). A record
    that fails anywhere, in the reader, while its rows or criteria are computed, or while it is written, is
    reported and skipped: the records around it still land.

    `workers`: processes that parse records and derive their criteria (default: every core this process may use;
    1 does everything in this process). Whatever the number, this process alone writes, in input order, so the
    store, the report and the rejects are the same. With workers, the item given to `on_item` carries the record's
    `where` and error but not its Study (that stayed in the worker)."""
    from trialscout.ingest_pool import default_workers, prepared_in_pool

    report = IngestReport()
    batch: list[Prepared] = []

    def flush() -> None:
        with store.transaction():
            for item, rows, derived in batch:
                try:
                    with store.savepoint():
                        old = store.conn.execute("SELECT json FROM studies WHERE nct_id = ? AND content_hash != ?",
                                                 (rows.nct_id, rows.columns["content_hash"])).fetchone()
                        outcome = store.upsert_rows(rows, derived)
                        if outcome == UPDATED and old is not None:
                            _log_changes(store, rows, old[0])
                except _RECORD_FAULTS as exc:
                    _reject(report, _failed(item, "could not be stored", exc), rejects_out)
                    continue
                setattr(report, outcome, getattr(report, outcome) + 1)
        batch.clear()

    count = default_workers() if workers is None else max(1, workers)
    outcomes = (prepared_in_pool(paths, fmt, derive, count, explicit=workers is not None) if count > 1
                else prepared_here(paths, fmt, derive))
    with closing(outcomes):  # leaving early (an error, Ctrl-C) stops the workers at once
        for item, prepared in outcomes:
            report.read += 1
            if isinstance(prepared, SourceItem):
                _reject(report, prepared, rejects_out)
            else:
                batch.append(prepared)
                if len(batch) >= batch_size:
                    flush()
            if on_item:
                on_item(item)
    if batch:
        flush()
    return report


def prepared_here(paths: Iterable[str | Path], fmt: str, derive: Derive | None) -> Iterator[Outcome]:
    """Every record read, parsed and prepared in this process, in order."""
    for item in iter_items(paths, fmt):
        yield item, prepare(item, derive)


def prepare(item: SourceItem, derive: Derive | None) -> Prepared | SourceItem:
    """The rows and derived documents of a read record, or the item turned into a reported failure (a record the
    reader could not read comes back as it is). Any exception here is a fault of this one record's content (or of
    the code on it); it must not end the run."""
    if item.study is None:
        return item
    try:
        rows = study_rows(item.study, item.where)
    except Exception as exc:  # isolate the record, report what happened
        return _failed(item, "could not be indexed", exc)
    try:
        derived = derive(item.study) if derive else None
    except Exception as exc:
        return _failed(item, "its eligibility criteria could not be structured", exc)
    return item, rows, derived


def _failed(item: SourceItem, what: str, exc: BaseException) -> SourceItem:
    why = f"{what} ({type(exc).__name__}: {str(exc)[:200]})"
    return SourceItem(item.where, error=RecordError(why, where=item.where))


def _reject(report: IngestReport, item: SourceItem, out: TextIO | None) -> None:
    report.rejected += 1
    why = item.error.why if item.error else "unreadable record"
    if len(report.rejects) < 1000:
        report.rejects.append((item.where, why))
    if out is not None:
        out.write(json.dumps({"where": item.where, "why": why}, ensure_ascii=False) + "\n")


def _log_changes(store: SqliteStore, rows: StudyRows, old_json: str) -> None:
    """An updated study's field-level changes, in the change log that sync keeps too (source `ingest`), so that
    watches say what changed whichever way the new version came."""
    from trialscout.sync.diff import diff_studies
    from trialscout.sync.state import record_changes

    changes = diff_studies(json.loads(old_json), json.loads(rows.columns["json"]))
    record_changes(store.conn, rows.nct_id, None, changes, source="ingest")
