"""ClinicalTrials.gov-style search requests: query areas, filters, sorting, signed page tokens and facets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any

from pydantic import BaseModel, Field

from trialscout.errors import QueryError
from trialscout.search import advanced_ranges, build_filters, fts_expression, split_place
from trialscout.search.expand import expanded_expression
from trialscout.store import Hit, SqliteStore
from trialscout.store.sqlite import SORTS

# Query areas as ClinicalTrials.gov API v2 names them, and the full-text columns each one searches.
AREAS: dict[str, tuple[str, ...]] = {
    "cond": ("conditions", "keywords"),
    "intr": ("interventions",),
    "titles": ("title",),
    "outcomes": ("outcomes",),
    "spons": ("sponsors",),
    "locn": ("locations",),
    "term": (),  # every column
}
EXPANDED_AREAS = ("cond", "intr", "term")
# Sort fields as ClinicalTrials.gov names them.
SORT_FIELDS = {"LastUpdatePostDate": "last_update", "StartDate": "start_date", "StudyFirstPostDate": "first_post_date",
               "CompletionDate": "completion_date", "EnrollmentCount": "enrollment", "NCTId": "nct_id"}
MAX_PAGE_SIZE = 1000
MAX_TEXT = 10_000


class SearchRequest(BaseModel):
    """One search: words per query area, filters, sort and paging (ClinicalTrials.gov API v2 semantics)."""

    cond: str | None = None
    intr: str | None = None
    titles: str | None = None
    outcomes: str | None = None
    spons: str | None = None
    locn: str | None = None
    term: str | None = None
    statuses: list[str] = Field(default_factory=list)
    phases: list[str] = Field(default_factory=list)
    study_types: list[str] = Field(default_factory=list)
    sex: str | None = None
    age: float | None = None
    healthy_volunteers: bool | None = None
    countries: list[str] = Field(default_factory=list)
    nct_ids: list[str] = Field(default_factory=list)
    geo: str | None = None
    start_from: str | None = None
    start_to: str | None = None
    updated_from: str | None = None
    updated_to: str | None = None
    sort: str | None = None
    """`LastUpdatePostDate`, `StartDate:asc`, …; default: relevance when there are words, else last update."""
    page_size: int = 10
    page_token: str | None = None
    count_total: bool = True
    mode: str = "all"
    expand: bool = True
    """Search the vocabularies' synonyms, subtypes and MeSH headings too (conditions, interventions, terms)."""

    def fingerprint(self) -> str:
        """What a page token is bound to: the request without its token."""
        doc = self.model_dump(exclude={"page_token"})
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


class SearchPage(BaseModel):
    hits: list[Hit]
    total: int | None = None
    next_page_token: str | None = None
    facets: dict[str, dict[str, int]] | None = None


def match_expression(req: SearchRequest) -> tuple[str | None, str | None]:
    """The FTS5 expression over all areas (each area's words AND-ed inside its columns), and any geo text
    ("within 100 km of Zhengzhou") found in the free-text term."""
    parts, geo_text = [], None
    for area, columns in AREAS.items():
        text = getattr(req, area)
        if text and len(text) > MAX_TEXT:
            raise QueryError(f"{area} is {len(text)} characters; at most {MAX_TEXT}", where=f"query.{area}")
        if area == "term" and text:
            text, near = split_place(text)
            geo_text = f"distance({near[0]},{near[1]},{near[2]}km)" if near else None
        expanding = req.expand and area in EXPANDED_AREAS
        expr = expanded_expression(text, mode=req.mode) if expanding else fts_expression(text, mode=req.mode)
        if expr is None:
            continue
        parts.append(f"{{{' '.join(columns)}}} : ({expr})" if columns else f"({expr})")
    return (" AND ".join(parts) if parts else None), geo_text


def parse_sort(sort: str | None) -> tuple[str | None, bool]:
    if not sort or sort == "relevance":
        return None, True
    m = re.fullmatch(r"@?(\w+)(?::(asc|desc))?", sort.strip())
    field = SORT_FIELDS.get(m.group(1)) if m else None
    if field is None or field not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; use relevance or one of {', '.join(SORT_FIELDS)} "
                         "with an optional :asc or :desc", where="sort")
    return field, (m.group(2) or "desc") == "desc"


def run(store: SqliteStore, req: SearchRequest, *, facets: bool = False) -> SearchPage:
    if not 1 <= req.page_size <= MAX_PAGE_SIZE:
        raise QueryError(f"pageSize {req.page_size} is outside 1–{MAX_PAGE_SIZE}", where="pageSize")
    match, geo_text = match_expression(req)
    filters = build_filters(statuses=req.statuses, phases=req.phases, study_types=req.study_types, sex=req.sex,
                            age=req.age, countries=req.countries, nct_ids=req.nct_ids,
                            healthy_volunteers=req.healthy_volunteers, geo=req.geo or geo_text,
                            start=(req.start_from, req.start_to), updated=(req.updated_from, req.updated_to))
    sort, descending = parse_sort(req.sort)
    offset = read_token(store, req) if req.page_token else 0
    page = store.search(match, filters, limit=req.page_size, offset=offset, count_total=req.count_total,
                        sort=sort, descending=descending)
    more = len(page.hits) == req.page_size and (page.total is None or offset + req.page_size < page.total)
    return SearchPage(hits=page.hits, total=page.total,
                      next_page_token=make_token(store, req, offset + req.page_size) if more else None,
                      facets=store.facets(match, filters) if facets else None)


def make_token(store: SqliteStore, req: SearchRequest, offset: int) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"o": offset, "q": req.fingerprint()}).encode()).decode()
    return f"{payload}.{_sign(store, payload)}"


def read_token(store: SqliteStore, req: SearchRequest) -> int:
    """The offset a token carries; a clear error for a token that was altered or belongs to another query."""
    token = req.page_token or ""
    payload, _, signature = token.partition(".")
    if not payload or not hmac.compare_digest(signature, _sign(store, payload)):
        raise QueryError("page token is not valid (altered or from another store)", where="pageToken")
    try:
        doc = json.loads(base64.urlsafe_b64decode(payload.encode()))
        offset, fingerprint = int(doc["o"]), str(doc["q"])
    except (ValueError, KeyError, TypeError) as exc:
        raise QueryError("page token is not valid", where="pageToken") from exc
    if fingerprint != req.fingerprint():
        raise QueryError("page token belongs to a different query: repeat the query that gave it",
                         where="pageToken")
    return offset


def _sign(store: SqliteStore, payload: str) -> str:
    return hmac.new(store.token_key(), payload.encode(), hashlib.sha256).hexdigest()[:24]


def request_from_params(params: dict[str, Any]) -> SearchRequest:
    """A SearchRequest from ClinicalTrials.gov API v2 query parameters (`query.cond`, `filter.overallStatus`…)."""
    def many(key: str) -> list[str]:
        value = params.get(key)
        if value is None:
            return []
        values = value if isinstance(value, list) else [value]
        return [v.strip() for x in values for v in str(x).replace("|", ",").split(",") if v.strip()]

    try:
        page_size = int(params.get("pageSize", 10))
    except (TypeError, ValueError) as exc:
        raise QueryError(f"pageSize {params.get('pageSize')!r} is not a whole number", where="pageSize") from exc
    ranges = advanced_ranges(params.get("filter.advanced"))
    start, updated = ranges.get("StartDate", (None, None)), ranges.get("LastUpdatePostDate", (None, None))
    return SearchRequest(
        start_from=start[0], start_to=start[1], updated_from=updated[0], updated_to=updated[1],
        cond=params.get("query.cond"), intr=params.get("query.intr"), titles=params.get("query.titles"),
        outcomes=params.get("query.outc"), spons=params.get("query.spons"), locn=params.get("query.locn"),
        term=params.get("query.term"), statuses=many("filter.overallStatus"), nct_ids=many("filter.ids"),
        geo=params.get("filter.geo"), sort=(many("sort") or [None])[0], page_token=params.get("pageToken"),
        page_size=page_size, count_total=str(params.get("countTotal", "true")).lower()
        in ("true", "1", "yes"))
