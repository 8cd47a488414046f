"""The FastAPI application: `create_app(settings)` wires routers, error mapping and the security middleware."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from trialscout import __version__
from trialscout.api import errors, openapi
from trialscout.api.deps import app_of, settings_of
from trialscout.api.middleware import BodyLimit, CatchAll, SecurityHeaders
from trialscout.api.patients import router as patients_router
from trialscout.api.pool import AppPool
from trialscout.api.settings import ApiSettings
from trialscout.api.studies import router as studies_router
from trialscout.api.watches import router as watches_router
from trialscout.web import WEB_PATIENT_PATHS
from trialscout.web import install as install_web

PATIENT_PATHS = ("/api/match", "/api/screen", "/api/watches")
health_router = APIRouter()


@health_router.get("/api/health", tags=["service"], summary="Is the server up, and what does it serve",
                   responses=openapi.HEALTH_ERRORS)
def health(request: Request) -> dict[str, Any]:
    settings = settings_of(request)
    return {"status": "ok", "version": __version__, "studies": app_of(request).store.count(),
            "patientEndpointsRequireKey": settings.key_required}


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The application over one store (opened read-only now, so a missing store fails here, not per request)."""
    settings = settings or ApiSettings()
    settings.check()
    pool = AppPool(settings.db)
    pool.check()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        pool.retire()

    app = FastAPI(title="trialscout", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json",
                  description="Cancer clinical trials, offline: ClinicalTrials.gov API v2 style search and records, "
                              "structured eligibility criteria, and patient matching with evidence.")
    app.state.settings, app.state.pool, app.state.db_path = settings, pool, str(pool.path)
    app.state.slots = threading.BoundedSemaphore(settings.patient_workers)
    errors.install(app)
    for router in (studies_router, patients_router, watches_router, health_router):
        app.include_router(router)
    openapi.install(app, max_cohort=settings.max_cohort, max_trials=settings.max_trials,
                    key_required=settings.key_required)
    install_web(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(CatchAll)
    app.add_middleware(SecurityHeaders, csp=settings.csp, no_store_prefixes=(*PATIENT_PATHS, *WEB_PATIENT_PATHS))
    return app

