"""One job of a kind at a time on one store: an advisory file lock that the system releases when its holder dies
(even by `kill -9`), so a crashed job never leaves the store locked."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from trialscout.errors import StoreError


def lock_path(db: Path, job: str) -> Path:
    return db.with_name(f"{db.name}.{job}.lock")


@contextmanager
def exclusive(db: str | Path, job: str) -> Iterator[None]:
    """Hold the `job` lock of the store at `db` for the block, or raise StoreError naming the holder at once."""
    path = lock_path(Path(db), job)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise StoreError(f"another `trialscout {job}` is running on this store ({holder}); "
                             "wait for it to finish, or stop it first", where=str(db)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
