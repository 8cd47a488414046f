"""Command line: each command is a thin call into the library."""

from __future__ import annotations

import json
import sys
import zipfile
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trialscout import __version__
from trialscout.cli_options import (
    AgeOption,
    CondOption,
    CountryOption,
    DbOption,
    PhaseOption,
    SexOption,
    StatusOption,
    TypeOption,
)
from trialscout.console import err, out, policy_names, reports_errors
from trialscout.errors import TrialscoutError
from trialscout.evaluation_cli import eval_app
from trialscout.screening_cli import screen_command
from trialscout.serve_cli import serve_command
from trialscout.sync_cli import sync_command
from trialscout.watch_cli import watch_app

if TYPE_CHECKING:
    from trialscout.model.patient import PatientFacts

# Every command imports what it needs when it runs: `--help`, `search` and `show` never pay for the web stack, the
# FHIR models or the criteria engine (bench/bench_startup.py measures it).
FORMATS = ("auto", "ctgov-json", "ctgov-xml", "page")
"""The --format choices (the same as trialscout.sources.FORMATS; a test keeps them equal)."""


app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="trialscout: find and explain clinical trials for cancer patients (offline).")



def bundled_sample() -> Path:
    """The sample of real oncology records shipped inside the package."""
    return Path(str(resources.files("trialscout").joinpath("data/sample-oncology.zip")))


@app.command()
@reports_errors
def convert(
    paths: Annotated[list[Path], typer.Argument(help="Files, directories or ZIPs of trial records.")],
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "auto",
    explain: Annotated[bool, typer.Option("--explain", help="For registry pages: where each field came from, "
                                                            "and the labelled lines not understood.")] = False,
) -> None:
    """Print each study found as one line of ClinicalTrials.gov API v2 JSON (NDJSON); problems go to stderr.

    A page that lacks something a stored record needs (its own NCT ID) is still printed with what was read,
    and a warning; records that could not be read at all make the exit status 1.
    """
    from trialscout.sources import iter_items

    if explain:
        _explain_pages(paths)
        return
    failed = 0
    for item in iter_items(paths, fmt):
        partial = getattr(item.error, "partial", None)
        if item.study is not None:
            sys.stdout.write(json.dumps(item.study.to_v2(), ensure_ascii=False) + "\n")
        elif partial:
            sys.stdout.write(json.dumps(partial, ensure_ascii=False) + "\n")
            err.print(f"partial record: {item.error}", markup=False)
        else:
            failed += 1
            err.print(f"skipped: {item.error}", markup=False)
    if failed:
        raise typer.Exit(1)


def _explain_pages(paths: list[Path]) -> None:
    from trialscout.sources import pages

    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            out.print(pages.format_explanation(pages.explain(str(f), f.read_bytes())), markup=False)


@app.command()
@reports_errors
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files, directories or ZIPs of trial records.")] = None,
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "auto",
    sample: Annotated[bool, typer.Option("--sample", help="Ingest the bundled sample of oncology trials.")] = False,
    rejects: Annotated[Path | None, typer.Option(help="Where rejected records are listed "
                                                      "(default: beside the database).")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=100_000,
                                            help="Records per transaction: an interrupted ingest loses at most "
                                                 "one batch (a re-run stores it).")] = 500,  # ingest.BATCH_SIZE
    workers: Annotated[int | None, typer.Option("--workers", min=1, max=256,
                                                help="Processes that parse records and their criteria (default: "
                                                     "every core; 1: all in this process). One writer either "
                                                     "way: the store is the same.")] = None,
) -> None:
    """Store records (upsert by NCT ID, newer last-update wins); ends with read/inserted/updated/unchanged/rejected."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from trialscout.app import derive_criteria
    from trialscout.ingest import ingest as run_ingest
    from trialscout.store import default_db_path, open_store

    sources = list(paths or []) + ([bundled_sample()] if sample else [])
    if not sources:
        raise TrialscoutError("nothing to ingest: give PATHs or --sample")
    db_path = default_db_path(db)
    rejects_path = rejects or db_path.with_name(db_path.name + ".rejects.jsonl")
    with open_store(db_path) as store, rejects_path.open("w", encoding="utf-8") as rejects_out:
        store.on_wait = lambda: err.print("another process is writing to this store; waiting for its turn",
                                          markup=False)
        progress = Progress(TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=err, transient=True, disable=not err.is_terminal)
        with progress:
            task = progress.add_task("ingest", total=_count_records(sources))
            report = run_ingest(store, sources, fmt=fmt, rejects_out=rejects_out, derive=derive_criteria,
                                on_item=lambda _item: progress.advance(task), batch_size=batch_size,
                                workers=workers)
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
    from trialscout.render import study_summary
    from trialscout.store import open_store

    with open_store(db, readonly=True) as store:
        study = store.get(nct_id.strip())
    if as_json:
        sys.stdout.write(json.dumps(study.to_v2(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.print(study_summary(study))


@app.command()
@reports_errors
def search(
    text: Annotated[str, typer.Argument(help="Words to find anywhere (all of them must occur); "
                                             "'... within 100 km of PLACE' adds a distance filter.")] = "",
    db: DbOption = None,
    cond: CondOption = None,
    intr: Annotated[str | None, typer.Option(help="Words in the interventions (names, other names, MeSH).")] = None,
    titles: Annotated[str | None, typer.Option(help="Words in the titles and acronym.")] = None,
    outcomes: Annotated[str | None, typer.Option(help="Words in the outcome measures.")] = None,
    sponsor: Annotated[str | None, typer.Option(help="Words in the sponsor and collaborators.")] = None,
    locn: Annotated[str | None, typer.Option(help="Words in the site names and places.")] = None,
    status: StatusOption = None,
    phase: PhaseOption = None,
    study_type: TypeOption = None,
    sex: SexOption = None,
    age: AgeOption = None,
    country: CountryOption = None,
    geo: Annotated[str | None, typer.Option(help="A site within a distance: distance(LAT,LON,50mi) or "
                                                  "distance(PLACE,100km).")] = None,
    near: Annotated[str | None, typer.Option(help="A place ('Zhengzhou', 'Boston, MA'); with --within.")] = None,
    within: Annotated[str, typer.Option(help="Radius for --near, e.g. 100km or 50mi.")] = "100km",
    started: Annotated[str | None, typer.Option(help="Start date range FROM..TO (YYYY[-MM[-DD]], either side "
                                                     "may be empty), e.g. 2020..2023-06.")] = None,
    updated: Annotated[str | None, typer.Option(help="Last-update date range FROM..TO.")] = None,
    sort: Annotated[str | None, typer.Option(help="relevance (default with words), or LastUpdatePostDate, "
                                                   "StartDate, StudyFirstPostDate, CompletionDate, "
                                                   "EnrollmentCount, NCTId, with :asc or :desc.")] = None,
    limit: Annotated[int, typer.Option(help="Page size.")] = 10,
    page_token: Annotated[str | None, typer.Option(help="The next-page token a previous search printed.")] = None,
    facets: Annotated[bool, typer.Option("--facets", help="Also count matches by status, phase, type, "
                                                          "country.")] = False,
    any_word: Annotated[bool, typer.Option("--any", help="Match any word instead of all.")] = False,
    exact: Annotated[bool, typer.Option("--exact", help="Only the words given: no synonyms, subtypes, MeSH "
                                                        "headings or other drug names.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Search with ClinicalTrials.gov's query areas and filters: BM25 ranking, sorting, paging, facets."""
    from trialscout.search.request import SearchRequest
    from trialscout.search.request import run as run_request
    from trialscout.store import open_store

    req = SearchRequest(term=text or None, cond=cond, intr=intr, titles=titles, outcomes=outcomes, spons=sponsor,
                        locn=locn, statuses=status or [], phases=phase or [], study_types=study_type or [],
                        sex=sex, age=age, countries=country or [], geo=f"distance({near},{within})" if near else geo,
                        start_from=_range(started)[0], start_to=_range(started)[1],
                        updated_from=_range(updated)[0], updated_to=_range(updated)[1],
                        sort=sort, page_size=limit, page_token=page_token, mode="any" if any_word else "all",
                        expand=not exact)
    with open_store(db, readonly=True) as store:
        page = run_request(store, req, facets=facets)
    if as_json:
        sys.stdout.write(json.dumps(page.model_dump(exclude_none=True), ensure_ascii=False, indent=2) + "\n")
        return
    out.print(f"{page.total} studies match", markup=False)
    for i, h in enumerate(page.hits, start=1):
        phases = "/".join(h.phases) or "-"
        out.print(f"{i:>3}. {h.nct_id}  [{h.status or '?'} | {phases}]  score={h.score:.2f}", markup=False)
        out.print(f"     {h.title or '(no title)'}", markup=False)
        if h.conditions:
            out.print(f"     conditions: {'; '.join(h.conditions[:4])}", markup=False)
        if h.nearest_km is not None:
            out.print(f"     nearest site: {h.nearest_km:g} km, {h.nearest_site}", markup=False)
    for name, counts in (page.facets or {}).items():
        out.print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()), markup=False)
    if page.next_page_token:
        out.print(f"next page: --page-token {page.next_page_token}", markup=False)


def _range(text: str | None) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    low, sep, high = text.partition("..")
    if not sep:
        raise TrialscoutError(f"date range {text!r} needs FROM..TO (either side may be empty)")
    return low or None, high or None


@app.command()
@reports_errors
def criteria(
    target: Annotated[str, typer.Argument(help="A stored trial's NCT ID, or a record file (any format).")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="The structured criteria JSON contract.")] = False,
) -> None:
    """The trial's eligibility criteria, each with what was understood (typed constraints) or not."""
    from trialscout.app import Trialscout
    from trialscout.criteria import parse_criteria
    from trialscout.render import criteria_view

    path = Path(target)
    if path.exists():
        found = [(nct, parse_criteria(text)) for nct, text in _criteria_texts(path)]
        if not found:
            raise TrialscoutError("no readable trial record with eligibility criteria", where=target)
    else:
        with Trialscout(db) as ts:
            found = [(target.strip().upper(), ts.criteria(target))]
    if as_json:
        doc = [c.to_contract() for c in found[0][1]] if len(found) == 1 else \
            {nct: [c.to_contract() for c in crits] for nct, crits in found}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return
    for nct_id, crits in found:
        computable = sum(1 for c in crits if c.computable)
        out.print(f"{nct_id}: {len(crits)} criteria, {computable} with a computable constraint", markup=False)
        out.print(criteria_view(crits))


def _criteria_texts(path: Path) -> list[tuple[str, str]]:
    """(label, criteria text) for each record in a file; a page without an NCT ID still gives its text."""
    from trialscout.sources import iter_items

    texts = []
    for item in iter_items([path]):
        if item.study is not None:
            texts.append((item.study.nct_id, item.study.eligibility_text or ""))
            continue
        partial = getattr(item.error, "partial", None) or {}
        ps = partial.get("protocolSection", {})
        text = ps.get("eligibilityModule", {}).get("eligibilityCriteria")
        if text:
            ident = ps.get("identificationModule", {})
            texts.append((ident.get("acronym") or ident.get("briefTitle") or item.where, text))
    return texts


@app.command()
@reports_errors
def patient(
    source: Annotated[Path, typer.Argument(help="Patient JSON, FHIR R4 Bundle, or a text note ('-' for stdin).")],
    as_json: Annotated[bool, typer.Option("--json", help="The PatientFacts JSON.")] = False,
) -> None:
    """Show what was understood from a patient record (nothing is stored or logged)."""
    from trialscout.patient import describe as describe_patient
    from trialscout.patient import to_json as patient_to_json

    facts = _load_patient(source)
    if as_json:
        sys.stdout.write(patient_to_json(facts) + "\n")
    else:
        out.print(describe_patient(facts), markup=False)


def _load_patient(source: Path) -> PatientFacts:
    from trialscout.patient import load_patient

    if str(source) == "-":
        return load_patient(sys.stdin.read())
    return load_patient(source)


@app.command()
@reports_errors
def match(
    patient_file: Annotated[Path, typer.Argument(metavar="PATIENT", help="Patient JSON, FHIR Bundle or note "
                                                                         "('-' for stdin).")],
    db: DbOption = None,
    trial: Annotated[list[str] | None, typer.Option(help="Only these trials (repeatable NCT IDs).")] = None,
    top: Annotated[int, typer.Option(help="How many trials to return.")] = 10,
    status: Annotated[list[str] | None, typer.Option(help="Only trials with this overall status "
                                                          "(repeatable).")] = None,
    policy: Annotated[str | None, typer.Option(help=f"Absence policy: {' or '.join(policy_names())}. The default "
                                                     "presumes what a full record would mention (a history of "
                                                     "dementia, a pregnancy) absent, as points to confirm; strict "
                                                     "presumes nothing.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The match JSON contract.")] = False,
    every: Annotated[bool, typer.Option("--all", help="Judge every stored trial (under --status), not only the "
                                                      "search's candidates; trials whose record's age range or sex "
                                                      "the patient is outside are pruned first (ineligible).")] = False,
    workers: Annotated[int, typer.Option(min=1, max=256, help="With --all: processes that share the trials.")] = 1,
) -> None:
    """Rank trials for a patient: a verdict per criterion with evidence, a verdict and score per trial."""
    from trialscout.app import Trialscout
    from trialscout.render import match_view
    from trialscout.search import build_filters

    facts = _load_patient(patient_file)
    for problem in facts.problems:
        err.print(f"patient: {problem.field}: {problem.message}", markup=False)
    filters = build_filters(statuses=status or [])
    if every and trial:
        raise TrialscoutError("--all judges every stored trial: leave out --trial")
    with Trialscout(db, hold=False) as ts:  # one command: nothing to keep trials for
        if every:
            found = ts.match_all(facts, filters=filters, top=top or None, policy=policy, workers=workers)
            results = found.shown
            verdicts = Counter(r.eligibility for r in found.ranked)
            err.print(f"{found.evaluated + found.pruned} trials judged: {found.evaluated} evaluated, {found.pruned} "
                      f"pruned by their record's age range or sex; "
                      + ", ".join(f"{verdicts[v]} {v}" for v in ("eligible", "uncertain", "ineligible")),
                      markup=False)
        else:
            results = ts.match(facts, nct_ids=trial or None, top=top, filters=filters, policy=policy)
    if as_json:
        sys.stdout.write(json.dumps([m.to_contract() for m in results], ensure_ascii=False, indent=2) + "\n")
    else:
        out.print(match_view(results))


app.add_typer(eval_app, name="eval")
app.command(name="screen")(screen_command)
app.command(name="serve")(serve_command)
app.command(name="sync")(sync_command)
app.add_typer(watch_app, name="watch")


@app.command()
@reports_errors
def related(
    nct_id: Annotated[str, typer.Argument(help="A stored trial's NCT ID.")],
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="How many related trials.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """The stored trials most like this one, each with what they share (conditions, interventions, design)."""
    from trialscout.search.related import related as find_related
    from trialscout.store import open_store

    with open_store(db, readonly=True) as store:
        found = find_related(store, nct_id.strip().upper(), limit=limit)
    if as_json:
        sys.stdout.write(json.dumps([r.model_dump() for r in found], ensure_ascii=False, indent=2) + "\n")
        return
    for i, r in enumerate(found, start=1):
        out.print(f"{i:>3}. {r.nct_id}  [{r.status or '?'}]  score={r.score:.3f}  {r.title or ''}", markup=False)
        out.print(f"     shares {r.explanation()}", markup=False)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(f"trialscout {__version__}", markup=False)


if __name__ == "__main__":  # pragma: no cover
    app()
