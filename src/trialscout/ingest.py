"""Ingest: read records from any source and upsert them into a store, accounting for every record."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from trialscout.model import Study
from trialscout.sources import SourceItem, iter_items
from trialscout.store import SqliteStore

BATCH_SIZE = 500
"""Records per transaction: an interrupted ingest loses at most one uncommitted batch, never half a record."""

Derive = Callable[[Study], dict[str, Any]]


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
) -> IngestReport:
    """Upsert every readable record; write each bad one as a JSON line `{where, why}` to `rejects_out`."""
    report = IngestReport()
    batch: list[SourceItem] = []

    def flush() -> None:
        with store.transaction():
            for item in batch:
                assert item.study is not None
                derived = derive(item.study) if derive else None
                outcome = store.upsert(item.study, source=item.where, derived=derived)
                setattr(report, outcome, getattr(report, outcome) + 1)
        batch.clear()

    for item in iter_items(paths, fmt):
        report.read += 1
        if item.study is None:
            _reject(report, item, rejects_out)
        else:
            batch.append(item)
            if len(batch) >= BATCH_SIZE:
                flush()
        if on_item:
            on_item(item)
    if batch:
        flush()
    return report


def _reject(report: IngestReport, item: SourceItem, out: TextIO | None) -> None:
    report.rejected += 1
    why = item.error.why if item.error else "unreadable record"
    if len(report.rejects) < 1000:
        report.rejects.append((item.where, why))
    if out is not None:
        out.write(json.dumps({"where": item.where, "why": why}, ensure_ascii=False) + "\n")
