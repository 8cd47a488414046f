"""The web pages over the real served store (tests/conftest.py builds it once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import make_client


@pytest.fixture(scope="module")
def web(served_db: Path) -> Iterator[Any]:
    with make_client(served_db) as c:
        yield c
