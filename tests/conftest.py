"""Shared test fixtures: where the real data lives, and fresh real SQLite stores."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
V2_JSON_DIR = SHARED_DATA / "ctgov-v2-json"
XML_SAMPLE_ZIP = SHARED_DATA / "ctgov-xml" / "AllPublicXML-sample.zip"
BUNDLED_SAMPLE = REPO / "src" / "trialscout" / "data" / "sample-oncology.zip"


def require(path: Path) -> Path:
    """Skip (with the reason) when a shared data set is not beside the checkout."""
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    return path


@pytest.fixture
def v2_json_dir() -> Path:
    return require(V2_JSON_DIR)


@pytest.fixture
def store(tmp_path: Path):
    from trialscout.store import SqliteStore

    with SqliteStore(tmp_path / "test.db") as s:
        yield s
