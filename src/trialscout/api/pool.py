"""One read-only Trialscout per worker thread (SQLite connections are not shared between concurrent requests).

A connection is only ever closed by the thread that uses it: `retire()` (at server shutdown) marks the current
ones old, and a thread replaces its old one on its next request; threads that end take theirs with them. So no
request still running (a timed-out match, say) can find its connection closed under it."""

from __future__ import annotations

import threading
from pathlib import Path

from trialscout.app import Trialscout
from trialscout.store import default_db_path


class AppPool:
    def __init__(self, db: str | Path | None) -> None:
        self.path = default_db_path(db)
        self._local = threading.local()
        self._generation = 0

    def check(self) -> None:
        """Open and close the store once: a missing or outdated store fails now, not per request."""
        Trialscout(self.path, readonly=True).close()

    def get(self) -> Trialscout:
        """This thread's application object, opened on first use (raises StoreError when there is no store)."""
        ts: Trialscout | None = getattr(self._local, "ts", None)
        if ts is not None and self._local.generation == self._generation:
            return ts
        if ts is not None:
            ts.close()
        ts = Trialscout(self.path, readonly=True)
        self._local.ts, self._local.generation = ts, self._generation
        return ts

    def retire(self) -> None:
        self._generation += 1
