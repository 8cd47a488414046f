"""Watches over a copy of the real served store (the bundled sample plus one hostile record), changed the way a
sync changes it: the record upserted, its criteria derived, its field-level diff in the change log."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from trialscout.app import derive_criteria
from trialscout.model import Study
from trialscout.store import SqliteStore
from trialscout.sync.diff import diff_studies
from trialscout.sync.state import record_changes

NOTE_MARKER = "Zebulon Quackenbush-Okonkwo"
PATIENT_NOTE = (f"Patient {NOTE_MARKER}, 52 year old woman with metastatic HER2-positive breast cancer, ECOG 1. "
                "Prior trastuzumab. Platelets 220 x10^9/L.")


@pytest.fixture
def db(served_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "watch.db"
    shutil.copy(served_db, path)
    return path


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    with SqliteStore(db) as s:
        yield s


def change(store: SqliteStore, nct_id: str, edit: Callable[[dict[str, Any]], None], *, log: bool = True,
           new_id: str | None = None) -> None:
    """Upsert an edited version of a stored study (a later last-update date), as sync does; `new_id` stores it as
    a new study instead."""
    old = store.get_json(nct_id)
    doc = copy.deepcopy(old)
    ps = doc["protocolSection"]
    edit(ps)
    status = ps.setdefault("statusModule", {})
    newest = store.conn.execute("SELECT max(last_update) FROM studies").fetchone()[0]
    day = max(dt.date(2031, 1, 1), dt.date.fromisoformat(newest[:10]) + dt.timedelta(days=1))
    status["lastUpdatePostDateStruct"] = {"date": day.isoformat()}  # newer than any: the upsert takes it
    if new_id:
        ps["identificationModule"]["nctId"] = new_id
    study = Study.from_v2(doc)
    with store.transaction():
        store.upsert(study, derived=derive_criteria(study))
        if log and not new_id:
            record_changes(store.conn, nct_id, None, diff_studies(old, store.get_json(nct_id)))


def set_status(status: str) -> Callable[[dict[str, Any]], None]:
    def edit(ps: dict[str, Any]) -> None:
        ps["statusModule"]["overallStatus"] = status
    return edit
