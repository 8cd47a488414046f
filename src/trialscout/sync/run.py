"""One sync run: ask the API for the studies updated since the last run, page by page, and store each page with the
same upsert rule and criteria derivation as ingest, the change log of every updated study, and the checkpoint, in
one transaction, so that a run stopped anywhere resumes at the first page not stored."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trialscout.errors import TrialscoutError
from trialscout.model import Study
from trialscout.sources import ctgov_json
from trialscout.store import UPDATED, SqliteStore
from trialscout.store.lock import exclusive
from trialscout.store.rows import StudyRows, study_rows
from trialscout.sync import state
from trialscout.sync.client import MAX_PAGE_SIZE, ApiClient, ClientOptions, RawStudy, SyncError
from trialscout.sync.diff import diff_studies
from trialscout.sync.state import Checkpoint, PageCounts

Derive = Callable[[Study], dict[str, Any]]
_RECORD_FAULTS = (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.ProgrammingError, sqlite3.DataError,
                  ValueError, TypeError, OverflowError)
"""What one study's content can make a write raise (as in ingest): that study is rejected, the page goes on."""
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_NCT_IN_BYTES = re.compile(rb'"nctId"\s*:\s*"(NCT\d{8})"')


@dataclass(frozen=True)
class SyncOptions:
    client: ClientOptions = field(default_factory=ClientOptions)
    query_cond: str | None = None
    query_term: str | None = None
    since: str | None = None
    """Ask from this LastUpdatePostDate (YYYY-MM-DD) instead of where the last run stopped."""
    page_size: int = MAX_PAGE_SIZE
    restart: bool = False
    """Drop the checkpoint of an unfinished run (what it stored stays) and start a new run."""


@dataclass
class SyncReport:
    run_id: int
    since: str | None
    resumed_at_page: int | None
    """The page an unfinished run was resumed at (None: a new run)."""
    pages: int = 0
    seconds: float = 0.0
    totals: dict[str, int] = field(default_factory=dict)
    """The run's counts (fetched, new, updated, unchanged, rejected), over every invocation of a resumed run."""
    rejects: list[tuple[str, str]] = field(default_factory=list)
    """(where, why) of the studies this invocation rejected (the first 1,000)."""


@dataclass(frozen=True)
class PageDone:
    """What `on_page` is told after each stored page."""

    page: int
    counts: PageCounts
    total: int | None
    """The run's total as the server counted it (on the first page only)."""


@dataclass(frozen=True)
class _Ready:
    where: str
    study: Study
    rows: StudyRows
    derived: dict[str, Any] | None


@dataclass(frozen=True)
class _Rejected:
    where: str
    nct_id: str | None
    why: str


def sync(store: SqliteStore, options: SyncOptions, *, derive: Derive | None = None,
         on_page: Callable[[PageDone], None] | None = None,
         on_retry: Callable[[int, str, float], None] | None = None) -> SyncReport:
    """Run (or resume) a sync into `store`. Raises StoreError when another sync holds this store, SyncError when the
    server refuses or keeps failing (the checkpoint is kept: running again resumes)."""
    _check(options)
    with exclusive(store.path, "sync"):
        cp, resumed = _start(store, options)
        report = SyncReport(cp.run_id, cp.since, cp.pages_done + 1 if resumed else None)
        started = time.monotonic()
        try:
            with ApiClient(options.client, on_retry=on_retry) as client:
                while cp is not None:
                    cp = _one_page(store, client, cp, options, derive, report, on_page)
        except KeyboardInterrupt:
            state.set_status(store, report.run_id, "interrupted", "interrupted; run again to resume")
            raise
        except TrialscoutError as exc:
            state.set_status(store, report.run_id, "failed", str(exc))
            raise
        finally:
            report.seconds = time.monotonic() - started
        run = state.run(store.conn, report.run_id)
        report.totals = {k: run[k] for k in ("fetched", "new", "updated", "unchanged", "rejected")}
        return report


def _check(options: SyncOptions) -> None:
    if not 1 <= options.page_size <= MAX_PAGE_SIZE:
        raise SyncError(f"the page size must be 1 to {MAX_PAGE_SIZE} (got {options.page_size})")
    if options.since is not None and not _DATE.match(options.since):
        raise SyncError(f"--since takes a date as YYYY-MM-DD (got {options.since!r})")
    if options.client.max_tries < 1:
        raise SyncError(f"the number of tries must be at least 1 (got {options.client.max_tries})")


def _start(store: SqliteStore, options: SyncOptions) -> tuple[Checkpoint, bool]:
    """The checkpoint to go on from: the unfinished run's, when it asks for the same, else a new run's."""
    base_url = options.client.base_url.rstrip("/")
    query = state.query_key(options.query_cond, options.query_term)
    cp = state.checkpoint(store.conn)
    if cp is not None and options.restart:
        state.abandon(store, cp)  # a restart of the same query asks from the same date: nothing is skipped
        since = options.since or (cp.since if cp.query == query else state.next_since(store.conn, query))
        return state.begin_run(store, base_url, query, _full_date(since)), False
    if cp is not None:
        if (cp.base_url, cp.query) != (base_url, query) or options.since not in (None, cp.since):
            raise SyncError(f"run {cp.run_id} (query {cp.query}, since {cp.since or 'the start'}, from {cp.base_url}) "
                            f"stopped at page {cp.pages_done + 1} and has not finished: run `trialscout sync` with "
                            "its options to finish it, or add --restart to start a new run", where=str(store.path))
        state.set_status(store, cp.run_id, "running")
        return cp, True
    since = options.since or state.next_since(store.conn, query)
    return state.begin_run(store, base_url, query, _full_date(since)), False


def _full_date(date: str | None) -> str | None:
    """A stored partial date (`2023-02`) as the day the API's range needs; None stays None (no filter)."""
    if date is None:
        return None
    return date + "-01" * (2 - date.count("-"))


def request_params(cp: Checkpoint, page_size: int) -> dict[str, str]:
    """The query string of the checkpoint's next page: every field, the run's query and date range."""
    params = {"format": "json", "pageSize": str(page_size), **json.loads(cp.query)}
    if cp.since:
        params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{cp.since},MAX]"
    if cp.next_page_token:
        params["pageToken"] = cp.next_page_token
    else:
        params["countTotal"] = "true"
    return params


def _one_page(store: SqliteStore, client: ApiClient, cp: Checkpoint, options: SyncOptions, derive: Derive | None,
              report: SyncReport, on_page: Callable[[PageDone], None] | None) -> Checkpoint | None:
    """Fetch, prepare and store the checkpoint's next page; returns the checkpoint after it (None: the run is
    done)."""
    page_no = cp.pages_done + 1
    try:
        page = client.studies(request_params(cp, options.page_size))
    except SyncError as exc:
        raise type(exc)(f"page {page_no} of run {cp.run_id}: {exc.why}; the checkpoint is kept: run `trialscout "
                        "sync` again to resume"
                        + (", or with --restart to start a new run from the same date (pages already stored "
                           "come back unchanged)" if cp.next_page_token else ""), where=exc.where) from exc
    prepared = [_prepare(f"page {page_no}#{i}", raw, derive) for i, raw in enumerate(page.studies)]
    counts = PageCounts()
    with store.transaction():
        for item in prepared:
            counts.fetched += 1
            if isinstance(item, _Ready):
                counts.seen(item.study.last_update)
                item = _store_one(store, cp.run_id, item, counts)
            if isinstance(item, _Rejected):
                counts.rejected += 1
                state.record_reject(store.conn, cp.run_id, page_no, item.nct_id, item.where, item.why)
                if len(report.rejects) < 1000:
                    report.rejects.append((item.where, item.why))
        after = state.record_page(store.conn, cp, counts, page.next_token)
    report.pages += 1
    if on_page:
        on_page(PageDone(page_no, counts, page.total))
    return after if page.next_token else None


def _prepare(where: str, raw: RawStudy, derive: Derive | None) -> _Ready | _Rejected:
    """A study of the page parsed, indexed and its criteria derived (outside the write transaction), or why not."""
    found = _NCT_IN_BYTES.search(raw.data[:4096]) if raw.data else None
    nct_id = found.group(1).decode() if found else None
    if raw.error:
        return _Rejected(where, nct_id, raw.error)
    item = ctgov_json.parse_value(where, raw.data, raw.depth)
    if item.study is None:
        return _Rejected(item.where, nct_id, item.error.why if item.error else "unreadable study")
    try:
        rows = study_rows(item.study, None)
    except Exception as exc:  # isolate the study, report what happened
        return _Rejected(item.where, item.study.nct_id, f"could not be indexed ({type(exc).__name__}: {exc})"[:300])
    try:
        derived = derive(item.study) if derive else None
    except Exception as exc:
        return _Rejected(item.where, item.study.nct_id,
                         f"its eligibility criteria could not be structured ({type(exc).__name__}: {exc})"[:300])
    return _Ready(item.where, item.study, rows, derived)


def _store_one(store: SqliteStore, run_id: int, item: _Ready, counts: PageCounts) -> _Ready | _Rejected:
    """Upsert one study under the store's rule; an update also writes its field-level diff to the change log."""
    old = store.conn.execute("SELECT json FROM studies WHERE nct_id = ?", (item.rows.nct_id,)).fetchone()
    rows = _with_source(item.rows, f"sync run {run_id}")
    try:
        with store.savepoint():
            outcome = store.upsert_rows(rows, item.derived)
            if outcome == UPDATED and old is not None:
                changes = diff_studies(json.loads(old[0]), json.loads(rows.columns["json"]))
                state.record_changes(store.conn, rows.nct_id, run_id, changes)
    except _RECORD_FAULTS as exc:
        return _Rejected(item.where, item.rows.nct_id, f"could not be stored ({type(exc).__name__}: {exc})"[:300])
    counts.add(outcome)
    return item


def _with_source(rows: StudyRows, source: str) -> StudyRows:
    return StudyRows(rows.nct_id, {**rows.columns, "source": source}, rows.conditions, rows.interventions,
                     rows.sites, rows.fts)
