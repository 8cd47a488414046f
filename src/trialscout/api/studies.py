"""Trial endpoints: ClinicalTrials.gov API v2 search and records, structured criteria, related trials."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request

from trialscout.api.deps import app_of
from trialscout.api.fields import parse_fields, select
from trialscout.api.openapi import NCT_LIST_PATTERN, NCT_PATTERN, SEARCH_ERRORS, STUDY_ERRORS
from trialscout.errors import QueryError
from trialscout.search.related import related
from trialscout.search.request import MAX_PAGE_SIZE, MAX_TEXT, request_from_params, run

router = APIRouter()
Text = str | None
Many = list[str] | None


def text(alias: str, description: str) -> Any:
    return Query(alias=alias, max_length=MAX_TEXT, description=description)


def fmt_query() -> Any:
    return Query(alias="format", description="Only `json` (ClinicalTrials.gov's default).")


NctIdPath = Annotated[str, Path(alias="nctId", description="NCT followed by 8 digits", max_length=40,
                                 json_schema_extra={"pattern": NCT_PATTERN})]
FieldsQuery = Annotated[list[str] | None, Query(
    description="Parts of each study to return, separated by commas or `|`: dotted paths "
                "(`protocolSection.identificationModule`), module names (`EligibilityModule`) or piece names "
                "(`NCTId`, `BriefTitle`, `OverallStatus`, `Condition`, `Phase`, `InterventionName`, ...).")]


def nct_id_or_400(value: str) -> str:
    """The NCT ID in capitals; a 400 unless it is `NCT_PATTERN` (ASCII digits; callers strip list items)."""
    if not re.fullmatch(NCT_PATTERN, value):
        raise QueryError(f"{value[:40]!r} is not an NCT ID (NCT followed by 8 digits)", where="nctId")
    return value.upper()


@router.get("/api/v2/studies", tags=["studies"], summary="Search studies (ClinicalTrials.gov API v2 dialect)",
            responses=SEARCH_ERRORS)
def list_studies(
    request: Request,
    cond: Annotated[Text, text("query.cond", "Conditions and keywords.")] = None,
    term: Annotated[Text, text("query.term", "Any field; may end in `within 50 km of CITY`.")] = None,
    intr: Annotated[Text, text("query.intr", "Interventions.")] = None,
    titles: Annotated[Text, text("query.titles", "Titles.")] = None,
    outc: Annotated[Text, text("query.outc", "Outcome measures.")] = None,
    spons: Annotated[Text, text("query.spons", "Sponsors.")] = None,
    locn: Annotated[Text, text("query.locn", "Site names and places.")] = None,
    status: Annotated[Many, Query(alias="filter.overallStatus",
                                  description="Statuses separated by `|` or `,` (RECRUITING|COMPLETED).")] = None,
    geo: Annotated[Text, text("filter.geo", "`distance(lat,lon,50km)` or `...mi`.")] = None,
    ids: Annotated[Many, Query(alias="filter.ids", description="NCT IDs separated by `|` or `,`.",
                               json_schema_extra={"items": {"pattern": NCT_LIST_PATTERN}})] = None,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)] = 10,
    page_token: Annotated[str | None, Query(alias="pageToken", max_length=2000)] = None,
    count_total: Annotated[bool, Query(alias="countTotal", description="Add `totalCount` to the answer.")] = False,
    sort: Annotated[Many, Query(description="`@relevance` (default with words), `LastUpdatePostDate:desc`, "
                                            "`StartDate:asc`, `EnrollmentCount`, `NCTId` ...")] = None,
    fields: FieldsQuery = None,
    fmt: Annotated[Literal["json"], fmt_query()] = "json",
) -> dict[str, Any]:
    """Studies in v2 shape with `nextPageToken` (repeat the same query with `pageToken` for the next page) and,
    with `countTotal=true`, `totalCount`."""
    paths = parse_fields(fields)
    params: dict[str, Any] = {
        "query.cond": cond, "query.term": term, "query.intr": intr, "query.titles": titles, "query.outc": outc,
        "query.spons": spons, "query.locn": locn, "filter.overallStatus": status, "filter.geo": geo,
        "filter.ids": ids, "pageSize": page_size, "pageToken": page_token, "countTotal": count_total,
        "sort": [s.removeprefix("@") for s in sort or []] or None,
    }
    req = request_from_params({k: v for k, v in params.items() if v is not None})
    ts = app_of(request)
    page = run(ts.store, req)
    out: dict[str, Any] = {"studies": [select(ts.store.get_json(h.nct_id), paths) for h in page.hits]}
    if page.next_page_token:
        out["nextPageToken"] = page.next_page_token
    if count_total:
        out["totalCount"] = page.total
    return out


@router.get("/api/v2/studies/{nctId}", tags=["studies"], summary="One study in ClinicalTrials.gov API v2 shape",
            responses=STUDY_ERRORS)
def get_study(request: Request, nct_id: NctIdPath, fields: FieldsQuery = None,
              fmt: Annotated[Literal["json"], fmt_query()] = "json") -> dict[str, Any]:
    paths = parse_fields(fields)
    return select(app_of(request).store.get_json(nct_id_or_400(nct_id)), paths)


@router.get("/api/studies/{nctId}/criteria", tags=["studies"],
            summary="The study's eligibility criteria, structured (the criteria JSON contract)", responses=STUDY_ERRORS)
def get_criteria(request: Request, nct_id: NctIdPath) -> list[dict[str, Any]]:
    return [c.to_contract() for c in app_of(request).criteria(nct_id_or_400(nct_id))]


@router.get("/api/studies/{nctId}/related", tags=["studies"],
            summary="The stored studies most like this one, each with what they share", responses=STUDY_ERRORS)
def get_related(request: Request, nct_id: NctIdPath,
                limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[dict[str, Any]]:
    found = related(app_of(request).store, nct_id_or_400(nct_id), limit=limit)
    return [r.model_dump() for r in found]
