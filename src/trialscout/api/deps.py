"""What endpoints share: the settings and this thread's Trialscout, and the API key check."""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.security import APIKeyHeader

from trialscout.api.errors import UnauthorizedError, UnsupportedMediaError
from trialscout.api.pool import AppPool
from trialscout.api.settings import ApiSettings
from trialscout.app import Trialscout

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="Required by the patient endpoints when the server is not on loopback "
                                          "or was started with --api-key.")


def settings_of(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def app_of(request: Request) -> Trialscout:
    """Call inside the endpoint's own thread: each thread has its own store connection."""
    pool: AppPool = request.app.state.pool
    return pool.get()


def check_api_key(request: Request, key: str | None) -> None:
    settings = settings_of(request)
    if not settings.key_required:
        return
    expected = (settings.api_key or "").encode()
    if not key or not expected or not hmac.compare_digest(key.encode(), expected):
        raise UnauthorizedError("this endpoint needs the server's API key in the X-API-Key header",
                                where="X-API-Key")


def require_json(request: Request) -> None:
    """Patient bodies must be JSON: a cross-site form or `text/plain` post is refused before anything is read."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json" and not kind.endswith("+json"):
        raise UnsupportedMediaError(f"send the body as application/json, not {kind[:60] or 'nothing'}",
                                    where="Content-Type")
