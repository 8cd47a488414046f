"""What a watch is and what it finds: pydantic models shared by the CLI, the REST API and the web page."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from trialscout.errors import TrialscoutError

FindingKind = Literal["new", "now_matches", "changed", "gone"]
MATCHING_VERDICTS = ("eligible", "uncertain")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}$")
_EMAIL = re.compile(r"^[^@\s<>,;\"']+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*"
                    r"[A-Za-z0-9])?)+$")


class WatchError(TrialscoutError):
    """A watch cannot be added, found, run or alerted as asked."""


class WatchSpec(BaseModel):
    """What a watch looks for: words, ClinicalTrials.gov-style filters, a place and radius; for a patient watch,
    also how many of the patient's best candidates are judged and which verdicts count as a match."""

    query: str | None = None
    cond: str | None = None
    statuses: list[str] = Field(default_factory=list)
    phases: list[str] = Field(default_factory=list)
    study_types: list[str] = Field(default_factory=list)
    sex: str | None = None
    age: float | None = None
    countries: list[str] = Field(default_factory=list)
    near: str | None = None
    radius_km: float | None = None
    top: int = Field(default=50, ge=1, le=1000)
    verdicts: list[str] = Field(default_factory=lambda: list(MATCHING_VERDICTS))
    policy: str | None = None

    def geo_text(self) -> str | None:
        if not self.near:
            return None
        return f"distance({self.near},{self.radius_km or 100:g}km)"


class Watch(BaseModel):
    """A stored watch, as shown: never the patient document, never the webhook secret."""

    id: int
    name: str
    kind: Literal["search", "patient"]
    spec: WatchSpec
    email: str | None = None
    webhook_url: str | None = None
    has_webhook_secret: bool = False
    created: str
    looked_at: str | None = None
    last_run_id: int | None = None


class Finding(BaseModel):
    """One thing a watch run found about one trial, with why and the change that caused it."""

    id: int | None = None
    watch_id: int
    run_id: int
    nct_id: str
    kind: FindingKind
    title: str | None = None
    status: str | None = None
    reason: str
    changes: list[dict[str, Any]] = Field(default_factory=list)
    at: str


class Delivery(BaseModel):
    id: int
    watch_id: int
    run_id: int
    channel: Literal["email", "webhook"]
    target: str
    status: Literal["pending", "sent", "failed"]
    tries: int
    last_error: str | None = None
    last_try: str | None = None
    sent_at: str | None = None


def check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise WatchError(f"watch name {name[:80]!r} must be 1-80 letters, digits, spaces, '.', '_' or '-', starting "
                         "with a letter or digit", where="name")
    return name


def check_email(address: str) -> str:
    address = address.strip()
    if len(address) > 254 or not _EMAIL.match(address):
        raise WatchError(f"{address[:80]!r} is not an e-mail address (name@domain.tld)", where="email")
    return address


def check_url(url: str) -> str:
    from urllib.parse import urlsplit

    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise WatchError(f"webhook URL {url[:80]!r} must be an http:// or https:// URL with a host", where="webhook")
    return url
