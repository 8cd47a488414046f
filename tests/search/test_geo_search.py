"""The geo filter over real sites: record coordinates and gazetteer ones, nearest first, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from trialscout.errors import QueryError
from trialscout.model import Study
from trialscout.search import build_filters, parse_geo, search, split_place
from trialscout.sources import iter_items
from trialscout.store import SqliteStore


@pytest.fixture
def sited(store: SqliteStore, v2_json_dir: Path) -> SqliteStore:
    with store.transaction():
        for f in sorted(v2_json_dir.glob("*.json")):
            store.upsert(Study.from_v2(json.loads(f.read_text("utf-8"))))
        for item in iter_items([FIXTURES / "xml"]):
            if item.ok:
                store.upsert(item.study)
    return store


def test_record_coordinates_charleston(sited: SqliteStore) -> None:
    # NCT03418623's only site, MUSC in Charleston SC, carries geoPoint 32.77657, -79.93092 in the record.
    near = search(sited, None, build_filters(geo="distance(32.7765,-79.9311,20km)"), limit=100)
    assert "NCT03418623" in {h.nct_id for h in near.hits}
    hit = next(h for h in near.hits if h.nct_id == "NCT03418623")
    assert hit.nearest_km is not None and hit.nearest_km < 1 and "Charleston" in hit.nearest_site
    far = search(sited, None, build_filters(geo="distance(48.8534,2.3488,50km)"), limit=100)
    assert "NCT03418623" not in {h.nct_id for h in far.hits}


def test_gazetteer_coordinates_and_nearest_first(sited: SqliteStore) -> None:
    page = search(sited, None, build_filters(geo="distance(Taipei,400km)"), limit=50)
    assert page.total and page.total >= 1
    distances = [h.nearest_km for h in page.hits]
    assert distances == sorted(distances) and all(d <= 400 for d in distances)
    assert all("Taiwan" in h.nearest_site for h in page.hits)  # 400 km of Taipei: only Taiwanese sites here


def test_miles_and_place_names_in_text(sited: SqliteStore) -> None:
    lat, lon, km = parse_geo("distance(39.0035707,-77.1013313,50mi)")
    assert (lat, lon) == (39.0035707, -77.1013313) and km == pytest.approx(80.467, abs=0.01)
    text, geo = split_place("lung cancer within 100 km of Zhengzhou")
    assert text == "lung cancer" and geo is not None and abs(geo[0] - 34.76) < 0.05 and geo[2] == 100
    by_text = search(sited, "within 20 km of Charleston, SC", limit=100)
    assert "NCT03418623" in {h.nct_id for h in by_text.hits}


@pytest.mark.parametrize("bad", ["distance(1,2)", "distance(95,2,5km)", "distance(Narnia,5km)",
                                 "distance(1,2,0km)", "distance(1,2,5 parsecs)", "x" * 10_000, "distance()"])
def test_malformed_geo_is_a_clear_error(bad: str) -> None:
    with pytest.raises(QueryError, match="filter.geo"):
        build_filters(geo=bad)
