"""Server-rendered web pages over the same store as the REST API: search, trial pages, patient matching."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from trialscout.web.pages import STATIC_DIR, router

WEB_PATIENT_PATHS = ("/match",)
"""Pages that carry patient data: never cached by the browser."""


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
