"""Search: user text and ClinicalTrials.gov-style filters → a safe FTS5 query → ranked studies."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from trialscout.errors import QueryError
from trialscout.geo import KM_PER_MILE, country_code, resolve_place
from trialscout.model import enums
from trialscout.sources.normalize import to_enum
from trialscout.store import Page, SqliteStore, StudyFilters
from trialscout.store.text import fold

MAX_QUERY_TERMS = 64
_WORD = re.compile(r"\w+", re.UNICODE)
_FTS_KEYWORDS = {"AND", "OR", "NOT", "NEAR"}

__all__ = ["MAX_QUERY_TERMS", "build_filters", "fts_expression", "parse_geo", "search", "split_place",
           "weighted_expression"]


def fts_expression(text: str | None, *, mode: str = "all", max_terms: int | None = MAX_QUERY_TERMS) -> str | None:
    """Words of `text` as quoted FTS5 terms (no user syntax reaches FTS5), joined by AND (`all`) or OR (`any`).

    At most `max_terms` distinct words (None: all of them). Returns None when the text has no words.
    """
    if mode not in ("all", "any"):
        raise QueryError(f"unknown match mode {mode!r}; use 'all' or 'any'")
    terms: list[str] = []
    for word in _WORD.findall(fold(text or "")):
        term = word.lower()
        if term not in terms:
            terms.append(term)
        if max_terms is not None and len(terms) >= max_terms:
            break
    if not terms:
        return None
    # Every term is quoted: FTS5 operators, column filters and prefix stars in user text become plain words.
    quoted = [f'"{t}"' for t in terms]
    return (" AND " if mode == "all" else " OR ").join(quoted)


def weighted_expression(texts: Iterable[str], *, max_terms: int = 1000) -> str | None:
    """Any of the words of `texts`, each quoted; a word given again counts again in BM25 (FTS5 sums the score of
    every phrase), so repeating a word is how a caller weights it. None when there are no words."""
    terms = [f'"{w.lower()}"' for text in texts for w in _WORD.findall(fold(text or ""))][:max_terms]
    return " OR ".join(terms) if terms else None

def build_filters(
    *,
    statuses: Iterable[str] = (),
    phases: Iterable[str] = (),
    study_types: Iterable[str] = (),
    sex: str | None = None,
    age: float | None = None,
    countries: Iterable[str] = (),
    nct_ids: Iterable[str] = (),
    healthy_volunteers: bool | None = None,
    geo: str | None = None,
    start: tuple[str | None, str | None] = (None, None),
    updated: tuple[str | None, str | None] = (None, None),
) -> StudyFilters:
    """Validate filter values in any spelling ('recruiting', 'Phase 2') into API v2 enum values."""
    if age is not None and not 0 <= age <= 130:
        raise QueryError(f"age {age} is outside 0–130 years", where="age")
    ids = [i.strip().upper() for i in nct_ids if i.strip()]
    for i in ids:
        if not re.fullmatch(r"NCT\d{8}", i):
            raise QueryError(f"{i!r} is not an NCT ID (NCT followed by 8 digits)", where="nct_ids")
    return StudyFilters(
        statuses=_enum_values(enums.Status, statuses, "status"),
        phases=_enum_values(enums.Phase, phases, "phase"),
        study_types=_enum_values(enums.StudyType, study_types, "study type"),
        sex=_enum_values(enums.Sex, [sex], "sex")[0] if sex else None,
        age_years=age,
        countries=[_country(c) for c in countries if c.strip()],
        nct_ids=ids,
        healthy_volunteers=healthy_volunteers,
        geo=parse_geo(geo) if geo else None,
        start_range=_date_range(start, "start date"),
        updated_range=_date_range(updated, "last update date"),
    )


_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _date_range(bounds: tuple[str | None, str | None], what: str) -> tuple[str | None, str | None]:
    low, high = (b.strip() if b and b.strip() not in ("MIN", "MAX") else None for b in bounds)
    for value in (low, high):
        if value is not None and not _DATE.match(value):
            raise QueryError(f"{what} {value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", where=what)
    if low and high and low > high:
        raise QueryError(f"{what} range {low}..{high} is empty (start after end)", where=what)
    return low, high


_RANGE = re.compile(r"AREA\[(?P<area>StartDate|LastUpdatePostDate)\]RANGE\[(?P<low>[^,\]]*),(?P<high>[^\]]*)\]")


def advanced_ranges(value: str | None) -> dict[str, tuple[str | None, str | None]]:
    """ClinicalTrials.gov `filter.advanced` date ranges: `AREA[StartDate]RANGE[2020-01-01,MAX]` (only these)."""
    if not value:
        return {}
    found = {m.group("area"): (m.group("low") or None, m.group("high") or None) for m in _RANGE.finditer(value)}
    if not found:
        raise QueryError(f"unsupported filter.advanced {value[:80]!r}; supported: AREA[StartDate]RANGE[a,b] and "
                         "AREA[LastUpdatePostDate]RANGE[a,b]", where="filter.advanced")
    return found


_GEO = re.compile(r"^\s*distance\(\s*(?P<where>.+?)\s*,\s*(?P<radius>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>mi|km)\s*\)\s*$",
                  re.IGNORECASE)
_WITHIN_TEXT = re.compile(r"\b(?:within|in)\s+(?P<radius>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>km|kilometers?|kilometres?|"
                          r"mi|miles?)\s+(?:of|from|around)\s+(?P<where>[^;]+?)\s*$", re.IGNORECASE)
MAX_RADIUS_KM = 20_000


def parse_geo(value: str) -> tuple[float, float, float]:
    """`distance(39.0,-77.1,50mi)` or `distance(Zhengzhou,100km)` → (lat, lon, radius in km)."""
    m = _GEO.match(value or "")
    if not m:
        raise QueryError(f"malformed geo filter {value[:80]!r}; expected distance(LAT,LON,Nkm|Nmi) or "
                         "distance(PLACE,Nkm|Nmi)", where="filter.geo")
    lat, lon = _point(m.group("where"))
    return lat, lon, _radius_km(m.group("radius"), m.group("unit"))


def _radius_km(number: str, unit: str) -> float:
    km = float(number) * (KM_PER_MILE if unit.lower().startswith("mi") else 1.0)
    if not 0 < km <= MAX_RADIUS_KM:
        raise QueryError(f"radius {number}{unit} is outside (0, {MAX_RADIUS_KM} km]", where="filter.geo")
    return km


def _point(where: str) -> tuple[float, float]:
    parts = [p.strip() for p in where.split(",")]
    if len(parts) == 2:
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            pass
        else:
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise QueryError(f"coordinates {lat},{lon} are out of range", where="filter.geo")
            return lat, lon
    place = resolve_place(where)
    if place is None:
        raise QueryError(f"unknown place {where[:80]!r} (try 'City', 'City, State' or 'City, Country')",
                         where="filter.geo")
    return place.lat, place.lon


def split_place(text: str | None) -> tuple[str | None, tuple[float, float, float] | None]:
    """`'lung cancer within 100 km of Zhengzhou'` → (`'lung cancer'`, (34.76, 113.65, 100.0))."""
    m = _WITHIN_TEXT.search(text or "")
    if not m:
        return text, None
    lat, lon = _point(m.group("where"))
    return (text or "")[: m.start()].strip() or None, (lat, lon, _radius_km(m.group("radius"), m.group("unit")))


def _country(name: str) -> str:
    code = country_code(name.strip())
    if code is None:
        raise QueryError(f"unknown country {name.strip()!r} (use its name or ISO code, e.g. 'United States', 'CN')",
                         where="country")
    return code


def _enum_values(enum_cls: type[enums.V2Enum], values: Iterable[str], what: str) -> list[str]:
    out = []
    for raw in values:
        for part in str(raw).split(","):
            if not part.strip():
                continue
            member = to_enum(enum_cls, part)
            if member is None:
                allowed = ", ".join(m.value for m in enum_cls)
                raise QueryError(f"unknown {what} {part.strip()!r}; expected one of {allowed}", where=what)
            out.append(member.value)
    return out


def search(store: SqliteStore, text: str | None, filters: StudyFilters | None = None, *, limit: int = 20,
           offset: int = 0, mode: str = "all") -> Page:
    """BM25-ranked studies matching every word of `text` (or any word, `mode='any'`) and the filters."""
    if not 1 <= limit <= 1000:
        raise QueryError(f"limit {limit} is outside 1–1000", where="limit")
    if offset < 0:
        raise QueryError("offset cannot be negative", where="offset")
    filters = filters or StudyFilters()
    text, near = split_place(text)
    if near and not filters.geo:
        filters = dataclasses.replace(filters, geo=near)
    return store.search(fts_expression(text, mode=mode), filters, limit=limit, offset=offset)
