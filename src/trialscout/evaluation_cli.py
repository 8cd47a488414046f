"""`trialscout eval`: TREC topics through the pipeline and plain BM25, scored against qrels."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from trialscout.console import err, out, reports_errors
from trialscout.errors import TrialscoutError

eval_app = typer.Typer(add_completion=False, invoke_without_command=True, no_args_is_help=False,
                       help="Measure trialscout on data it was not written for: `trec` (retrieval, the default "
                            "when --topics is given) and `criteria` (per-criterion verdicts against experts).")


@eval_app.callback()
@reports_errors(interrupted="interrupted: nothing was scored")
def eval_root(
    ctx: typer.Context,
    topics: Annotated[Path | None, typer.Option("--topics", help="TREC topics XML (as `eval trec`).")] = None,
    qrels: Annotated[Path | None, typer.Option("--qrels", help="TREC qrels (as `eval trec`).")] = None,
    corpus: Annotated[list[Path] | None, typer.Option("--corpus", help="As `eval trec`.")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="As `eval trec`.")] = None,
    run: Annotated[Path | None, typer.Option("--run", help="As `eval trec`.")] = None,
    limit_topics: Annotated[int | None, typer.Option("--limit-topics", help="As `eval trec`.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="As `eval trec`.")] = False,
) -> None:
    """`trialscout eval --topics T --qrels Q` is `trialscout eval trec --topics T --qrels Q`."""
    if ctx.invoked_subcommand is not None:
        return
    if topics is None or qrels is None:
        out.print(ctx.get_help(), markup=False)
        raise typer.Exit(0 if topics is None and qrels is None else 2)
    _eval(topics, qrels, corpus or [], db, run, limit_topics, as_json)


@eval_app.command(name="trec")
@reports_errors(interrupted="interrupted: nothing was scored")
def eval_command(
    topics: Annotated[Path, typer.Option("--topics", help="TREC topics XML (<topic number=...>note</topic>).")],
    qrels: Annotated[Path, typer.Option("--qrels", help="TREC qrels (TOPIC 0 NCTID GRADE).")],
    corpus: Annotated[list[Path] | None, typer.Option("--corpus", help="Trial records to ingest into the db "
                                                                       "first (idempotent; repeatable).")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="SQLite store (default: $TRIALSCOUT_DB, else the "
                                                         "per-user data directory).")] = None,
    run: Annotated[Path | None, typer.Option("--run", help="Write the pipeline's TREC run here (and the "
                                                           "baseline's to RUN.bm25).")] = None,
    limit_topics: Annotated[int | None, typer.Option("--limit-topics", help="Only the first N topics.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The figures as JSON.")] = False,
) -> None:
    """Rank the stored trials for every topic (the pipeline and plain BM25); print NDCG@10, P@10, RR."""
    _eval(topics, qrels, corpus or [], db, run, limit_topics, as_json)


def _eval(topics: Path, qrels: Path, corpus: list[Path], db: Path | None, run: Path | None,
          limit_topics: int | None, as_json: bool) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from trialscout.app import Trialscout, derive_criteria
    from trialscout.evaluation import evaluate_collection, format_table
    from trialscout.ingest import ingest as run_ingest
    from trialscout.patient.topics import read_topics
    from trialscout.store import default_db_path, open_store

    for path in (topics, qrels, *corpus):
        if not path.exists():
            raise TrialscoutError("no such file", where=str(path))
    db_path = default_db_path(db)
    if corpus:
        with open_store(db_path) as store:
            report = run_ingest(store, corpus, derive=derive_criteria)
        err.print("ingest: " + " ".join(f"{k}={v}" for k, v in report.as_dict().items()), markup=False)
    count = len(list(read_topics(topics)))
    total = 2 * (min(count, limit_topics) if limit_topics is not None else count)
    progress = Progress(TextColumn("[bold]eval"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True, disable=not err.is_terminal)
    with Trialscout(db_path) as ts, progress:
        task = progress.add_task("eval", total=total)
        result, _ = evaluate_collection(ts, topics, qrels, limit_topics=limit_topics, run_path=run,
                                        on_topic=lambda _t: progress.advance(task))
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict(), indent=2) + "\n")
    else:
        out.print(format_table(result), markup=False)


@eval_app.command(name="criteria")
@reports_errors(interrupted="interrupted: nothing was scored")
def eval_criteria_command(
    annotations: Annotated[Path, typer.Option("--annotations", help="Criterion-level annotations: TrialGPT's JSON "
                                              "array, or a CSV with the columns patient_id, note, criterion_type, "
                                              "criterion_text, expert_eligibility (optional: trial_id, "
                                              "expert_sentences, gpt4_eligibility).")],
    policy: Annotated[list[str] | None, typer.Option("--policy", help="Absence policy to score (repeatable; "
                                                     "default: both default and strict).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N rows.")] = None,
    answers: Annotated[Path | None, typer.Option("--answers", help="Write every row's answer here (JSON lines).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="The figures as JSON.")] = False,
) -> None:
    """Every annotated criterion through the real pipeline (note -> facts; criterion -> constraints -> verdict),
    scored against the expert: accuracy beside the file's other system and the always-eligible baseline, the
    confusion table, decided rows, fails, evidence sentences, time per criterion."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from trialscout.evaluation.annotations import read_annotations
    from trialscout.evaluation.criteria import format_report, write_answers
    from trialscout.evaluation.criteria import run as run_criteria
    from trialscout.match.policy import names

    rows = read_annotations(annotations)[:limit]
    policies = policy or list(names())
    reports = []
    for name in policies:
        progress = Progress(TextColumn(f"[bold]{name}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=err, transient=True, disable=not err.is_terminal)
        with progress:
            task = progress.add_task(name, total=len(rows))
            reports.append(run_criteria(rows, name, on_row=lambda _a, t=task, p=progress: p.advance(t)))
    if answers is not None:
        write_answers(answers, reports)
    if as_json:
        sys.stdout.write(json.dumps([r.as_dict() for r in reports], indent=2) + "\n")
    else:
        out.print(format_report(reports), markup=False)
