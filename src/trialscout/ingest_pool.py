"""Ingest on every core: records are read and cut here, in order; worker processes parse them, build their rows and
derive their criteria; the outcomes come back in input order to the one writer (`trialscout.ingest`).

The workers are started with `spawn`: a forked child would share this process's open SQLite connection. They get
plain bytes (`RawRecord`s, in chunks) and return plain data (rows, derived documents, the reasons for failures), and
at most `IN_FLIGHT_PER_WORKER` chunks per worker are out at once, so memory stays bounded however large the input.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import chain
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from trialscout.errors import RecordError, TrialscoutError
from trialscout.ingest import Derive, Outcome, prepare, prepared_here
from trialscout.sources import RawRecord, SourceItem, iter_raw, parse_raw

CHUNK_RECORDS = 32
"""Records sent to a worker at once (about a quarter of a second of criteria parsing)..."""
CHUNK_BYTES = 4 << 20
"""...or fewer, when their bytes reach this."""
IN_FLIGHT_PER_WORKER = 2
"""Chunks handed out per worker and not yet written: one being parsed, one waiting."""

Piece = SourceItem | RawRecord
Packed = tuple[Any, ...]
"""A record's outcome as it crosses processes: ("ok", where, rows, derived) or ("bad", where, why, error_where)."""


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def prepared_in_pool(paths: Iterable[str | Path], fmt: str, derive: Derive | None, workers: int, *,
                     explicit: bool = True) -> Iterator[Outcome]:
    """What `prepared_here` yields, in the same order, prepared by `workers` processes. An input that fits in one
    chunk is prepared here (starting processes would cost more). A `derive` that cannot be sent to a process (a
    lambda) is an error when workers were asked for, else the work is done here."""
    if not _picklable(derive):
        if explicit:
            raise TrialscoutError("the derive function cannot be sent to worker processes; use one worker")
        yield from prepared_here(paths, fmt, derive)
        return
    chunks = _chunks(iter_raw(paths, fmt))
    first, failure = _next(chunks)
    second, failure = _next(chunks) if first is not None and failure is None else (None, failure)
    if second is None:
        for piece in first or []:
            yield from _here(piece, derive)
    else:
        failure = yield from _pooled([first, second], chunks, derive, workers)
    if failure is not None:
        raise failure


def _pooled(head: list[list[Piece]], chunks: Iterator[list[Piece]], derive: Derive | None,
            workers: int) -> Iterator[Outcome]:
    """Hand out chunks, keep a bounded window of them, yield the oldest's outcomes first. Returns the exception that
    stopped the reading, if one did, once everything read before it has been yielded (as the serial path would)."""
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_worker_started,
                               initargs=(os.getpid(),))
    try:
        pending: deque[tuple[list[Piece], Future[list[list[Packed]]]]] = deque()
        failure: BaseException | None = None
        todo = chain(head, chunks)
        while True:
            chunk, failure = _next(todo)
            if chunk is None:
                break
            pending.append((chunk, _submit(pool, chunk, derive)))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield from _merged(*pending.popleft())
        while pending:
            yield from _merged(*pending.popleft())
    except BaseException:  # an error, Ctrl-C, or the writer stopping early: nothing more is wanted from the workers
        _terminate(pool)
        raise
    pool.shutdown(wait=True)
    return failure


def _submit(pool: ProcessPoolExecutor, chunk: list[Piece], derive: Derive | None) -> Future[list[list[Packed]]]:
    raws = [piece for piece in chunk if isinstance(piece, RawRecord)]
    if not raws:  # only failures to read: nothing for a worker
        done: Future[list[list[Packed]]] = Future()
        done.set_result([])
        return done
    with _sigint_held():  # a worker started by this submit begins with Ctrl-C blocked
        return pool.submit(prepare_chunk, raws, derive)


def _chunks(pieces: Iterator[Piece]) -> Iterator[list[Piece]]:
    """Pieces in chunks of CHUNK_RECORDS records or CHUNK_BYTES bytes. If reading fails, the pieces read before the
    failure still come as a last chunk, and then the failure is raised."""
    chunk: list[Piece] = []
    records = size = 0
    while True:
        try:
            piece = next(pieces)
        except StopIteration:
            break
        except Exception:
            if chunk:
                yield chunk
            raise
        chunk.append(piece)
        if isinstance(piece, RawRecord):
            records, size = records + 1, size + len(piece.data)
        if records >= CHUNK_RECORDS or size >= CHUNK_BYTES:
            yield chunk
            chunk, records, size = [], 0, 0
    if chunk:
        yield chunk


def _next(chunks: Iterator[list[Piece]]) -> tuple[list[Piece] | None, Exception | None]:
    """The next chunk, or None at the end or when reading failed (with the failure)."""
    try:
        return next(chunks, None), None
    except Exception as exc:  # a path that cannot be read: raised once what came before it is written
        return None, exc


def _here(piece: Piece, derive: Derive | None) -> Iterator[Outcome]:
    items = [piece] if isinstance(piece, SourceItem) else parse_raw(piece)
    for item in items:
        yield item, prepare(item, derive)


def _merged(chunk: list[Piece], future: Future[list[list[Packed]]]) -> Iterator[Outcome]:
    """A chunk's outcomes in input order: the items reported while reading, with the workers' results between."""
    results = iter(future.result())
    for piece in chunk:
        if isinstance(piece, SourceItem):
            yield piece, piece
            continue
        for packed in next(results):
            if packed[0] == "ok":
                item = SourceItem(packed[1])
                yield item, (item, packed[2], packed[3])
            else:
                item = SourceItem(packed[1], error=RecordError(packed[2], where=packed[3]))
                yield item, item


# --------------------------------------------------------------------------- in the worker

def prepare_chunk(raws: list[RawRecord], derive: Derive | None) -> list[list[Packed]]:
    """Each record's items parsed and prepared (in a worker): one list of packed outcomes per RawRecord."""
    return [[_packed(item, prepare(item, derive)) for item in parse_raw(raw)] for raw in raws]


def _packed(item: SourceItem, prepared: Any) -> Packed:
    if isinstance(prepared, SourceItem):
        error = prepared.error
        return ("bad", prepared.where, error.why if error else "unreadable record", error.where if error else None)
    return ("ok", item.where, prepared[1], prepared[2])


def _worker_started(parent: int) -> None:
    """Ctrl-C is the parent's to handle (it stops the workers; SIGINT is blocked here from the start, see
    `_sigint_held`); a worker whose parent is gone (kill -9) exits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


# --------------------------------------------------------------------------- in the parent

@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT blocked (not lost: it arrives when this ends). A process started meanwhile inherits the block, so a
    Ctrl-C while it is still importing cannot print a traceback from it; the parent alone stops the run."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now: what they are parsing is dropped (nothing of it was written)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def _picklable(derive: Derive | None) -> bool:
    try:
        pickle.dumps(derive)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True
