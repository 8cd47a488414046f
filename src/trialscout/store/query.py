"""The store's query vocabulary: filters on indexed columns, and what a search returns."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


@dataclass
class StudyFilters:
    """Filters named after ClinicalTrials.gov's; values are already validated API v2 enum spellings."""

    statuses: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    study_types: list[str] = field(default_factory=list)
    sex: str | None = None          # the patient's sex: trials open to it (ALL or the same)
    age_years: float | None = None  # the patient's age: inside the trial's range
    countries: list[str] = field(default_factory=list)  # ISO 3166-1 alpha-2 codes
    nct_ids: list[str] = field(default_factory=list)
    healthy_volunteers: bool | None = None
    geo: tuple[float, float, float] | None = None  # (lat, lon, radius in km): a site within the radius
    start_range: tuple[str | None, str | None] = (None, None)  # inclusive YYYY[-MM[-DD]] bounds on the start date
    updated_range: tuple[str | None, str | None] = (None, None)  # ... on the last-update date

    def is_empty(self) -> bool:
        return not any((self.statuses, self.phases, self.study_types, self.sex, self.age_years is not None,
                        self.countries, self.nct_ids, self.healthy_volunteers is not None, self.geo,
                        any(self.start_range), any(self.updated_range)))


def filter_sql(f: StudyFilters) -> tuple[str, list[Any]]:
    """A WHERE fragment over `studies s` (empty when there are no filters) and its parameters."""
    parts: list[str] = []
    params: list[Any] = []

    def any_of(column: str, values: list[str]) -> None:
        parts.append(f"{column} IN ({', '.join('?' * len(values))})")
        params.extend(values)

    if f.statuses:
        any_of("s.overall_status", f.statuses)
    if f.study_types:
        any_of("s.study_type", f.study_types)
    if f.nct_ids:
        any_of("s.nct_id", [x.upper() for x in f.nct_ids])
    if f.phases:
        parts.append("(" + " OR ".join("instr(s.phases, ?) > 0" for _ in f.phases) + ")")
        params.extend(f" {p} " for p in f.phases)
    if f.sex:
        parts.append("(s.sex IS NULL OR s.sex = 'ALL' OR s.sex = ?)")
        params.append(f.sex)
    if f.age_years is not None:
        parts.append("(s.min_age_years IS NULL OR s.min_age_years <= ?) AND "
                     "(s.max_age_years IS NULL OR s.max_age_years >= ?)")
        params.extend([f.age_years, f.age_years])
    if f.healthy_volunteers is not None:
        parts.append("s.healthy_volunteers = ?")
        params.append(int(f.healthy_volunteers))
    if f.countries:
        marks = ", ".join("?" * len(f.countries))
        parts.append(f"EXISTS (SELECT 1 FROM sites x WHERE x.study_id = s.id AND x.country_code IN ({marks}))")
        params.extend(f.countries)
    for column, (low, high) in (("s.start_date", f.start_range), ("s.last_update", f.updated_range)):
        # partial dates compare as text: '2020' <= '2020-05-01' <= '2020-12-31~' (the '~' sorts after digits)
        if low:
            parts.append(f"{column} >= ?")
            params.append(low)
        if high:
            parts.append(f"{column} <= ?")
            params.append(high + "~")
    if f.geo:
        within, within_params = within_sql(*f.geo)
        parts.append(f"EXISTS (SELECT 1 FROM sites x WHERE x.study_id = s.id AND {within})")
        params.extend(within_params)
    return " AND ".join(parts), params


def within_sql(lat: float, lon: float, km: float) -> tuple[str, list[float]]:
    """Sites `x` within `km` of a point: a bounding box on the indexed lat/lon prunes, the exact
    great-circle distance decides. Near the poles or across the antimeridian only latitude prunes."""
    dlat = km / 111.0
    cos_lat = math.cos(math.radians(min(89.0, abs(lat))))
    dlon = km / (111.32 * cos_lat)
    sql = "x.lat BETWEEN ? AND ? "
    params: list[float] = [lat - dlat, lat + dlat]
    if lon - dlon > -180 and lon + dlon < 180 and abs(lat) + dlat < 89:
        sql += "AND x.lon BETWEEN ? AND ? "
        params += [lon - dlon, lon + dlon]
    return sql + "AND distance_km(x.lat, x.lon, ?, ?) <= ?", [*params, lat, lon, km]


def nearest_site_sql(alias: str = "s") -> str:
    """The distance in km from (?, ?) to a study's nearest site with coordinates (NULL when it has none)."""
    return f"(SELECT min(distance_km(x.lat, x.lon, ?, ?)) FROM sites x WHERE x.study_id = {alias}.id)"


class Hit(BaseModel):
    nct_id: str
    score: float
    title: str | None = None
    status: str | None = None
    phases: list[str] = []
    study_type: str | None = None
    last_update: str | None = None
    conditions: list[str] = []
    nearest_km: float | None = None
    """With a geo filter: the distance to the trial's nearest site."""
    nearest_site: str | None = None


class Page(BaseModel):
    hits: list[Hit]
    total: int | None = None
