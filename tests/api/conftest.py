"""A real store built once from the bundled sample (plus one record with a hostile title) and the real app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_SAMPLE, FIXTURES

XSS_ID = "NCT99999991"
XSS_TITLE = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"
PATIENTS = FIXTURES / "patients"



def pytest_configure(config: pytest.Config) -> None:
    # starlette's TestClient announces a future move from httpx to httpx2; the client still works as is
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")


def _hostile_record(store_path: Path, out: Path) -> Path:
    from trialscout.store import SqliteStore

    with SqliteStore(store_path, readonly=True) as store:
        doc = store.get_json(store.nct_ids()[0])
    ident = doc["protocolSection"]["identificationModule"]
    ident["nctId"], ident["briefTitle"] = XSS_ID, XSS_TITLE
    out.write_text(json.dumps(doc), "utf-8")
    return out


@pytest.fixture(scope="session")
def api_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from trialscout.app import derive_criteria
    from trialscout.ingest import ingest
    from trialscout.store import SqliteStore

    base = tmp_path_factory.mktemp("api")
    db = base / "api.db"
    with SqliteStore(db) as store:
        ingest(store, [BUNDLED_SAMPLE], derive=derive_criteria)
    extra = _hostile_record(db, base / "xss.json")
    with SqliteStore(db) as store:
        ingest(store, [extra], derive=derive_criteria)
    return db


def make_client(db: Path, **settings: object):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from trialscout.api import ApiSettings, create_app

    return TestClient(create_app(ApiSettings(db=db, **settings)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(api_db: Path) -> Iterator[object]:
    with make_client(api_db) as c:
        yield c


def patient_text(name: str) -> str:
    return (PATIENTS / name).read_text("utf-8")
