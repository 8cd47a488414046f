"""Related trials on real records: similar by condition, intervention and design, and explained."""

from __future__ import annotations

import pytest

from tests.conftest import BUNDLED_SAMPLE
from trialscout.errors import NotFoundError
from trialscout.ingest import ingest
from trialscout.search import search
from trialscout.search.related import related
from trialscout.store import SqliteStore


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> SqliteStore:
    store = SqliteStore(tmp_path_factory.mktemp("related") / "sample.db")
    ingest(store, [BUNDLED_SAMPLE])
    return store


def test_related_trials_share_the_disease_and_say_so(sample_store: SqliteStore) -> None:
    breast = search(sample_store, "metastatic breast cancer", limit=1).hits[0]
    found = related(sample_store, breast.nct_id, limit=5)
    assert len(found) == 5 and breast.nct_id not in {r.nct_id for r in found}
    assert [r.score for r in found] == sorted((r.score for r in found), reverse=True)
    breast_shared = [r for r in found if "breast" in " ".join(r.shared.get("conditions", [])).lower()]
    assert len(breast_shared) >= 4, [(r.nct_id, r.shared) for r in found]
    assert all(r.shared.get("conditions") or r.shared.get("interventions") for r in found)
    assert all(r.explanation() for r in found)


def test_a_drug_trial_finds_trials_of_the_same_drug(sample_store: SqliteStore) -> None:
    trial = search(sample_store, "tamoxifen", limit=1).hits[0]
    found = related(sample_store, trial.nct_id, limit=3)
    assert any("tamoxifen" in " ".join(r.shared.get("interventions", [])).lower() for r in found)


def test_unknown_trial(sample_store: SqliteStore) -> None:
    with pytest.raises(NotFoundError):
        related(sample_store, "NCT00000000")
