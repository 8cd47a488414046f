"""Server settings: where it binds, the API key rule for patient endpoints, request limits and the CSP."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from trialscout.api.errors import ApiConfigError

DEFAULT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
"""Fits JSON and the server-rendered pages to come: nothing inline, nothing from elsewhere, no framing."""
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True only for addresses no other machine can reach (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ApiSettings:
    """Everything `create_app` needs; `trialscout serve` builds it from its options."""

    db: Path | str | None = None
    """The SQLite store (default: $TRIALSCOUT_DB, else the per-user data directory); opened read-only."""
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None
    """Required (as `X-API-Key`) by the patient endpoints when set; must be set on a non-loopback address."""
    max_body_bytes: int = 2 * 1024 * 1024
    patient_timeout: float = 30.0
    """Seconds a match or screen request may take before it is answered with 503."""
    patient_workers: int = 4
    """Match/screen computations running at once; more requests wait (within the timeout)."""
    max_trials: int = 100
    """Trials one match or screen request may name or select."""
    max_cohort: int = 20
    """Patients per `/api/screen` request; bigger cohorts belong to `trialscout screen`."""
    csp: str = DEFAULT_CSP

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def key_required(self) -> bool:
        return bool(self.api_key) or not self.loopback

    def check(self) -> None:
        """Refuse settings that would expose patient endpoints without a key, or are out of range."""
        if not self.loopback and not self.api_key:
            raise ApiConfigError(f"{self.host} is reachable from other machines: give --api-key (or set "
                                 "$TRIALSCOUT_API_KEY) so the patient endpoints require it", where="--host")
        if self.api_key is not None and len(self.api_key) < 12:
            raise ApiConfigError("the API key must be at least 12 characters", where="--api-key")
        if not 0 < self.port < 65536:
            raise ApiConfigError(f"port {self.port} is outside 1–65535", where="--port")
