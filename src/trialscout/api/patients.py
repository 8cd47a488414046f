"""Patient endpoints: match one patient, screen a small cohort. Bodies are never logged or stored."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError, field_validator

from trialscout.api.deps import api_key_header, app_of, check_api_key, require_json, settings_of
from trialscout.api.errors import BusyError, TooLargeError, parse_json_body
from trialscout.api.openapi import NCT_LIST_PATTERN, NCT_PATTERN, PATIENT_BODY_SCHEMA, PATIENT_ERRORS, STATUSES
from trialscout.api.patient_input import facts_from_body, patient_key
from trialscout.api.studies import nct_id_or_400
from trialscout.errors import QueryError, TrialscoutError
from trialscout.match.policy import names as policy_names
from trialscout.match.policy import policy as absence_policy
from trialscout.model.patient import PatientFacts
from trialscout.screening import TrialSelection, screen_small
from trialscout.search import build_filters

router = APIRouter()
T = TypeVar("T")
MAX_TOP = 100
ApiKey = Annotated[str | None, Security(api_key_header)]
POLICY_HELP = ("The absence policy: `default` presumes absent what a full record would mention (a history of "
               "dementia, a pregnancy), each such pass a point to confirm; `strict` presumes nothing.")
POLICY_SCHEMA: dict[str, Any] = {"enum": list(policy_names())}
DEFAULT_POLICY = absence_policy().name


def policy_or_400(name: str | None) -> str | None:
    """The policy name if there is such a policy; a 400 naming the policies there are if not."""
    try:
        absence_policy(name)
    except TrialscoutError as exc:
        raise QueryError(exc.why, where="policy") from None
    return name


class ScreenRequest(BaseModel):
    """A small cohort and the trials to screen it against (name trials, or select them by words and status)."""

    patients: list[Any] = Field(min_length=1, description="Patient bodies: documents, FHIR Bundles or "
                                                          "{\"id\": ..., \"note\": ...}.")
    trials: list[str] = Field(default_factory=list, description="NCT IDs.",
                              json_schema_extra={"items": {"type": "string", "pattern": NCT_PATTERN}})
    query: str | None = Field(default=None, max_length=1000, description="Words selecting trials.")
    status: list[str] = Field(default_factory=list, description="Overall statuses selecting trials.",
                              json_schema_extra={"items": {"enum": STATUSES}})
    policy: str = Field(default=DEFAULT_POLICY, description=POLICY_HELP, json_schema_extra=POLICY_SCHEMA)

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, name: str) -> str:
        try:
            absence_policy(name)
        except TrialscoutError as exc:
            raise ValueError(exc.why) from None  # a 422 naming the policies there are
        return name


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """An operation's required application/json request body (the routes read the body themselves)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def screen_schema() -> dict[str, Any]:
    """ScreenRequest. Each patient is read on its own, as the match endpoint's body is, and one that cannot be read
    is listed under `bad` with the reason instead of refusing the cohort: so the document promises only an object
    per patient (a stricter schema would say that a request answered 200 should have been refused)."""
    schema = ScreenRequest.model_json_schema()
    schema["properties"]["patients"] = {
        **schema["properties"]["patients"],
        "items": {"type": "object", "description": "A patient as `POST /api/match` takes it (a patient document, a "
                  "FHIR R4 Bundle, or {\"note\": \"...\"}), with an optional `id`; one that cannot be read comes "
                  "back under `bad` with the reason."}}
    schema["anyOf"] = [{"required": ["trials"], "properties": {"trials": {"minItems": 1}}},
                       {"required": ["query"], "properties": {"query": {"minLength": 1}}},
                       {"required": ["status"], "properties": {"status": {"minItems": 1}}}]
    schema["description"] = "Name trials, or select them with words and statuses (at least one of the three)."
    return schema


def split_many(values: list[str] | None) -> list[str]:
    return [v.strip() for x in values or [] for v in x.replace("|", ",").split(",") if v.strip()]


async def run_patient_work(request: Request, work: Callable[[], T]) -> T:
    """`work` in a worker thread, at most `patient_workers` at once, answered with 503 after `patient_timeout`.
    (A thread cannot be stopped: a late one finishes in the background and its result is dropped.)"""
    settings = settings_of(request)
    slots: threading.BoundedSemaphore = request.app.state.slots
    deadline = time.monotonic() + settings.patient_timeout
    busy = BusyError(f"the request took longer than {settings.patient_timeout:g} s; ask for fewer trials or "
                     "patients, or use the command line", where="timeout")

    def guarded() -> T:
        if not slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise busy
        try:
            return work()
        finally:
            slots.release()

    try:
        with anyio.fail_after(settings.patient_timeout):
            return await anyio.to_thread.run_sync(guarded, abandon_on_cancel=True)
    except TimeoutError:
        raise busy from None


async def read_json(request: Request, key: str | None) -> Any:
    check_api_key(request, key)
    require_json(request)
    return parse_json_body(await request.body())


@router.post("/api/match", tags=["patients"], summary="Rank trials for one patient (the match JSON contract)",
             responses=PATIENT_ERRORS, openapi_extra=json_body(PATIENT_BODY_SCHEMA))
async def match(
    request: Request,
    key: ApiKey = None,
    trials: Annotated[list[str] | None, Query(description="Only these trials: NCT IDs, repeated or separated "
                                                          "by `,` or `|`.",
                                              json_schema_extra={"items": {"pattern": NCT_LIST_PATTERN}})] = None,
    top: Annotated[int, Query(ge=1, le=MAX_TOP, description="How many trials to return.")] = 10,
    status: Annotated[list[str] | None, Query(description="Only trials with these overall statuses (empty values "
                                                          "are ignored).",
                                              json_schema_extra={"items": {"enum": [*STATUSES, ""]}})] = None,
    policy: Annotated[str, Query(description=POLICY_HELP, json_schema_extra=POLICY_SCHEMA)] = DEFAULT_POLICY,
    every: Annotated[bool, Query(alias="all", description="Judge every stored trial (the statuses kept), not only "
                                                          "the candidates search finds; the `top` come back. The "
                                                          "server holds the trials it read for the next request "
                                                          "while the store is unchanged.")] = False,
) -> list[dict[str, Any]]:
    """Body: a patient JSON document, a FHIR R4 Bundle, or `{"note": "..."}`. Trials come back best first, each
    with a verdict per criterion and its evidence, its summary (`eligible, 3 points to confirm`) and the policy."""
    policy = policy_or_400(policy)
    doc = await read_json(request, key)
    ids = [nct_id_or_400(i) for i in split_many(trials)]
    if every and ids:
        raise QueryError("all=true judges every stored trial: leave out trials", where="all")
    limit = settings_of(request).max_trials
    if len(ids) > limit:
        raise QueryError(f"{len(ids)} trials named; at most {limit}", where="trials")
    filters = build_filters(statuses=split_many(status))

    def work() -> list[dict[str, Any]]:
        facts = facts_from_body(doc)
        if every:
            return [m.to_contract() for m in app_of(request).match_all(facts, filters=filters, top=top,
                                                                       policy=policy).shown]
        found = app_of(request).match(facts, nct_ids=ids or None, top=top, filters=filters, policy=policy)
        return [m.to_contract() for m in found]

    return await run_patient_work(request, work)


@router.post("/api/screen", tags=["patients"], summary="Screen a small cohort: one row per patient x trial",
             responses=PATIENT_ERRORS, openapi_extra=json_body(screen_schema()))
async def screen(request: Request, key: ApiKey = None) -> dict[str, Any]:
    """Rows as `trialscout screen` writes them (eligibility, summary, score, counts, failing, unknown and presumed
    criteria); patients that cannot be read are listed under `bad` with the reason. Bigger cohorts: `trialscout
    screen`."""
    doc = await read_json(request, key)
    try:
        req = ScreenRequest.model_validate(doc)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
    settings = settings_of(request)
    if len(req.patients) > settings.max_cohort:
        raise TooLargeError(f"{len(req.patients)} patients; at most {settings.max_cohort} per request (screen "
                            "bigger cohorts with `trialscout screen`)", where="patients")
    ids = [nct_id_or_400(i) for i in req.trials]
    filters = build_filters(statuses=req.status)
    return await run_patient_work(request, lambda: _screen(request, req, ids, filters))


def _screen(request: Request, req: ScreenRequest, ids: list[str], filters: Any) -> dict[str, Any]:
    cohort: list[tuple[str, PatientFacts]] = []
    bad: list[dict[str, str]] = []
    for i, item in enumerate(req.patients):
        name = patient_key(item, i)
        try:
            cohort.append((name, facts_from_body(item, where=f"patients[{i}]")))
        except TrialscoutError as exc:
            bad.append({"patient": name, "why": exc.why})
    selection = TrialSelection(query=req.query, filters=filters, nct_ids=tuple(ids))
    trials, rows = screen_small(app_of(request), cohort, selection, max_trials=settings_of(request).max_trials,
                                policy=req.policy)
    return {"trials": len(trials), "patients": len(req.patients), "policy": req.policy,
            "rows": rows, "bad": bad}
