"""Alerts: one digest per watch and run, by e-mail (SMTP, plain text and HTML, trial text escaped) and by webhook
(a JSON POST signed with HMAC-SHA256, retried with exponential backoff). Each delivery is recorded; a failed one is
tried again by the next `watch run`, a sent one never again. Only the watch is named, never a patient."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from trialscout.store import SqliteStore
from trialscout.watch import store as ws
from trialscout.watch.config import AlertSettings, SmtpSettings, WebhookSettings
from trialscout.watch.findings import describe
from trialscout.watch.model import Delivery, Finding, Watch

SIGNATURE_HEADER = "X-Trialscout-Signature"
LABELS = {"new": "new", "now_matches": "now matches", "changed": "changed", "gone": "no longer matches"}
_TEMPLATES = Path(__file__).parent / "templates"


class DeliveryFailed(Exception):
    """A delivery failed after `tries` tries; the message is what the delivery record keeps (never a password or a
    patient detail)."""

    def __init__(self, why: str, tries: int = 1) -> None:
        super().__init__(why)
        self.tries = tries


@cache
def _env(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=autoescape,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(labels=LABELS, describe=describe)
    return env


def summary(findings: list[Finding]) -> str:
    counts = {k: sum(1 for f in findings if f.kind == k) for k in LABELS}
    return ", ".join(f"{n} {LABELS[k]}" for k, n in counts.items() if n) or "nothing new"


def payload(watch: Watch, run_id: int, findings: list[Finding]) -> dict[str, Any]:
    """The webhook body: the watch (by name), the run and its findings."""
    return {"event": "watch.findings", "watch": {"id": watch.id, "name": watch.name, "kind": watch.kind},
            "run": run_id, "summary": summary(findings),
            "findings": [f.model_dump(include={"nct_id", "kind", "title", "status", "reason", "changes", "at"})
                         for f in findings]}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def email_message(watch: Watch, run_id: int, findings: list[Finding], sender: str) -> EmailMessage:
    view = {"watch": watch.name, "run_id": run_id, "findings": findings, "summary": summary(findings)}
    msg = EmailMessage()
    msg["Subject"] = f"trialscout watch {watch.name}: {view['summary']}"
    msg["From"] = sender
    msg["To"] = watch.email or ""
    msg.set_content(_env(False).get_template("digest.txt").render(**view))
    msg.add_alternative(_env(True).get_template("digest.html").render(**view), subtype="html")
    return msg


def send_email(settings: SmtpSettings, msg: EmailMessage) -> None:
    if not settings.host:
        raise DeliveryFailed("no SMTP server configured (set TRIALSCOUT_SMTP_HOST, or [smtp] host in the config "
                             "file)")
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.send_message(msg)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"the SMTP server {settings.host}:{settings.port} refused: {exc.smtp_code} "
                             f"{_text(exc.smtp_error)}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = "; ".join(f"{code} {_text(why)}" for code, why in exc.recipients.values())
        raise DeliveryFailed(f"the SMTP server {settings.host}:{settings.port} refused the recipient: "
                             f"{codes}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"cannot send through {settings.host}:{settings.port} ({type(exc).__name__}: "
                             f"{exc})"[:300]) from None


def _text(value: bytes | str) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))[:200]


def post_webhook(settings: WebhookSettings, url: str, secret: str, body: bytes) -> int:
    """POST, retried with exponential backoff: `tries` posts at most; returns how many it took, or raises the last
    failure."""
    import httpx

    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
               "User-Agent": "trialscout-watch"}
    why = "not tried"
    for attempt in range(settings.tries):
        if attempt:
            time.sleep(settings.backoff * 2 ** (attempt - 1))
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=settings.timeout)
        except httpx.HTTPError as exc:
            why = f"{type(exc).__name__}: {exc}"[:300]
            continue
        if 200 <= response.status_code < 300:
            return attempt + 1
        why = f"HTTP {response.status_code}"
    raise DeliveryFailed(f"{settings.tries} tries failed; the last: {why}", settings.tries)


def deliver_due(store: SqliteStore, settings: AlertSettings) -> tuple[int, list[str]]:
    """Send every pending or failed delivery (oldest first); returns how many were sent and why others failed."""
    sent, failed = 0, []
    for d in ws.deliveries(store.conn, statuses=("pending", "failed")):
        try:
            tries = _deliver(store, settings, d)
        except DeliveryFailed as exc:
            _record(store, d, "failed", str(exc), exc.tries)
            failed.append(f"{d.channel} for watch #{d.watch_id} (run {d.run_id}): {exc}")
        else:
            _record(store, d, "sent", None, tries)
            sent += 1
    return sent, failed


def _deliver(store: SqliteStore, settings: AlertSettings, d: Delivery) -> int:
    watch = ws.get_watch(store.conn, d.watch_id)
    found = sorted(ws.findings(store.conn, d.watch_id, run_id=d.run_id, limit=10_000), key=lambda f: f.id or 0)
    if d.channel == "email":
        send_email(settings.smtp, email_message(watch, d.run_id, found, settings.smtp.sender))
        return 1
    body = json.dumps(payload(watch, d.run_id, found), ensure_ascii=False, default=str).encode()
    return post_webhook(settings.webhook, d.target, ws.secret(store.conn, d.watch_id) or "", body)


def _record(store: SqliteStore, d: Delivery, status: str, error: str | None, tries: int) -> None:
    with store.transaction():
        store.conn.execute("UPDATE watch_deliveries SET status = ?, tries = tries + ?, last_error = ?, last_try = ?, "
                           "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
                           (status, tries, error, ws.now(), status, ws.now(), d.id))
