"""REST API (FastAPI): ClinicalTrials.gov API v2 style search, criteria, related trials, patient match/screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trialscout.api.settings import ApiSettings, is_loopback

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["ApiSettings", "create_app", "is_loopback"]


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The FastAPI application (imported lazily, so the CLI starts without loading the web stack)."""
    from trialscout.api.server import create_app as build

    return build(settings)
