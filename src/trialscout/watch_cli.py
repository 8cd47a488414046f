"""`trialscout watch add|list|show|remove|run`: saved searches and stored patients, checked after each sync or
ingest, with alerts. Patient documents are never printed; a watch is named, never its patient."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

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
from trialscout.console import err, out, reports_errors
from trialscout.errors import TrialscoutError

watch_app = typer.Typer(no_args_is_help=True, help="Saved searches and patients checked after each sync or ingest, "
                                                   "with e-mail and webhook alerts.")
JsonOption = Annotated[bool, typer.Option("--json", help="JSON output.")]


@watch_app.command("add")
@reports_errors
def add(
    name: Annotated[str, typer.Argument(help="The watch's name (alerts name the watch, never a patient).")],
    db: DbOption = None,
    query: Annotated[str | None, typer.Option(help="Words to find anywhere (all must occur).")] = None,
    cond: CondOption = None,
    status: StatusOption = None,
    phase: PhaseOption = None,
    study_type: TypeOption = None,
    sex: SexOption = None,
    age: AgeOption = None,
    country: CountryOption = None,
    near: Annotated[str | None, typer.Option(help="A place ('Boston, MA'): trials with a site within --radius.")]
    = None,
    radius: Annotated[float, typer.Option(help="Kilometres around --near.")] = 100.0,
    patient: Annotated[Path | None, typer.Option(help="A patient file (JSON, FHIR Bundle or note) to match trials "
                                                      "against; kept in the store (needs --store-patient).")] = None,
    store_patient: Annotated[bool, typer.Option("--store-patient", help="Consent to keep the patient file in the "
                                                                        "store until `watch remove`.")] = False,
    top: Annotated[int, typer.Option(help="Patient watches: the patient's best candidates judged each run.")] = 50,
    eligible_only: Annotated[bool, typer.Option("--eligible-only", help="Patient watches: only `eligible` counts "
                                                                        "as a match (default: eligible or "
                                                                        "uncertain).")] = False,
    email: Annotated[str | None, typer.Option(help="Send each run's findings to this address.")] = None,
    webhook: Annotated[str | None, typer.Option(help="POST each run's findings (JSON) to this URL.")] = None,
    secret: Annotated[str | None, typer.Option(help="The webhook's HMAC-SHA256 signing secret.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a watch: what it matches now is its baseline; later runs report what changes."""
    from trialscout.store import open_store
    from trialscout.watch import WatchSpec, add_watch

    spec = WatchSpec(query=query, cond=cond, statuses=status or [], phases=phase or [],
                     study_types=study_type or [], sex=sex, age=age, countries=country or [], near=near,
                     radius_km=radius if near else None, top=top,
                     verdicts=["eligible"] if eligible_only else ["eligible", "uncertain"])
    with open_store(db) as store:
        watch = add_watch(store, name=name, spec=spec, patient=patient, store_patient=store_patient, email=email,
                          webhook_url=webhook, webhook_secret=secret)
        matched = store.conn.execute("SELECT count(*) FROM watch_state WHERE watch_id = ? AND matched = 1",
                                     (watch.id,)).fetchone()[0]
    if as_json:
        sys.stdout.write(json.dumps({**watch.model_dump(), "matching": matched}, indent=2) + "\n")
        return
    out.print(f"watch {watch.name} (#{watch.id}, {watch.kind}) added: {matched} trial(s) match now (the baseline)",
              markup=False)
    if watch.kind == "patient":
        out.print("the patient file is kept in the store until `trialscout watch remove` deletes it", markup=False)


@watch_app.command("list")
@reports_errors
def list_(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the watches."""
    from trialscout.store import open_store
    from trialscout.watch import list_watches

    with open_store(_existing(db)) as store:
        watches = list_watches(store.conn)
    if as_json:
        sys.stdout.write(json.dumps([w.model_dump() for w in watches], indent=2) + "\n")
        return
    if not watches:
        out.print("no watches yet (`trialscout watch add`)", markup=False)
    for w in watches:
        alerts = ", ".join(x for x in (w.email and f"email {w.email}", w.webhook_url and "webhook") if x) or "none"
        out.print(f"#{w.id} {w.name} [{w.kind}] {_what(w)} alerts: {alerts} last run: {w.last_run_id or '-'}",
                  markup=False)


@watch_app.command("show")
@reports_errors
def show(
    watch: Annotated[str, typer.Argument(help="The watch's name or number.")],
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="How many of the latest findings.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """A watch, its latest findings and its alert deliveries."""
    from trialscout.store import open_store
    from trialscout.watch import deliveries, findings, get_watch
    from trialscout.watch.findings import describe

    with open_store(_existing(db)) as store:
        w = get_watch(store.conn, watch)
        found = findings(store.conn, w.id, limit=limit)
        sent = deliveries(store.conn, watch_id=w.id)
    if as_json:
        doc = {"watch": w.model_dump(), "findings": [f.model_dump() for f in found],
               "deliveries": [d.model_dump() for d in sent]}
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return
    out.print(f"#{w.id} {w.name} [{w.kind}] {_what(w)} created {w.created}", markup=False)
    for f in found:
        out.print(f"run {f.run_id} {f.kind:<11} {f.nct_id} [{f.status or '?'}] {f.title or ''}", markup=False)
        out.print(f"    {f.reason}", markup=False)
        for c in f.changes[:5]:
            out.print(f"      - {describe(c)}", markup=False)
    for d in sent:
        out.print(f"delivery {d.channel} run {d.run_id}: {d.status}, {d.tries} tr{'y' if d.tries == 1 else 'ies'}"
                  + (f", last error: {d.last_error}" if d.last_error else ""), markup=False)


@watch_app.command("remove")
@reports_errors
def remove(
    watch: Annotated[str, typer.Argument(help="The watch's name or number.")],
    db: DbOption = None,
) -> None:
    """Delete a watch and all it kept, its patient file included, for good (the bytes are overwritten)."""
    from trialscout.store import open_store
    from trialscout.watch import remove_watch

    with open_store(_existing(db)) as store:
        w, cleared = remove_watch(store, watch)
    out.print(f"watch {w.name} (#{w.id}) removed" + (" with its patient file" if w.kind == "patient" else ""),
              markup=False)
    if not cleared:
        err.print("another process reading the store holds its write-ahead log: the deleted pages leave it at the "
                  "next `trialscout watch` command once that process is done", markup=False)


@watch_app.command("run")
@reports_errors
def run(
    db: DbOption = None,
    watch: Annotated[list[str] | None, typer.Option("--watch", help="Only this watch (repeatable).")] = None,
    config: Annotated[Path | None, typer.Option(help="Alert settings (TOML; default $TRIALSCOUT_CONFIG); "
                                                     "TRIALSCOUT_SMTP_* variables override it.")] = None,
    no_send: Annotated[bool, typer.Option("--no-send", help="Record findings; send no alerts (they stay "
                                                            "pending).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Check every watch against the store (after a sync or ingest); write and send what is new."""
    from trialscout.store import open_store
    from trialscout.watch import load_settings, run_watches

    settings = load_settings(config)
    with open_store(_existing(db)) as store:
        store.on_wait = lambda: err.print("another process is writing to this store; waiting for its turn",
                                          markup=False)
        report = run_watches(store, settings, only=watch, send=not no_send)
    if as_json:
        doc = {"run": report.run_id, "findings": report.findings, "sent": report.sent, "failed": report.failed,
               "seconds": round(report.seconds, 3),
               "watches": [{"name": o.name, "findings": o.findings, "error": o.error} for o in report.outcomes]}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        for o in report.outcomes:
            counts = ", ".join(f"{n} {k}" for k, n in o.findings.items()) or "nothing new"
            out.print(f"{o.name}: " + (f"error: {o.error}" if o.error else counts), markup=False)
        out.print(f"run={report.run_id} watches={len(report.outcomes)} findings={report.findings} "
                  f"sent={report.sent} failed={len(report.failed)} seconds={report.seconds:.1f}", markup=False)
    for why in report.failed:
        err.print(f"alert not sent (kept, tried again next run): {why}", markup=False)
    if report.failed or any(o.error for o in report.outcomes):
        raise typer.Exit(1)


def _existing(db: Path | None) -> Path:
    from trialscout.store import default_db_path

    path = default_db_path(db)
    if not path.exists():
        raise TrialscoutError("no database here yet (run `trialscout ingest` or `trialscout sync` first)",
                              where=str(path))
    return path


def _what(w: object) -> str:
    spec = w.spec  # type: ignore[attr-defined]
    bits = [f"query={spec.query!r}" if spec.query else "", f"cond={spec.cond!r}" if spec.cond else "",
            f"status={','.join(spec.statuses)}" if spec.statuses else "",
            f"near={spec.near!r} within {spec.radius_km:g} km" if spec.near else ""]
    if w.kind == "patient":  # type: ignore[attr-defined]
        bits.append(f"patient (stored), top {spec.top}, verdicts {'/'.join(spec.verdicts)}")
    return " ".join(b for b in bits if b)
