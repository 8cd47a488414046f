"""Offline geocoding with the GeoNames gazetteer: known coordinates, disambiguation, no guessing."""

from __future__ import annotations

import pytest

from trialscout.geo import country_code, geocode, haversine_km, resolve_place


@pytest.mark.parametrize(("text", "lat", "lon", "country"), [
    ("Zhengzhou", 34.758, 113.649, "CN"),
    ("Boston, MA", 42.358, -71.060, "US"),
    ("Rochester, Minnesota", 44.022, -92.470, "US"),
    ("Paris, France", 48.853, 2.349, "FR"),
    ("Lyon France", 45.749, 4.848, "FR"),
])
def test_places_resolve_to_their_known_coordinates(text: str, lat: float, lon: float, country: str) -> None:
    place = resolve_place(text)
    assert place is not None and place.country == country
    assert haversine_km(place.lat, place.lon, lat, lon) < 2


def test_same_name_is_disambiguated_by_state_and_country() -> None:
    springfield_il = geocode("Springfield", "Illinois", "United States")
    springfield_ma = geocode("Springfield", "Massachusetts", "United States")
    assert springfield_il and springfield_ma and springfield_il.admin1 == "IL" and springfield_ma.admin1 == "MA"
    assert geocode("Paris", None, "United States").country == "US"  # Paris, Texas or Tennessee: not France


def test_registry_country_spellings() -> None:
    assert [country_code(c) for c in ("United States", "Korea, Republic of", "Russian Federation", "Czechia",
                                      "Czech Republic", "Taiwan", "Côte D'Ivoire", "cn")] == \
        ["US", "KR", "RU", "CZ", "CZ", "TW", "CI", "CN"]


def test_unknown_places_get_no_coordinates() -> None:
    assert geocode("Atlantis", None, "France") is None
    assert geocode("Paris", None, "Narnia") is None
    assert geocode(None, None, "France") is None  # never a country centroid
    assert resolve_place("") is None


def test_distances_against_known_values() -> None:
    # Boston–New York City is about 306 km great-circle; Zhengzhou–Beijing about 620 km.
    assert haversine_km(42.3584, -71.0598, 40.7143, -74.006) == pytest.approx(306, abs=3)
    assert haversine_km(34.7578, 113.6486, 39.9075, 116.3972) == pytest.approx(623, abs=5)
