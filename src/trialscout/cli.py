"""Command line: each command is a thin call into the library."""

from __future__ import annotations

import json
import sys
import zipfile
from collections.abc import Callable
from functools import wraps
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trialscout import __version__
from trialscout.errors import TrialscoutError
from trialscout.ingest import ingest as run_ingest
from trialscout.render import study_summary
from trialscout.search import build_filters
from trialscout.search import search as run_search
from trialscout.sources import FORMATS, iter_items
from trialscout.store import default_db_path, open_store

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="trialscout: find and explain clinical trials for cancer patients (offline).")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[Path | None, typer.Option("--db", help="SQLite store (default: $TRIALSCOUT_DB, "
                                                            "else the per-user data directory).")]
F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(fn: F) -> F:
    """Our errors end the command with one line on stderr and a non-zero exit, never a trace."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TrialscoutError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("interrupted: committed batches are kept; run the same command again to complete it",
                      markup=False)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def bundled_sample() -> Path:
    """The sample of real oncology records shipped inside the package."""
    return Path(str(resources.files("trialscout").joinpath("data/sample-oncology.zip")))


@app.command()
@reports_errors
def convert(
    paths: Annotated[list[Path], typer.Argument(help="Files, directories or ZIPs of trial records.")],
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "auto",
) -> None:
    """Print each study found as one line of ClinicalTrials.gov API v2 JSON (NDJSON); errors go to stderr."""
    failed = 0
    for item in iter_items(paths, fmt):
        if item.study is not None:
            sys.stdout.write(json.dumps(item.study.to_v2(), ensure_ascii=False) + "\n")
        else:
            failed += 1
            err.print(f"skipped: {item.error}", markup=False)
    if failed:
        raise typer.Exit(1)


@app.command()
@reports_errors
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files, directories or ZIPs of trial records.")] = None,
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "auto",
    sample: Annotated[bool, typer.Option("--sample", help="Ingest the bundled sample of oncology trials.")] = False,
    rejects: Annotated[Path | None, typer.Option(help="Where rejected records are listed "
                                                      "(default: beside the database).")] = None,
) -> None:
    """Store records (upsert by NCT ID, newer last-update wins); ends with read/inserted/updated/unchanged/rejected."""
    sources = list(paths or []) + ([bundled_sample()] if sample else [])
    if not sources:
        raise TrialscoutError("nothing to ingest: give PATHs or --sample")
    db_path = default_db_path(db)
    rejects_path = rejects or db_path.with_name(db_path.name + ".rejects.jsonl")
    with open_store(db_path) as store, rejects_path.open("w", encoding="utf-8") as rejects_out:
        progress = Progress(TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=err, transient=True, disable=not err.is_terminal)
        with progress:
            task = progress.add_task("ingest", total=_count_records(sources))
            report = run_ingest(store, sources, fmt=fmt, rejects_out=rejects_out,
                                on_item=lambda _item: progress.advance(task))
        total = store.count()
    counts = report.as_dict()
    out.print(" ".join(f"{k}={v}" for k, v in counts.items()) + f" stored={total} db={db_path}", markup=False)
    if report.rejected:
        for where, why in report.rejects[:10]:
            err.print(f"rejected: {where}: {why}", markup=False)
        more = report.rejected - min(10, len(report.rejects))
        err.print(f"{report.rejected} rejected record(s) listed in {rejects_path}"
                  + (f" ({more} more than shown)" if more > 0 else ""), markup=False)
    else:
        rejects_path.unlink(missing_ok=True)


def _count_records(paths: list[Path]) -> int | None:
    """Members of ZIP inputs (cheap, from the central directory); None when not knowable up front."""
    total = 0
    for p in paths:
        if p.is_file() and zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as zf:
                total += sum(1 for i in zf.infolist() if not i.is_dir())
        else:
            return None
    return total


@app.command()
@reports_errors
def show(
    nct_id: Annotated[str, typer.Argument(help="The study's NCT ID.")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the ClinicalTrials.gov v2 JSON.")] = False,
) -> None:
    """Show one stored study: a readable summary, or its v2 JSON."""
    with open_store(db, readonly=True) as store:
        study = store.get(nct_id.strip())
    if as_json:
        sys.stdout.write(json.dumps(study.to_v2(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.print(study_summary(study))


@app.command()
@reports_errors
def search(
    text: Annotated[str, typer.Argument(help="Words to find (all of them must occur).")] = "",
    db: DbOption = None,
    status: Annotated[list[str] | None, typer.Option(help="Overall status, e.g. RECRUITING (repeatable).")] = None,
    phase: Annotated[list[str] | None, typer.Option(help="Phase, e.g. PHASE2 (repeatable).")] = None,
    study_type: Annotated[list[str] | None, typer.Option("--type", help="INTERVENTIONAL, OBSERVATIONAL, "
                                                                        "EXPANDED_ACCESS.")] = None,
    sex: Annotated[str | None, typer.Option(help="Trials open to this sex: FEMALE or MALE.")] = None,
    age: Annotated[float | None, typer.Option(help="Trials whose age range includes this age (years).")] = None,
    country: Annotated[list[str] | None, typer.Option(help="Trials with a site in this country.")] = None,
    limit: Annotated[int, typer.Option(help="How many results.")] = 10,
    offset: Annotated[int, typer.Option(help="Skip this many results.")] = 0,
    any_word: Annotated[bool, typer.Option("--any", help="Match any word instead of all.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """BM25-ranked full-text search with ClinicalTrials.gov-style filters."""
    filters = build_filters(statuses=status or [], phases=phase or [], study_types=study_type or [], sex=sex,
                            age=age, countries=country or [])
    with open_store(db, readonly=True) as store:
        page = run_search(store, text, filters, limit=limit, offset=offset, mode="any" if any_word else "all")
    if as_json:
        sys.stdout.write(json.dumps(page.model_dump(), ensure_ascii=False, indent=2) + "\n")
        return
    out.print(f"{page.total} studies match", markup=False)
    for i, h in enumerate(page.hits, start=offset + 1):
        phases = "/".join(h.phases) or "-"
        out.print(f"{i:>3}. {h.nct_id}  [{h.status or '?'} | {phases}]  score={h.score:.2f}", markup=False)
        out.print(f"     {h.title or '(no title)'}", markup=False)
        if h.conditions:
            out.print(f"     conditions: {'; '.join(h.conditions[:4])}", markup=False)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(f"trialscout {__version__}", markup=False)


if __name__ == "__main__":  # pragma: no cover
    app()
