"""Alerts against real servers on loopback: an aiosmtpd SMTP server that receives the digest, an HTTP receiver that
checks the webhook's signature, one that answers 500 and then recovers, and an SMTP server that refuses."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.api.test_server import free_port
from tests.conftest import XSS_ID, XSS_TITLE
from tests.watch.conftest import NOTE_MARKER, PATIENT_NOTE, change, set_status
from trialscout.store import SqliteStore
from trialscout.watch import AlertSettings, WatchSpec, add_watch, deliveries, run_watches
from trialscout.watch.config import SmtpSettings, WebhookSettings

SECRET = "s3cret-for-tests"


class Inbox:
    def __init__(self, refuse: bool = False) -> None:
        self.messages: list[Message] = []
        self.refuse = refuse

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.refuse:
            return "554 5.7.1 relaying refused by policy"
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Receiver:
    """A webhook endpoint: keeps each body whose signature checks, answers 500 to the first `fail` posts."""

    def __init__(self, fail: int = 0) -> None:
        self.fail, self.posts, self.bodies, self.bad_signatures = fail, 0, [], 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts += 1
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(self.headers.get("X-Trialscout-Signature", ""), expected):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                elif receiver.fail > 0:
                    receiver.fail -= 1
                    self.send_response(500)
                else:
                    receiver.bodies.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _settings(port: int, tries: int = 3) -> AlertSettings:
    return AlertSettings(smtp=SmtpSettings(host="127.0.0.1", port=port, starttls=False, timeout=5),
                         webhook=WebhookSettings(tries=tries, backoff=0.01, timeout=5))


def _hostile_watch(store: SqliteStore, **alerts: Any) -> None:
    change(store, XSS_ID, set_status("COMPLETED"))
    add_watch(store, name="alerts", spec=WatchSpec(query="alert", statuses=["RECRUITING"]), **alerts)
    change(store, XSS_ID, set_status("RECRUITING"))


def test_the_digest_arrives_escaped_and_names_no_patient(store: SqliteStore, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    _hostile_watch(store, email="coordinator@example.org")
    add_watch(store, name="her2 patient", spec=WatchSpec(top=20), document=PATIENT_NOTE, store_patient=True,
              email="coordinator@example.org")
    change(store, XSS_ID, lambda ps: ps["eligibilityModule"].__setitem__("maximumAge", "30 Years"))
    report = run_watches(store, _settings(port))
    assert report.failed == [] and report.sent == len(inbox.messages) >= 1
    msg = next(m for m in inbox.messages if "alerts" in m["Subject"])
    assert msg["To"] == "coordinator@example.org" and msg.is_multipart()
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in msg.walk() if not p.is_multipart()}
    assert set(parts) == {"text/plain", "text/html"}
    assert XSS_ID in parts["text/plain"] and XSS_TITLE in parts["text/plain"]
    assert "<script>" not in parts["text/html"] and "&lt;script&gt;alert(1)&lt;/script&gt;" in parts["text/html"]
    for m in inbox.messages:
        assert NOTE_MARKER not in m.as_string() and "HER2-positive" not in m.as_string()
    sent = deliveries(store.conn, statuses=("sent",))
    assert sent and all(d.tries == 1 for d in sent)
    assert run_watches(store, _settings(port)).sent == 0  # never sent twice
    assert len(inbox.messages) == report.sent


def test_a_signed_webhook_retried_after_500_then_kept_failed_and_sent_next_run(store: SqliteStore) -> None:
    receiver = Receiver(fail=2)
    try:
        _hostile_watch(store, webhook_url=receiver.url, webhook_secret=SECRET)
        report = run_watches(store, _settings(1, tries=3))
        assert report.sent == 1 and receiver.posts == 3 and receiver.bad_signatures == 0
        [body] = receiver.bodies
        assert body["watch"]["name"] == "alerts" and body["findings"][0]["nct_id"] == XSS_ID
        assert body["findings"][0]["kind"] == "now_matches" and body["findings"][0]["title"] == XSS_TITLE
        [d] = deliveries(store.conn)
        assert (d.status, d.tries, d.channel) == ("sent", 3, "webhook")

        change(store, XSS_ID, set_status("COMPLETED"))
        receiver.fail = 10
        report = run_watches(store, _settings(1, tries=2))
        assert report.sent == 0 and "HTTP 500" in report.failed[0]
        failed = deliveries(store.conn, statuses=("failed",))
        assert len(failed) == 1 and failed[0].tries == 2 and "HTTP 500" in (failed[0].last_error or "")
        receiver.fail = 0
        report = run_watches(store, _settings(1, tries=2))  # nothing new in the store: only the retry
        assert report.findings == 0 and report.sent == 1
        assert [b["findings"][0]["kind"] for b in receiver.bodies] == ["now_matches", "gone"]
        assert deliveries(store.conn, statuses=("failed", "pending")) == []
    finally:
        receiver.close()


def test_an_smtp_server_that_refuses_keeps_the_mail_and_other_watches_go_on(store: SqliteStore,
                                                                            smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    inbox.refuse = True
    receiver = Receiver()
    try:
        change(store, XSS_ID, set_status("COMPLETED"))
        add_watch(store, name="mail", spec=WatchSpec(query="alert", statuses=["RECRUITING"]),
                  email="coordinator@example.org")
        add_watch(store, name="hook", spec=WatchSpec(query="alert", statuses=["RECRUITING"]),
                  webhook_url=receiver.url, webhook_secret=SECRET)
        change(store, XSS_ID, set_status("RECRUITING"))
        report = run_watches(store, _settings(port))
        assert report.sent == 1 and len(receiver.bodies) == 1
        assert len(report.failed) == 1 and "refused: 554 5.7.1 relaying refused" in report.failed[0]
        [kept] = deliveries(store.conn, statuses=("failed",))
        assert kept.channel == "email" and "554" in (kept.last_error or "")
        inbox.refuse = False
        report = run_watches(store, _settings(port))
        assert report.sent == 1 and len(inbox.messages) == 1 and report.failed == []
    finally:
        receiver.close()


def test_no_smtp_server_configured_is_a_clear_failure(store: SqliteStore) -> None:
    _hostile_watch(store, email="coordinator@example.org")
    report = run_watches(store, AlertSettings())
    assert "no SMTP server configured" in report.failed[0]
    assert deliveries(store.conn)[0].status == "failed"
