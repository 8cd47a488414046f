"""Alert settings: SMTP and webhook delivery, from a TOML file ($TRIALSCOUT_CONFIG or --config) and environment
variables (which win). Nothing here is ever printed: a password stays where it was put."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from trialscout.watch.model import WatchError

ENV = {
    "TRIALSCOUT_SMTP_HOST": ("smtp", "host"), "TRIALSCOUT_SMTP_PORT": ("smtp", "port"),
    "TRIALSCOUT_SMTP_STARTTLS": ("smtp", "starttls"), "TRIALSCOUT_SMTP_USER": ("smtp", "user"),
    "TRIALSCOUT_SMTP_PASSWORD": ("smtp", "password"), "TRIALSCOUT_SMTP_FROM": ("smtp", "sender"),
    "TRIALSCOUT_SMTP_TIMEOUT": ("smtp", "timeout"),
    "TRIALSCOUT_WEBHOOK_TRIES": ("webhook", "tries"), "TRIALSCOUT_WEBHOOK_BACKOFF": ("webhook", "backoff"),
    "TRIALSCOUT_WEBHOOK_TIMEOUT": ("webhook", "timeout"),
}
"""Environment variable → (section, key) of the config file."""


class SmtpSettings(BaseModel):
    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    user: str | None = None
    password: str | None = None
    sender: str = "trialscout@localhost"
    timeout: float = Field(default=30.0, gt=0)


class WebhookSettings(BaseModel):
    tries: int = Field(default=4, ge=1, le=20)
    """Posts per run before the delivery is kept as failed (the next `watch run` tries again)."""
    backoff: float = Field(default=1.0, ge=0)
    """Seconds before the second try; doubled before each later one."""
    timeout: float = Field(default=10.0, gt=0)


class AlertSettings(BaseModel):
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> AlertSettings:
    """The config file (`path`, else $TRIALSCOUT_CONFIG if set), then the environment variables over it."""
    env = os.environ if environ is None else environ
    doc: dict[str, Any] = {}
    source = path or (Path(env["TRIALSCOUT_CONFIG"]) if env.get("TRIALSCOUT_CONFIG") else None)
    if source is not None:
        try:
            doc = tomllib.loads(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise WatchError(f"cannot read the config file ({type(exc).__name__})", where=str(source)) from None
        except tomllib.TOMLDecodeError as exc:
            raise WatchError(f"the config file is not TOML ({exc})", where=str(source)) from None
    for name, (section, key) in ENV.items():
        if env.get(name):
            doc.setdefault(section, {})[key] = env[name]
    try:
        return AlertSettings.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise WatchError(f"{where}: {first['msg']}", where=str(source) if source else "environment") from None
