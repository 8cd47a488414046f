"""Ingest: read records from any source and upsert them into a store, accounting for every record."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from trialscout.errors import RecordError
from trialscout.model import Study
from trialscout.sources import SourceItem, iter_items
from trialscout.store import SqliteStore
from trialscout.store.rows import StudyRows, study_rows

BATCH_SIZE = 500
"""Records per transaction: an interrupted ingest loses at most one uncommitted batch, never half a record."""

Derive = Callable[[Study], dict[str, Any]]
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
) -> IngestReport:
    """Upsert every readable record; write each bad one as a JSON line `{where, why}` to `rejects_out`.

    Rows and derived documents are computed before the write transaction opens, so each transaction holds the
    write lock only for the SQL (another ingest into the same store waits its turn instead of timing out). A record
    that fails anywhere, in the reader, while its rows or criteria are computed, or while it is written, is
    reported and skipped: the records around it still land."""
    report = IngestReport()
    batch: list[tuple[SourceItem, StudyRows, dict[str, Any] | None]] = []

    def flush() -> None:
        with store.transaction():
            for item, rows, derived in batch:
                try:
                    with store.savepoint():
                        outcome = store.upsert_rows(rows, derived)
                except _RECORD_FAULTS as exc:
                    _reject(report, _failed(item, "could not be stored", exc), rejects_out)
                    continue
                setattr(report, outcome, getattr(report, outcome) + 1)
        batch.clear()

    for item in iter_items(paths, fmt):
        report.read += 1
        prepared = _prepare(item, derive) if item.study is not None else item
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


def _prepare(item: SourceItem, derive: Derive | None
             ) -> tuple[SourceItem, StudyRows, dict[str, Any] | None] | SourceItem:
    """The rows and derived documents of a read record, or the item turned into a reported failure. Any exception
    here is a fault of this one record's content (or of the code on it); it must not end the run."""
    assert item.study is not None
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
