"""The real app over the real served store (tests/conftest.py builds it once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, XSS_ID, XSS_TITLE

__all__ = ["XSS_ID", "XSS_TITLE"]

PATIENTS = FIXTURES / "patients"


def make_client(db: Path, **settings: object):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from trialscout.api import ApiSettings, create_app

    return TestClient(create_app(ApiSettings(db=db, **settings)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(served_db: Path) -> Iterator[object]:
    with make_client(served_db) as c:
        yield c


def patient_text(name: str) -> str:
    return (PATIENTS / name).read_text("utf-8")
