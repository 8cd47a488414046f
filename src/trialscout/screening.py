"""Cohort screening: every patient of a cohort against every selected trial, on all cores or a Dask cluster, resumable.

The output is a patient x trial table (CSV or JSON lines). It is written one chunk of whole patients at a time,
and a sidecar `OUT.progress` file records which patients are complete and how long the output was after them,
so an interrupted run is finished by running it again: complete patients are skipped, and anything written after
the last recorded chunk is cut off first (never a half-written row). Patient data is never logged: problems are
reported by file (or NDJSON line) and reason only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as wait_local
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from trialscout.app import (
    CRITERIA,
    CRITERIA_ENGINE,
    MATCH_PACKAGES,
    Trialscout,
    compiled_trial,
    engine_version,
)
from trialscout.errors import QueryError, TrialscoutError
from trialscout.match import match_trial
from trialscout.match.evaluate import ordered
from trialscout.match.policy import policy as absence_policy
from trialscout.model.compiled import CompiledTrial
from trialscout.model.match import TrialMatch
from trialscout.model.patient import PatientFacts
from trialscout.screening_table import COLUMNS, LIST_SEP, ResultTable, ScreeningError, encode_rows
from trialscout.search import search
from trialscout.store import SqliteStore, StudyFilters, open_store

__all__ = ["COLUMNS", "LIST_SEP", "PatientInput", "ScreenReport", "ScreeningError", "TrialSelection", "TrialSource",
           "iter_patients", "match_row", "screen", "screen_chunk", "select_trials"]

SHORT_TEXT = 120
MAX_PATIENT_BYTES = 20 * 1024 * 1024
TARGET_PAIRS_PER_CHUNK = 20_000
MIN_PARALLEL_PAIRS = 5_000
"""Below this many patient x trial pairs, starting worker processes costs more than it saves: run in-process."""
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
CLUSTER_TIMEOUT = "20s"


@dataclass(frozen=True)
class TrialSelection:
    """Which stored trials to screen against: words to search, filters, NCT IDs; nothing selects all."""

    query: str | None = None
    filters: StudyFilters | None = None
    nct_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PatientInput:
    """One patient to screen: its key in the output (file path or NDJSON id), the record text, its file name."""

    key: str
    text: str
    ref: str | None = None


@dataclass
class ScreenReport:
    out: Path
    trials: int = 0
    patients: int = 0
    """Readable patient records found in the input (bad ones included)."""
    screened: int = 0
    """Patients completed by this run."""
    already_done: int = 0
    """Patients skipped because an earlier run completed them."""
    rows: int = 0
    bad: list[tuple[str, str]] = field(default_factory=list)
    """(file or NDJSON line, reason) of patients that could not be read; they were skipped."""
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """(patient, the fields holding values that were not used) for patients screened despite problems."""
    seconds: float = 0.0


# ---- trials ----------------------------------------------------------------------------------------------------

def select_trials(store: SqliteStore, selection: TrialSelection) -> list[str]:
    """The NCT IDs selected: by BM25 when there is a query, else in store order; raises when none is selected."""
    filters = replace(selection.filters or StudyFilters(), nct_ids=[i.strip().upper() for i in selection.nct_ids])
    if not selection.query and filters.is_empty():
        ids = store.nct_ids()
    elif not selection.query and filters.nct_ids and filters == StudyFilters(nct_ids=filters.nct_ids):
        ids = list(dict.fromkeys(filters.nct_ids))
        stored = set(store.nct_ids())
        if missing := [i for i in ids if i not in stored]:
            raise ScreeningError(f"not in the store: {', '.join(missing)}", where=str(store.path))
    else:
        ids = []
        while True:
            page = search(store, selection.query, filters, limit=1000, offset=len(ids), mode="all")
            ids += [h.nct_id for h in page.hits]
            if len(page.hits) < 1000:
                break
    if not ids:
        raise ScreeningError("no stored trial matches the trial selection")
    return ids


@dataclass(frozen=True)
class TrialSource:
    """The selected trials as a worker gets them: read from the store file (local workers), or carried along as
    records (remote workers, which may not see the file). Each worker prepares them once and keeps them."""

    db: str
    nct_ids: tuple[str, ...]
    fingerprint: str
    records: tuple[CompiledTrial, ...] | None = None

    def with_records(self) -> TrialSource:
        with SqliteStore(self.db, readonly=True) as store:
            return replace(self, records=tuple(compiled_trial(store, i, remember=True) for i in self.nct_ids))


def trial_source(store: SqliteStore, nct_ids: list[str]) -> TrialSource:
    """A TrialSource whose fingerprint changes when the selection, a trial or its stored criteria change."""
    digest = hashlib.sha256(engine_version(MATCH_PACKAGES).encode())
    for nct_id in nct_ids:
        row = store.conn.execute(
            "SELECT s.content_hash, d.json, e.json FROM studies s "
            "LEFT JOIN derived d ON d.study_id = s.id AND d.kind = ? "
            "LEFT JOIN derived e ON e.study_id = s.id AND e.kind = ? WHERE s.nct_id = ?",
            (CRITERIA, CRITERIA_ENGINE, nct_id)).fetchone()
        parts = row if row else ("", "", "")
        digest.update(f"{nct_id}\0{parts[0]}\0{parts[1]}\0{parts[2]}\n".encode())
    return TrialSource(db=str(store.path), nct_ids=tuple(nct_ids), fingerprint=digest.hexdigest()[:32])


Prepared = list[CompiledTrial]
_PREPARED: dict[str, Prepared] = {}
_PREPARED_LOCK = threading.Lock()


def _prepared(source: TrialSource) -> Prepared:
    """The trials, compiled (parsed now where the store holds none of this engine), built once per worker
    process (threads share them)."""
    with _PREPARED_LOCK:
        if source.fingerprint not in _PREPARED:
            if source.records is None:
                with SqliteStore(source.db, readonly=True) as store:
                    trials = [compiled_trial(store, i, remember=True) for i in source.nct_ids]
            else:
                trials = list(source.records)
            _PREPARED.clear()  # one selection per worker at a time
            _PREPARED[source.fingerprint] = trials
        return _PREPARED[source.fingerprint]


def _init_worker(source: TrialSource) -> None:
    _prepared(source)


# ---- patients --------------------------------------------------------------------------------------------------

def iter_patients(source: Path) -> Iterator[PatientInput | tuple[str, str]]:
    """Patients of a directory (every file below it, sorted; key = relative path), of an NDJSON file (one patient
    JSON document per line; key = its `id`, else `line N`), or of a single patient file. Unreadable ones are
    yielded as (where, why)."""
    if source.is_dir():
        for path in sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith(".")):
            yield _read_file(path, path.relative_to(source).as_posix())
    elif not source.is_file():
        raise ScreeningError("no such file or directory", where=str(source))
    elif source.suffix.lower() in NDJSON_SUFFIXES:
        yield from _iter_ndjson(source)
    else:
        yield _read_file(source, source.name)


def _read_file(path: Path, key: str) -> PatientInput | tuple[str, str]:
    try:
        if path.stat().st_size > MAX_PATIENT_BYTES:
            return key, f"file larger than {MAX_PATIENT_BYTES // (1024 * 1024)} MB"
        return PatientInput(key, path.read_bytes().decode("utf-8-sig"), path.name)
    except UnicodeDecodeError:
        return key, "not a UTF-8 text file"
    except OSError as exc:
        return key, f"cannot read ({exc.strerror})"


def _iter_ndjson(path: Path) -> Iterator[PatientInput | tuple[str, str]]:
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8-sig", errors="replace") as lines:
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                yield f"line {n}", f"not valid JSON: {exc.msg} at column {exc.colno}"
                continue
            ident = doc.get("id") if isinstance(doc, dict) else None
            key = str(ident) if isinstance(ident, str | int) and str(ident).strip() else f"line {n}"
            if key in seen:
                yield f"line {n}", f"duplicate patient id (first on line {seen[key]})"
                continue
            seen[key] = n
            yield PatientInput(key, line, f"{path.name}:{n}")


def _facts(patient: PatientInput) -> PatientFacts:
    """What load_patient does for a file, from text already read (so remote workers need no shared files)."""
    from trialscout.patient import detect_kind, from_fhir, from_json, from_note

    kind = detect_kind(patient.text, patient.ref)
    if kind == "note":
        return from_note(patient.text, patient.ref)
    return from_fhir(patient.text, patient.ref) if kind == "fhir" else from_json(patient.text, patient.ref)


def _nothing_understood(facts: PatientFacts) -> bool:
    return not any((facts.age, facts.sex, facts.diagnoses, facts.biomarkers, facts.labs, facts.performance_status,
                    facts.prior_therapies, facts.pregnancy, facts.comorbidities, facts.negated))


# ---- one chunk of patients against every trial ------------------------------------------------------------------

@dataclass
class ChunkResult:
    """What a worker sends back: the rows (or, given an output format, the rows already encoded), whom it did."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    data: bytes = b""
    n_rows: int = 0
    done: list[str] = field(default_factory=list)
    bad: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def short(text: str, limit: int = SHORT_TEXT) -> str:
    """A criterion's words on one line, cut to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


def screen_small(ts: Trialscout, cohort: list[tuple[str, PatientFacts]], selection: TrialSelection, *,
                 max_trials: int, policy: str | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """A few patients against the selected trials in this process (the REST API's screen): the trials, and one
    row per patient × trial as `trialscout screen` writes them (the same scores: eligibility only, no relevance),
    each patient's rows best first. Bigger jobs belong to `screen`."""
    if not selection.nct_ids and not selection.query and (selection.filters or StudyFilters()).is_empty():
        raise QueryError("choose the trials: name them, or select them with words and statuses", where="trials")
    selected = select_trials(ts.store, selection)
    if len(selected) > max_trials:
        raise QueryError(f"the selection has {len(selected)} trials; at most {max_trials} per request: narrow it",
                         where="query")
    absence_policy(policy)
    rows = []
    for name, facts in cohort:
        found = [ts.match_one(facts, i, relevance=0.0, policy=policy) for i in selected]
        rows += [match_row(name, m) for m in sorted(found, key=lambda m: (-m.score, m.nct_id))]
    return selected, rows


def match_row(patient: str, m: TrialMatch) -> dict[str, Any]:
    """One output row: the trial verdict and score, the counts, the failing and unknown computable criteria, the
    verdict in words (`eligible, 3 points to confirm`) and the criteria presumed met (`to_confirm`)."""
    # alternatives are settled by their lead-in; failing criteria first, as a shown match lists them (the match may
    # have been judged without explanations, in criterion order)
    standing = [c for c in ordered(m.criteria) if c.alternative_of is None]

    def texts(verdict: str) -> list[str]:
        return [short(c.text) for c in standing if c.computable and c.verdict == verdict]

    counts = m.counts
    return {"patient": patient, "nct_id": m.nct_id, "eligibility": m.eligibility, "score": round(m.score, 6),
            "n_pass": counts.get("pass", 0), "n_fail": counts.get("fail", 0), "n_unknown": counts.get("unknown", 0),
            "n_not_computable": counts.get("not_computable", 0), "failing": texts("fail"), "unknown": texts("unknown"),
            "n_presumed": counts.get("presumed", 0), "n_not_applicable": counts.get("not_applicable", 0),
            "summary": m.summary,
            "to_confirm": [short(c.text) for c in standing if c.verdict == "pass" and c.presumed]}


def screen_chunk(source: TrialSource, patients: list[PatientInput], today: dt.date | None = None,
                 fmt: str | None = None, policy: str | None = None) -> ChunkResult:
    """Every patient of the chunk against every trial of the source (the unit of work sent to a worker), under
    the absence `policy`. With `fmt` (csv, jsonl) the rows come back encoded in `data`, ready to append."""
    trials = _prepared(source)
    result = ChunkResult()
    for patient in patients:
        try:
            facts = _facts(patient)
        except TrialscoutError as exc:
            result.bad.append((patient.key, exc.why))
            continue
        except Exception as exc:  # noqa: BLE001 - one unreadable record must not stop the cohort; no content logged
            result.bad.append((patient.key, f"could not be read ({type(exc).__name__})"))
            continue
        if _nothing_understood(facts):
            fields = ", ".join(dict.fromkeys(p.field for p in facts.problems)) or "the whole record"
            result.bad.append((patient.key, f"nothing could be understood (problem in: {fields})"))
            continue
        if unused := [p.field for p in facts.problems if p.severity == "error"]:
            result.warnings.append((patient.key, "values not used in: " + ", ".join(dict.fromkeys(unused))))
        result.rows += [match_row(patient.key, match_trial(trial, facts, today=today, policy=policy, explain=False))
                        for trial in trials]
        result.done.append(patient.key)
    result.n_rows = len(result.rows)
    if fmt is not None:
        result.data, result.rows = encode_rows(result.rows, fmt), []
    return result


# ---- running the chunks: in this process, on local processes, or on a Dask cluster ------------------------------

Chunks = Iterator[list[PatientInput]]


def _bounded(submit: Callable[[list[PatientInput]], Any], wait: Callable[..., Any], chunks: Chunks,
             in_flight: int) -> Iterator[ChunkResult]:
    """Results as chunks finish, with at most `in_flight` chunks submitted at a time (memory stays flat)."""
    pending = {submit(c) for c in islice(chunks, in_flight)}
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            yield future.result()
            if (nxt := next(chunks, None)) is not None:
                pending.add(submit(nxt))


def _run_local(source: TrialSource, todo: list[PatientInput], workers: int, today: dt.date | None,
               fmt: str, policy: str) -> Iterator[ChunkResult]:
    size = chunk_size(len(todo), len(source.nct_ids), workers)
    chunks = _chunked(todo, size)
    if workers <= 1 or len(todo) <= size or len(todo) * len(source.nct_ids) < MIN_PARALLEL_PAIRS:
        try:
            for chunk in chunks:
                yield screen_chunk(source, chunk, today, fmt, policy)
        finally:
            _PREPARED.pop(source.fingerprint, None)  # this process is not a worker: do not keep the trials
        return
    import multiprocessing as mp

    ctx = mp.get_context("forkserver") if "forkserver" in mp.get_all_start_methods() else None
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(source,))
    try:
        yield from _bounded(lambda c: pool.submit(screen_chunk, source, c, today, fmt, policy), wait_local, chunks,
                            2 * workers)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(source: TrialSource, todo: list[PatientInput], address: str, today: dt.date | None,
              fmt: str, policy: str) -> Iterator[ChunkResult]:
    try:
        from dask.distributed import Client
        from dask.distributed import wait as wait_dask
    except ImportError:
        raise ScreeningError("running on a cluster needs Dask: pip install 'dask[distributed]'") from None
    try:
        client = Client(address, timeout=CLUSTER_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ScreeningError(f"cannot reach the Dask scheduler ({exc})", where=address) from None
    try:
        workers = max(1, sum(client.nthreads().values()))
        chunks = _chunked(todo, chunk_size(len(todo), len(source.nct_ids), workers))
        shared = client.scatter(source.with_records(), broadcast=True)  # trials travel once per worker
        yield from _bounded(lambda c: client.submit(screen_chunk, shared, c, today, fmt, policy, pure=False), wait_dask,
                            chunks, 2 * workers)
    finally:
        client.close()


def _chunked(patients: Iterable[PatientInput], size: int) -> Chunks:
    it = iter(patients)
    while chunk := list(islice(it, size)):
        yield chunk


def chunk_size(n_patients: int, n_trials: int, workers: int) -> int:
    """Patients per unit of work: about TARGET_PAIRS_PER_CHUNK pairs, and at least 4 chunks per worker."""
    by_work = max(1, TARGET_PAIRS_PER_CHUNK // max(1, n_trials))
    by_balance = max(1, -(-n_patients // (4 * max(1, workers))))
    return max(1, min(by_work, by_balance, 256))


# ---- the public entry point -------------------------------------------------------------------------------------

def screen(patients: str | Path, trials: TrialSelection | None, out: str | Path, *, db: str | Path | None = None,
           workers: int | None = None, cluster: str | None = None, resume: bool = True,
           today: dt.date | None = None, progress: bool = True, policy: str | None = None) -> ScreenReport:
    """Screen every patient (directory or NDJSON) against every selected trial into `out` (.csv or .jsonl), under
    the absence `policy` (`default` or `strict`; see `trialscout.match.policy`).

    Runs on `workers` local processes (default: all cores; 1 = in this process), or on the Dask distributed
    scheduler at `cluster` (`tcp://host:port`; its workers need trialscout installed, not the files).
    With `resume`, patients completed by an earlier run into the same output are skipped (the run must use the
    same trials, store content and policy)."""
    started = time.perf_counter()
    policy = absence_policy(policy).name
    with open_store(db, readonly=True) as store:
        source = trial_source(store, select_trials(store, trials or TrialSelection()))
    report = ScreenReport(out=Path(out), trials=len(source.nct_ids))
    found = list(iter_patients(Path(patients)))
    table = ResultTable(Path(out), f"{source.fingerprint}:{policy}", resume=resume)
    try:
        todo = _pending(found, table.done, report)
        results = _run_dask(source, todo, cluster, today, table.format, policy) if cluster else \
            _run_local(source, todo, max(1, workers or local_cores()), today, table.format, policy)
        with _progress_bar(len(todo), progress) as advance:
            for result in results:
                if result.done:
                    table.commit(result.data, result.done)
                report.screened += len(result.done)
                report.rows += result.n_rows
                report.bad += result.bad
                report.warnings += result.warnings
                advance(len(result.done) + len(result.bad))
    finally:
        table.close()
    report.seconds = time.perf_counter() - started
    return report


def local_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _pending(found: list[PatientInput | tuple[str, str]], done: set[str], report: ScreenReport) -> list[PatientInput]:
    todo = []
    for item in found:
        report.patients += 1
        if isinstance(item, tuple):
            report.bad.append(item)
        elif item.key in done:
            report.already_done += 1
        else:
            todo.append(item)
    return todo


class _progress_bar:  # noqa: N801 - used as a context manager, reads like a function
    def __init__(self, total: int, enabled: bool) -> None:
        console = Console(stderr=True)
        self.bar = Progress(TextColumn("[bold]screen"), BarColumn(), MofNCompleteColumn(), TextColumn("patients"),
                            TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                            disable=not (enabled and console.is_terminal))
        self.task = self.bar.add_task("screen", total=total)

    def __enter__(self) -> Callable[[int], None]:
        self.bar.start()
        return lambda n: self.bar.advance(self.task, n)

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()
