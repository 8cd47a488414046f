"""`watch add` (with its baseline) and `watch run`: look at every watch, write each finding once with the state
that makes it, then send the alerts due (this run's and any earlier one that failed)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from trialscout.errors import TrialscoutError
from trialscout.store import SqliteStore
from trialscout.store.lock import exclusive
from trialscout.watch import store as ws
from trialscout.watch.config import AlertSettings
from trialscout.watch.findings import Draft, Marks, compare
from trialscout.watch.look import Looked, RunContext, Seen, check_spec, dump_state, look
from trialscout.watch.model import Watch, WatchError, WatchSpec, check_email, check_name, check_url
from trialscout.watch.notify import deliver_due


@dataclass
class WatchOutcome:
    name: str
    findings: dict[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass
class RunReport:
    run_id: int
    outcomes: list[WatchOutcome] = field(default_factory=list)
    sent: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def findings(self) -> int:
        return sum(sum(o.findings.values()) for o in self.outcomes)


def add_watch(store: SqliteStore, *, name: str, spec: WatchSpec, patient: Path | None = None,
              store_patient: bool = False, email: str | None = None, webhook_url: str | None = None,
              webhook_secret: str | None = None, document: str | None = None) -> Watch:
    """Add a watch and take its baseline (what it matches now is not news). A patient file (or `document`, its
    content) is stored only with `store_patient`, the user's explicit consent."""
    name = check_name(name)
    kind = "patient" if patient is not None or document is not None else "search"
    check_spec(spec, kind)
    if kind == "patient":
        if not store_patient:
            raise WatchError("a patient watch keeps the patient file in the store: say so with --store-patient",
                             where="patient")
        document = document if document is not None else _read_patient(patient)
        _check_patient(document)
    email = check_email(email) if email else None
    webhook_url = check_url(webhook_url) if webhook_url else None
    if webhook_url and not webhook_secret:
        raise WatchError("a webhook needs a secret to sign its posts (--secret)", where="secret")
    ctx = RunContext(store)
    store.conn.execute("PRAGMA secure_delete = ON")  # a page the document passes through keeps no copy of it
    marks = ws.marks_now(store.conn)
    with store.transaction():
        watch_id = ws.insert_watch(store, name=name, kind=kind, spec=spec, document=document, email=email,
                                   webhook_url=webhook_url, webhook_secret=webhook_secret or None)
        _save_state(store, watch_id, look(ctx, kind, spec, document, {}), {})
        _save_marks(store, watch_id, marks, None)
    return ws.get_watch(store.conn, watch_id)


def _read_patient(path: Path | None) -> str:
    assert path is not None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise WatchError(f"cannot read the patient file ({type(exc).__name__}: {why})", where=str(path)) from None


def _check_patient(document: str) -> None:
    from trialscout.patient import load_patient

    if not document.strip():
        raise WatchError("the patient file is empty", where="patient")
    load_patient(document)  # a PatientError says what is wrong, without quoting the patient


def run_watches(store: SqliteStore, settings: AlertSettings | None = None, *, only: list[str] | None = None,
                send: bool = True, on_watch: Callable[[WatchOutcome], None] | None = None) -> RunReport:
    """Run every watch (or those named), one transaction each: a watch that fails is reported and the others go
    on. Then send what is due. A second `watch run` while one runs is refused at once."""
    settings = settings or AlertSettings()
    with exclusive(store.path, "watch"):
        started = time.monotonic()
        watches = [ws.get_watch(store.conn, n) for n in only] if only else ws.list_watches(store.conn)
        with store.transaction():
            run_id = int(store.conn.execute("INSERT INTO watch_runs (started, status) VALUES (?, 'running')",
                                            (ws.now(),)).lastrowid)
        report = RunReport(run_id)
        ctx = RunContext(store)
        logged = _change_log(store, min((ws.marks_of(store.conn, w.id).change_id for w in watches), default=0))
        for watch in watches:
            outcome = _run_one(store, ctx, run_id, watch, logged)
            report.outcomes.append(outcome)
            if on_watch:
                on_watch(outcome)
        errors = [f"{o.name}: {o.error}" for o in report.outcomes if o.error]
        with store.transaction():
            store.conn.execute("UPDATE watch_runs SET finished = ?, status = ?, watches = ?, findings = ?, error = ? "
                               "WHERE id = ?", (ws.now(), "failed" if errors else "done", len(watches),
                                                report.findings, "; ".join(errors)[:2000] or None, run_id))
        if send:
            report.sent, report.failed = deliver_due(store, settings)
        report.seconds = time.monotonic() - started
        return report


def _change_log(store: SqliteStore, since: int) -> list[tuple[int, str, dict[str, object]]]:
    rows = store.conn.execute("SELECT id, nct_id, field, old, new FROM study_changes WHERE id > ? ORDER BY id",
                              (since,))
    return [(r[0], r[1], {"field": r[2], "old": json.loads(r[3]) if r[3] is not None else None,
                          "new": json.loads(r[4]) if r[4] is not None else None}) for r in rows]


def _run_one(store: SqliteStore, ctx: RunContext, run_id: int, watch: Watch,
             logged: list[tuple[int, str, dict[str, object]]]) -> WatchOutcome:
    outcome = WatchOutcome(watch.name)
    try:
        before = ws.marks_of(store.conn, watch.id)
        marks = ws.marks_now(store.conn)
        seen = ws.seen(store.conn, watch.id)
        now = look(ctx, watch.kind, watch.spec, ws.document(store.conn, watch.id), seen)
        mine: dict[str, list[dict[str, object]]] = {}
        for change_id, nct_id, change in logged:
            if change_id > before.change_id:
                mine.setdefault(nct_id, []).append(change)
        drafts = compare(now, seen, before, mine)
        with store.transaction():
            _write_findings(store, run_id, watch, drafts)
            _save_state(store, watch.id, now, seen)
            _save_marks(store, watch.id, marks, run_id)
    except TrialscoutError as exc:
        outcome.error = exc.why
        return outcome
    for d in drafts:
        outcome.findings[d.kind] = outcome.findings.get(d.kind, 0) + 1
    return outcome


def _write_findings(store: SqliteStore, run_id: int, watch: Watch, drafts: list[Draft]) -> None:
    at = ws.now()
    store.conn.executemany(
        "INSERT INTO watch_findings (watch_id, run_id, nct_id, kind, title, status, reason, changes, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(watch.id, run_id, d.nct_id, d.kind, d.title, d.status, d.reason,
          json.dumps(d.changes, ensure_ascii=False, default=str), at) for d in drafts])
    if not drafts:
        return
    for channel, target in (("email", watch.email), ("webhook", watch.webhook_url)):
        if target:
            store.conn.execute("INSERT INTO watch_deliveries (watch_id, run_id, channel, target, status) "
                               "VALUES (?, ?, ?, ?, 'pending')", (watch.id, run_id, channel, target))


def _save_state(store: SqliteStore, watch_id: int, now: list[Looked], seen: dict[str, Seen]) -> None:
    rows = []
    for t in now:
        before = seen.get(t.nct_id)
        if before is None or (before.matched, before.content_hash, before.state) != (t.matched, t.content_hash,
                                                                                    t.state):
            rows.append((watch_id, t.nct_id, int(t.matched), t.content_hash, dump_state(t.state)))
    store.conn.executemany("INSERT OR REPLACE INTO watch_state (watch_id, nct_id, matched, content_hash, state) "
                           "VALUES (?, ?, ?, ?, ?)", rows)


def _save_marks(store: SqliteStore, watch_id: int, marks: Marks, run_id: int | None) -> None:
    store.conn.execute("UPDATE watches SET seen_study_id = ?, seen_change_id = ?, looked_at = ?, "
                       "last_run_id = coalesce(?, last_run_id) WHERE id = ?",
                       (marks.study_id, marks.change_id, marks.looked_at, run_id, watch_id))
