"""Storage: the embedded SQLite store (default) behind a small interface."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

from trialscout.store.query import Hit, Page, StudyFilters
from trialscout.store.sqlite import INSERTED, UNCHANGED, UPDATED, SqliteStore

__all__ = ["INSERTED", "UNCHANGED", "UPDATED", "Hit", "Page", "SqliteStore", "StudyFilters", "default_db_path",
           "open_store"]


def default_db_path(explicit: str | Path | None = None) -> Path:
    """`--db` if given, else `$TRIALSCOUT_DB`, else `trialscout.db` in the per-user data directory."""
    if explicit:
        return Path(explicit).expanduser()
    if env := os.environ.get("TRIALSCOUT_DB"):
        return Path(env).expanduser()
    return Path(user_data_dir("trialscout", appauthor=False)) / "trialscout.db"


def open_store(path: str | Path | None = None, *, readonly: bool = False) -> SqliteStore:
    return SqliteStore(default_db_path(path), readonly=readonly)
