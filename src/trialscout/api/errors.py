"""API errors: our exception family mapped to HTTP statuses and one JSON shape `{"error": ..., "where": ...}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from trialscout import json_limits
from trialscout.errors import NotFoundError, SourceError, StoreError, TrialscoutError
from trialscout.patient.errors import PatientError


class ApiConfigError(TrialscoutError):
    """The server cannot start with these settings (no API key on a public address, bad port)."""


class BadRequestError(TrialscoutError):
    """The request itself is malformed (not JSON, wrong shape, wrong content type)."""


class UnauthorizedError(TrialscoutError):
    """A patient endpoint was called without the right API key."""


class TooLargeError(TrialscoutError):
    """The request body or cohort is bigger than the server accepts."""


class UnsupportedMediaError(TrialscoutError):
    """The request body is not JSON."""


class BusyError(TrialscoutError):
    """A match or screen took longer than the timeout, or the server is saturated."""


STATUS: list[tuple[type[TrialscoutError], int]] = [
    (NotFoundError, 404), (UnauthorizedError, 401), (TooLargeError, 413), (UnsupportedMediaError, 415),
    (PatientError, 422), (SourceError, 422), (BusyError, 503), (StoreError, 503), (TrialscoutError, 400),
]


def status_for(exc: TrialscoutError) -> int:
    return next(code for cls, code in STATUS if isinstance(exc, cls))


def error_body(message: str, where: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": message, "where": where, **extra}


def error_response(status: int, message: str, where: str | None = None, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "X-API-Key"} if status == 401 else None
    return JSONResponse(error_body(message, where, **extra), status_code=status, headers=headers)


def _public_where(request: Request, exc: TrialscoutError) -> str | None:
    """`where`, except that server file paths (the store's) are not shown to clients."""
    store_path = str(getattr(request.app.state, "db_path", ""))
    if exc.where and store_path and exc.where == store_path:
        return "nctId" if isinstance(exc, NotFoundError) else "store"
    return exc.where


async def on_trialscout_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TrialscoutError)
    return error_response(status_for(exc), exc.why, _public_where(request, exc))


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with one readable line, plus the details without the rejected input (it may be patient data)."""
    assert isinstance(exc, RequestValidationError)
    details = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
               for e in exc.errors()]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"][1:] or first["loc"]) or None
    return error_response(422, f"{where}: {first['msg']}" if where else first["msg"], where, details=details)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(TrialscoutError, on_trialscout_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)


def parse_json_body(raw: bytes) -> Any:
    """The body as JSON; a 400 naming line and column, or the field path of a value beyond the limits (nesting
    depth, number size: `trialscout.json_limits`), never quoting the body."""
    return json_limits.loads(raw, "body", BadRequestError)
