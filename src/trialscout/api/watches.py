"""Watch endpoints: add, list, show, remove and run watches (`trialscout watch` over HTTP). They write to the store
(each request opens its own connection for it) and can carry a patient document: every one needs the API key when
the server requires one, and no body is logged."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field, ValidationError

from trialscout.api.deps import check_api_key, require_json
from trialscout.api.errors import parse_json_body
from trialscout.api.openapi import STATUSES, errors
from trialscout.api.patients import ApiKey, json_body
from trialscout.errors import TrialscoutError
from trialscout.store import SqliteStore

router = APIRouter(tags=["watches"])
WatchRef = Annotated[str, Path(description="The watch's name or number.", max_length=80)]
WATCH_ERRORS = errors(400, 401, 404, 413, 415, 422, 503)


class WatchRequest(BaseModel):
    """A watch to add: a saved search (words, filters, place and radius) or a patient to match trials against."""

    name: str = Field(min_length=1, max_length=80)
    query: str | None = Field(default=None, max_length=1000)
    cond: str | None = Field(default=None, max_length=1000)
    status: list[str] = Field(default_factory=list, json_schema_extra={"items": {"enum": STATUSES}})
    phase: list[str] = Field(default_factory=list)
    type: list[str] = Field(default_factory=list)
    sex: str | None = None
    age: float | None = None
    country: list[str] = Field(default_factory=list)
    near: str | None = Field(default=None, max_length=200)
    radius_km: float = Field(default=100.0, gt=0, le=20_000)
    patient: dict[str, Any] | None = Field(default=None, description="A patient document, a FHIR R4 Bundle, or "
                                                                     "{\"note\": \"...\"}: kept in the store.")
    store_patient: bool = Field(default=False, description="Consent to keep the patient in the store until the "
                                                           "watch is removed (required with `patient`).")
    top: int = Field(default=50, ge=1, le=1000)
    eligible_only: bool = False
    email: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = Field(default=None, max_length=500)


def _writer(request: Request) -> SqliteStore:
    return SqliteStore(request.app.state.db_path)


def _document(patient: dict[str, Any]) -> str:
    if set(patient) <= {"note", "id"} and isinstance(patient.get("note"), str):
        return patient["note"]
    return json.dumps(patient, ensure_ascii=False)


@router.get("/api/watches", summary="The watches", responses=WATCH_ERRORS)
def list_watches(request: Request, key: ApiKey = None) -> list[dict[str, Any]]:
    from trialscout.watch import list_watches as listed

    check_api_key(request, key)
    with _writer(request) as store:
        return [w.model_dump() for w in listed(store.conn)]


@router.post("/api/watches", summary="Add a watch (its baseline: what it matches now)", status_code=201,
             responses=WATCH_ERRORS, openapi_extra=json_body(WatchRequest.model_json_schema()))
async def add_watch(request: Request, key: ApiKey = None) -> dict[str, Any]:
    from fastapi.concurrency import run_in_threadpool

    from trialscout.watch import WatchSpec
    from trialscout.watch import add_watch as add

    check_api_key(request, key)
    require_json(request)
    try:
        req = WatchRequest.model_validate(parse_json_body(await request.body()))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise TrialscoutError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}",
                              where=".".join(str(p) for p in first["loc"])) from None
    spec = WatchSpec(query=req.query, cond=req.cond, statuses=req.status, phases=req.phase, study_types=req.type,
                     sex=req.sex, age=req.age, countries=req.country, near=req.near,
                     radius_km=req.radius_km if req.near else None, top=req.top,
                     verdicts=["eligible"] if req.eligible_only else ["eligible", "uncertain"])

    def work() -> dict[str, Any]:
        with _writer(request) as store:
            return add(store, name=req.name, spec=spec, document=_document(req.patient) if req.patient else None,
                       store_patient=req.store_patient, email=req.email, webhook_url=req.webhook_url,
                       webhook_secret=req.webhook_secret).model_dump()

    return await run_in_threadpool(work)


@router.get("/api/watches/{watch}", summary="A watch, its latest findings and alert deliveries",
            responses=WATCH_ERRORS)
def show_watch(request: Request, watch: WatchRef, key: ApiKey = None) -> dict[str, Any]:
    from trialscout.watch import deliveries, findings, get_watch

    check_api_key(request, key)
    with _writer(request) as store:
        w = get_watch(store.conn, watch)
        return {"watch": w.model_dump(), "findings": [f.model_dump() for f in findings(store.conn, w.id)],
                "deliveries": [d.model_dump() for d in deliveries(store.conn, watch_id=w.id)]}


@router.delete("/api/watches/{watch}", summary="Remove a watch and its stored patient for good", status_code=204,
               responses=WATCH_ERRORS)
def remove_watch(request: Request, watch: WatchRef, key: ApiKey = None) -> Response:
    from trialscout.watch import remove_watch as remove

    check_api_key(request, key)
    with _writer(request) as store:
        remove(store, watch)
    return Response(status_code=204)


@router.post("/api/watches-run", summary="Run every watch now: findings written, alerts sent", responses=WATCH_ERRORS)
def run_watches(request: Request, key: ApiKey = None) -> dict[str, Any]:
    from trialscout.watch import load_settings
    from trialscout.watch import run_watches as run

    check_api_key(request, key)
    with _writer(request) as store:
        report = run(store, load_settings())
    return {"run": report.run_id, "findings": report.findings, "sent": report.sent, "failed": report.failed,
            "watches": [{"name": o.name, "findings": o.findings, "error": o.error} for o in report.outcomes]}
