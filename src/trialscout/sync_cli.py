"""`trialscout sync`: bring the store up to date from ClinicalTrials.gov API v2 (or a mirror), or list past runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trialscout.console import err, out, reports_errors
from trialscout.errors import TrialscoutError

if TYPE_CHECKING:
    from trialscout.sync import PageDone, SyncReport

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"  # trialscout.sync.DEFAULT_BASE_URL (not imported for --help)
INTERRUPTED = "interrupted: every page stored so far is kept; run `trialscout sync` again to resume"


def parse_rate(text: str) -> float:
    """`50`, `50/min`, `2/s` or `3000/h` as requests a minute."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|m|min|h|hour))?\s*", text)
    if not m or float(m.group(1)) <= 0:
        raise TrialscoutError(f"--rate takes requests a minute above 0, as 50 or 50/min or 1/s (got {text!r})")
    per = {"s": 1 / 60, "sec": 1 / 60, "h": 60.0, "hour": 60.0}.get(m.group(2) or "min", 1.0)
    return float(m.group(1)) / per


@reports_errors(interrupted=INTERRUPTED)
def sync_command(
    db: Annotated[Path | None, typer.Option("--db", help="SQLite store (default: $TRIALSCOUT_DB, else the per-user "
                                                         "data directory).")] = None,
    base_url: Annotated[str, typer.Option("--base-url", help="The API v2 root (a mirror, or a test server).")]
    = DEFAULT_BASE_URL,
    query_cond: Annotated[str | None, typer.Option("--query-cond", help="Only studies of this condition "
                                                                        "(the API's query.cond).")] = None,
    query_term: Annotated[str | None, typer.Option("--query-term", help="Only studies matching these words "
                                                                        "(the API's query.term).")] = None,
    since: Annotated[str | None, typer.Option(help="Ask for studies updated from this date (YYYY-MM-DD); default: "
                                                   "where the last finished sync of this query got to, else the "
                                                   "newest update in the store.")] = None,
    page_size: Annotated[int, typer.Option("--page-size", help="Studies per request (1 to 1000).")] = 1000,
    rate: Annotated[str, typer.Option(help="Requests a minute at most (50, 50/min, 1/s).")] = "50/min",
    max_tries: Annotated[int, typer.Option("--max-tries", help="Tries per request before the sync stops "
                                                               "(the checkpoint is kept).")] = 6,
    timeout: Annotated[float, typer.Option(help="Seconds to connect, and for each read, of one request.")] = 60.0,
    backoff: Annotated[float, typer.Option(help="Seconds before the first retry (doubling, with jitter).")] = 2.0,
    restart: Annotated[bool, typer.Option("--restart", help="Drop an unfinished run's checkpoint and start a new "
                                                            "run (what it stored stays).")] = False,
    history: Annotated[bool, typer.Option("--history", help="List the latest sync runs and stop.")] = False,
) -> None:
    """Fetch the studies updated since the last sync and store them (same rule as ingest), with a change log."""
    if history:
        _print_history(db)
        return
    from trialscout.app import derive_criteria
    from trialscout.store import default_db_path, open_store
    from trialscout.sync import ClientOptions, SyncOptions, sync

    client = ClientOptions(base_url=base_url, rate_per_minute=parse_rate(rate), max_tries=max_tries,
                           timeout=timeout, backoff=backoff, backoff_max=max(backoff, 120.0))
    options = SyncOptions(client=client, query_cond=query_cond, query_term=query_term, since=since,
                          page_size=page_size, restart=restart)
    db_path = default_db_path(db)
    with open_store(db_path) as store, _Progress() as progress:
        store.on_wait = lambda: err.print("another process is writing to this store; waiting for its turn",
                                          markup=False)
        report = sync(store, options, derive=derive_criteria, on_page=progress.page, on_retry=progress.retry)
    _print_report(report, db_path)


class _Progress:
    """A rich bar on a terminal; one plain line per page otherwise (logs, cron)."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> _Progress:
        if err.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("[bold]sync"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                console=err, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("sync", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def page(self, done: PageDone) -> None:
        c = done.counts
        if self.bar is not None:
            if done.total is not None:
                self.bar.update(self.task, total=done.total)
            self.bar.advance(self.task, c.fetched)
        else:
            err.print(f"page {done.page}: fetched={c.fetched} new={c.new} updated={c.updated} "
                      f"unchanged={c.unchanged} rejected={c.rejected}", markup=False)

    def retry(self, attempt: int, why: str, delay: float) -> None:
        err.print(f"try {attempt} failed ({why}); trying again in {delay:.1f} s", markup=False)


def _print_report(report: SyncReport, db_path: Path) -> None:
    t = report.totals
    resumed = f" resumed_at_page={report.resumed_at_page}" if report.resumed_at_page else ""
    out.print(f"run={report.run_id} fetched={t['fetched']} new={t['new']} updated={t['updated']} "
              f"unchanged={t['unchanged']} rejected={t['rejected']} seconds={report.seconds:.1f} "
              f"since={report.since or 'all'}{resumed} db={db_path}", markup=False)
    for where, why in report.rejects[:10]:
        err.print(f"rejected: {where}: {why}", markup=False)
    more = t["rejected"] - min(10, len(report.rejects))
    if more > 0:
        err.print(f"{more} more rejected: `trialscout sync --history` counts them; the table sync_rejects lists "
                  "them", markup=False)


def _print_history(db: Path | None) -> None:
    from trialscout.store import default_db_path, open_store
    from trialscout.sync import history

    if not default_db_path(db).exists():
        raise TrialscoutError("no database here yet (run `trialscout ingest` or `trialscout sync` first)",
                              where=str(default_db_path(db)))
    with open_store(db) as store:  # opened for writing: an older store gains the sync tables
        runs = history(store.conn)
    if not runs:
        out.print("no sync has run on this store yet", markup=False)
    for r in runs:
        out.print(f"run={r['id']} status={r['status']} started={r['started']} finished={r['finished'] or '-'} "
                  f"since={r['since'] or 'all'} query={r['query']} pages={r['pages']} fetched={r['fetched']} "
                  f"new={r['new']} updated={r['updated']} unchanged={r['unchanged']} rejected={r['rejected']} "
                  f"base_url={r['base_url']}" + (f" error={r['error']}" if r["error"] else ""), markup=False)
