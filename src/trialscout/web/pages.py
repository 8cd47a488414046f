"""The web pages: search, trial, match. Each page is a view dict (views.py) rendered by a Jinja template with
autoescaping on, or returned as JSON with `format=json`. Patient input is read from the form, used for the
answer and forgotten: never logged, never stored, never cached by the browser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import FormData, UploadFile

from trialscout import __version__
from trialscout.api.deps import app_of, check_api_key, settings_of
from trialscout.api.errors import parse_json_body, status_for
from trialscout.api.patient_input import facts_from_body
from trialscout.api.patients import MAX_TOP, policy_or_400, run_patient_work
from trialscout.api.studies import nct_id_or_400
from trialscout.errors import QueryError, TrialscoutError
from trialscout.match.policy import names as policy_names
from trialscout.match.policy import policy as absence_policy
from trialscout.patient.errors import PatientError
from trialscout.search import build_filters
from trialscout.store import StudyFilters
from trialscout.web import views
from trialscout.web.labels import verdict_marks, verdict_words

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
OPEN_STATUSES = ("RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION")
DEFAULT_POLICY = absence_policy().name
router = APIRouter(include_in_schema=False)
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_env.globals.update(version=__version__, verdict_words=verdict_words(), verdict_marks=verdict_marks())
_env.filters["query"] = lambda params: urlencode(params, doseq=True)


class ForbiddenOriginError(TrialscoutError):
    """A form was posted from another site."""


def wants_json(request: Request, form: FormData | None = None) -> bool:
    value = request.query_params.get("format") or (form.get("format") if form else None)
    return value == "json"


def page(request: Request, template: str, view: dict[str, Any], *, status: int = 200,
         form: FormData | None = None, **extra: Any) -> Response:
    if wants_json(request, form):
        return JSONResponse(view, status_code=status)
    json_url = f"{request.url.path}?{urlencode([*request.query_params.multi_items(), ('format', 'json')])}"
    html = _env.get_template(template).render(view=view, json_url=json_url, request_path=request.url.path, **extra)
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, exc: TrialscoutError, *, template: str = "error.html",
               form: FormData | None = None, **extra: Any) -> Response:
    status = 403 if isinstance(exc, ForbiddenOriginError) else status_for(exc)
    view = {"error": exc.why, "where": exc.where if exc.where != str(request.app.state.db_path) else None}
    return page(request, template, {**extra.pop("view", {}), **view}, status=status, form=form, **extra)


@router.get("/", response_class=HTMLResponse)
@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request) -> Response:
    params = {k: request.query_params.getlist(k) if k in views.MULTI_FIELDS else request.query_params.get(k)
              for k in (*views.SEARCH_FIELDS, *views.MULTI_FIELDS)}
    form = views.search_form(params)
    choices = views.search_choices()
    try:
        view = views.search_view(app_of(request), form, request.query_params.get("pageToken"))
    except TrialscoutError as exc:
        return error_page(request, exc, template="search.html", choices=choices,
                          view={"form": form, "hits": [], "total": None, "facets": {}, "next_page_token": None})
    next_url = None
    if view["next_page_token"]:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("pageToken", "format")]
        next_url = f"{request.url.path}?{urlencode([*kept, ('pageToken', view['next_page_token'])])}"
    return page(request, "search.html", {**view, "error": None}, choices=choices, next_url=next_url)


@router.get("/studies/{nct_id}", response_class=HTMLResponse)
def study_page(request: Request, nct_id: str) -> Response:
    try:
        view = views.study_view(app_of(request), nct_id_or_400(nct_id))
    except TrialscoutError as exc:
        return error_page(request, exc)
    return page(request, "study.html", view)


@router.get("/match", response_class=HTMLResponse)
def match_form(request: Request) -> Response:
    trials = (request.query_params.get("trials") or "")[:1000]
    view = {"note": "", "trials": trials, "top": 10, "open_only": False, "policy": DEFAULT_POLICY, "error": None,
            "where": None}
    return page(request, "match.html", view, key_required=settings_of(request).key_required,
                policies=policy_names())


@router.post("/match", response_class=HTMLResponse)
async def match_page(request: Request) -> Response:
    form = await request.form(max_files=1, max_fields=20)
    kept = {"note": _text(form, "note"), "trials": _text(form, "trials")[:1000], "top": _text(form, "top") or "10",
            "open_only": bool(form.get("open_only")), "policy": _text(form, "policy")[:40] or DEFAULT_POLICY,
            "error": None, "where": None}
    key_required = settings_of(request).key_required
    try:
        _check_post(request, form)
        body = await _patient_body(form)
        ids = [nct_id_or_400(i.strip()) for i in kept["trials"].replace("|", ",").split(",") if i.strip()]
        top = _top(kept["top"])
        policy = policy_or_400(kept["policy"])
        filters = _filters(kept["open_only"])

        def work() -> dict[str, Any]:
            facts = facts_from_body(body, where="patient")
            matches = app_of(request).match(facts, nct_ids=ids or None, top=top, filters=filters, policy=policy)
            return views.match_view(facts, matches, policy=policy)

        view = await run_patient_work(request, work)
    except TrialscoutError as exc:
        return error_page(request, exc, template="match.html", form=form, view=kept, key_required=key_required,
                          policies=policy_names())
    return page(request, "match_results.html", view, form=form, patient_json=json.dumps(body),
                api_key=_text(form, "api_key"), open_only=kept["open_only"])


@router.post("/match/{nct_id}", response_class=HTMLResponse)
async def match_trial_page(request: Request, nct_id: str) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    try:
        _check_post(request, form)
        nct = nct_id_or_400(nct_id)
        body = parse_json_body(_text(form, "patient").encode())
        policy = policy_or_400(_text(form, "policy")[:40] or None)
        filters = _filters(bool(form.get("open_only")))

        def work() -> dict[str, Any]:
            facts = facts_from_body(body, where="patient")
            return views.match_trial_view(app_of(request), facts, nct, filters=filters, policy=policy)

        view = await run_patient_work(request, work)
    except TrialscoutError as exc:
        return error_page(request, exc, form=form)
    return page(request, "match_trial.html", view, form=form)


def _check_post(request: Request, form: FormData) -> None:
    """Refuse forms posted by other sites (Sec-Fetch-Site, else Origin; the pages' `Referrer-Policy: same-origin`
    makes browsers send the real origin only from our own pages), then ask for the API key where one is required."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if (site is not None and site not in ("same-origin", "none")) or (
            origin is not None and urlsplit(origin).netloc != request.headers.get("host")):
        raise ForbiddenOriginError("this form can only be sent from trialscout's own pages", where="Origin")
    check_api_key(request, _text(form, "api_key") or request.headers.get("x-api-key"))


async def _patient_body(form: FormData) -> Any:
    """The patient: an uploaded file (patient JSON, FHIR Bundle or note text), else the pasted note."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read()
        if not raw.strip():
            raise PatientError(f"the file {upload.filename[:80]!r} is empty", where="file")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PatientError("the file is not UTF-8 text (send patient JSON, a FHIR Bundle or a note)",
                               where="file") from None
        return parse_json_body(raw) if text.lstrip().startswith("{") else {"note": text}
    note = _text(form, "note")
    if not note.strip():
        raise PatientError("paste a clinical note or choose a patient file", where="note")
    return {"note": note}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _filters(open_only: bool) -> StudyFilters:
    """The ranked list's filters; the trial page uses them too, so its score (relevance) is the list's."""
    return build_filters(statuses=OPEN_STATUSES if open_only else ())


def _top(value: str) -> int:
    try:
        top = int(value)
    except ValueError:
        raise QueryError(f"top {value[:20]!r} is not a whole number", where="top") from None
    if not 1 <= top <= MAX_TOP:
        raise QueryError(f"top {top} is outside 1–{MAX_TOP}", where="top")
    return top



@router.get("/watches", response_class=HTMLResponse)
def watches_page(request: Request) -> Response:
    """The watches and their latest findings (what changed); trial text escaped by the template. No patient
    detail is shown: a patient watch is named, never described."""
    from trialscout.watch import findings, list_watches
    from trialscout.watch.findings import describe
    from trialscout.watch.notify import LABELS

    conn = app_of(request).store.conn
    view = {"watches": [], "error": None}
    for w in list_watches(conn):
        found = [{**f.model_dump(include={"nct_id", "kind", "title", "status", "reason", "run_id", "at"}),
                  "label": LABELS[f.kind], "changes": [describe(c) for c in f.changes[:5]]}
                 for f in findings(conn, w.id, limit=20)]
        view["watches"].append({"name": w.name, "kind": w.kind, "created": w.created, "last_run_id": w.last_run_id,
                                "query": w.spec.query or w.spec.cond, "statuses": w.spec.statuses,
                                "near": w.spec.near, "radius_km": w.spec.radius_km, "findings": found})
    return page(request, "watches.html", view)
