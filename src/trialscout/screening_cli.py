"""The `trialscout screen` command: a thin call into `trialscout.screening.screen`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trialscout.console import err, out, policy_names, reports_errors

if TYPE_CHECKING:
    from trialscout.screening import ScreenReport


@reports_errors(interrupted="interrupted: completed patients are kept; run the same command again to finish")
def screen_command(
    patients: Annotated[Path, typer.Argument(metavar="PATIENTS", help="A directory of patient files (JSON, FHIR "
                                                                      "Bundle, notes) or an NDJSON of patient JSON.")],
    output: Annotated[Path, typer.Option("--out", help="The patient x trial table: FILE.csv or FILE.jsonl.")],
    query: Annotated[str | None, typer.Option(help="Only trials matching all these words.")] = None,
    status: Annotated[list[str] | None, typer.Option(help="Only trials with this overall status "
                                                          "(repeatable).")] = None,
    phase: Annotated[list[str] | None, typer.Option(help="Only trials of this phase (repeatable).")] = None,
    trial: Annotated[list[str] | None, typer.Option(help="Only these trials (repeatable NCT IDs).")] = None,
    workers: Annotated[int | None, typer.Option(help="Local processes (default: all cores).")] = None,
    cluster: Annotated[str | None, typer.Option(help="Run on this Dask distributed scheduler "
                                                     "(tcp://host:port) instead of local processes.")] = None,
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Skip patients an earlier run into the same "
                                                                      "output completed (default), or start over.")]
    = True,
    policy: Annotated[str | None, typer.Option(help=f"Absence policy: {' or '.join(policy_names())}. The default "
                                                     "presumes what a full record would mention absent (counted in "
                                                     "n_presumed, listed in to_confirm); strict presumes nothing.")]
    = None,
    db: Annotated[Path | None, typer.Option("--db", help="SQLite store (default: $TRIALSCOUT_DB, else the "
                                                         "per-user data directory).")] = None,
) -> None:
    """Screen every patient against every selected trial: verdict, score, failing, unknown and presumed criteria.

    Resumable: run the same command again after an interruption and only the unfinished patients are screened.
    """
    from trialscout.screening import TrialSelection, screen
    from trialscout.search import build_filters

    selection = TrialSelection(query=query, nct_ids=tuple(trial or ()),
                               filters=None if not (status or phase) else
                               build_filters(statuses=status or [], phases=phase or []))
    report = screen(patients, selection, output, db=db, workers=workers, cluster=cluster, resume=resume,
                    policy=policy)
    _print_report(report)


def _print_report(report: ScreenReport) -> None:
    for where, why in report.bad:
        err.print(f"skipped patient: {where}: {why}", markup=False)
    for where, why in report.warnings:
        err.print(f"patient {where}: {why}", markup=False)
    out.print(f"patients={report.patients} screened={report.screened} already_done={report.already_done} "
              f"bad={len(report.bad)} trials={report.trials} rows={report.rows} seconds={report.seconds:.1f} "
              f"out={report.out}", markup=False)
