"""Shared test fixtures: where the real data lives, and fresh real SQLite stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# beside the checkout; a git worktree elsewhere names it in $TRIALSCOUT_SHARED_DATA
SHARED_DATA = Path(os.environ.get("TRIALSCOUT_SHARED_DATA") or REPO.parent / "shared" / "data")
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


XSS_ID = "NCT99999991"
XSS_TITLE = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"
HOSTILE_TEXTS = {  # where trial text reaches a page, a payload that would run if it were not escaped
    "condition": "<script>alert(3)</script> carcinoma",
    "summary": "<img src=x onerror=alert(4)> summary",
    "criteria": "Inclusion Criteria:\n\n  - Age 18 years or older <script>alert(5)</script>\n"
                "  - Platelets >= 100,000/mm3 </textarea><svg onload=alert(6)>\n\n"
                "Exclusion Criteria:\n\n  - History of heart failure <img src=x onerror=alert(8)>\n",
    "facility": "<b onmouseover=alert(7)>General Hospital</b>",
}


def _hostile_record(store_path: Path, out: Path) -> Path:
    """A real sample record rewritten so every text a page shows carries markup that must not run."""
    import json

    from trialscout.store import SqliteStore

    with SqliteStore(store_path, readonly=True) as store:
        doc = store.get_json(store.nct_ids()[0])
    ps = doc["protocolSection"]
    ps["identificationModule"]["nctId"], ps["identificationModule"]["briefTitle"] = XSS_ID, XSS_TITLE
    ps["conditionsModule"] = {"conditions": [HOSTILE_TEXTS["condition"]]}
    ps["descriptionModule"] = {"briefSummary": HOSTILE_TEXTS["summary"]}
    ps.setdefault("eligibilityModule", {})["eligibilityCriteria"] = HOSTILE_TEXTS["criteria"]
    ps["contactsLocationsModule"] = {"locations": [{"facility": HOSTILE_TEXTS["facility"], "city": "Boston",
                                                    "state": "Massachusetts", "country": "United States"}]}
    out.write_text(json.dumps(doc), "utf-8")
    return out


@pytest.fixture(scope="session")
def served_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real store built once: the bundled sample with criteria, plus one hostile record (XSS_ID)."""
    from trialscout.app import derive_criteria
    from trialscout.ingest import ingest
    from trialscout.store import SqliteStore

    base = tmp_path_factory.mktemp("served")
    db = base / "served.db"
    with SqliteStore(db) as store:
        ingest(store, [BUNDLED_SAMPLE], derive=derive_criteria)
    extra = _hostile_record(db, base / "xss.json")
    with SqliteStore(db) as store:
        ingest(store, [extra], derive=derive_criteria)
    return db
