"""A real HTTP server on loopback that answers `GET /api/v2/studies` as ClinicalTrials.gov API v2 does, over a set
of real records that a test can replace (updated versions), with faults a test can line up for the next requests.

It honours `pageSize`, `pageToken` (signed: a wrong or expired token is a 400, as the real API answers),
`countTotal`, `query.cond`, `query.term` and `filter.advanced=AREA[LastUpdatePostDate]RANGE[date,MAX]`. Studies
are served in NCT ID order. Faults, one per request, in the order queued: "429" (with `Retry-After`), "500", "503",
"truncate" (a body cut short under its full Content-Length), "truncate-close" (a body cut short, no length, the
connection closed: a well-formed response whose JSON ends early), "slow" (an answer after `slow_seconds`), "reset"
(the connection reset, no answer)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from trialscout.sources import iter_items

_RANGE = re.compile(r"^AREA\[LastUpdatePostDate\]RANGE\[(\d{4}-\d{2}-\d{2}),\s*MAX\]$")
Served = dict[str, Any] | bytes
"""A study the server holds: a v2 record, or raw bytes served as they are inside the page (a malformed study)."""


def real_records(*paths: Path) -> list[dict[str, Any]]:
    """The v2 records of every study in these files, directories or ZIPs (legacy XML converted by our reader)."""
    return [json.loads(json.dumps(item.study.to_v2())) for item in iter_items(paths) if item.study is not None]


def nct_of(doc: Served) -> str:
    if isinstance(doc, bytes):
        return ""
    return doc["protocolSection"]["identificationModule"]["nctId"]


def last_update_of(doc: dict[str, Any]) -> str:
    return doc["protocolSection"].get("statusModule", {}).get("lastUpdatePostDateStruct", {}).get("date", "")


@dataclass
class FakeApi:
    studies: list[Served] = field(default_factory=list)
    faults: deque[str] = field(default_factory=deque)
    retry_after: str = "1"
    slow_seconds: float = 3.0
    page_delay: float = 0.0
    """Seconds every page answer waits (so a test can kill a sync between pages)."""
    log: list[dict[str, Any]] = field(default_factory=list)
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, studies: list[Served]) -> None:
        """Hold these studies from now on (a new version of the registry)."""
        with self._lock:
            self.studies = sorted(studies, key=nct_of)

    def expire_tokens(self) -> None:
        with self._lock:
            self.secret = secrets.token_bytes(16)

    def next_fault(self) -> str | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None

    def page(self, params: dict[str, str]) -> tuple[int, bytes]:
        """(status, body) of one `/studies` request."""
        with self._lock:
            studies, secret = list(self.studies), self.secret
        try:
            size = int(params.get("pageSize", "10"))
            assert 0 < size <= 1000
        except (ValueError, AssertionError):
            return 400, b"pageSize must be 1 to 1000"
        chosen = _filtered(studies, params)
        if chosen is None:
            return 400, b"filter.advanced: unsupported expression"
        key = _query_key(params)
        offset = 0
        if "pageToken" in params:
            offset = _read_token(params["pageToken"], key, secret)
            if offset is None:
                return 400, b"invalid pageToken"
        body = [json.dumps(s).encode() if isinstance(s, dict) else s for s in chosen[offset:offset + size]]
        out = b'{"studies":[' + b",".join(body) + b"]"
        if params.get("countTotal") == "true" and "pageToken" not in params:
            out += b',"totalCount":' + str(len(chosen)).encode()
        if offset + size < len(chosen):
            out += b',"nextPageToken":"' + _token(offset + size, key, secret).encode() + b'"'
        return 200, out + b"}"


def _query_key(params: dict[str, str]) -> str:
    return json.dumps({k: v for k, v in params.items() if k not in ("pageToken", "countTotal")}, sort_keys=True)


def _token(offset: int, key: str, secret: bytes) -> str:
    sig = hmac.new(secret, f"{offset}|{key}".encode(), hashlib.sha256).hexdigest()[:16]
    return f"{offset:x}{sig}"


def _read_token(token: str, key: str, secret: bytes) -> int | None:
    m = re.fullmatch(r"([0-9a-f]+)([0-9a-f]{16})", token)
    if not m:
        return None
    offset = int(m.group(1), 16)
    return offset if hmac.compare_digest(_token(offset, key, secret), token) else None


def _filtered(studies: list[Served], params: dict[str, str]) -> list[Served] | None:
    since = None
    if "filter.advanced" in params:
        m = _RANGE.match(params["filter.advanced"])
        if not m:
            return None
        since = m.group(1)
    cond = params.get("query.cond", "").lower()
    term = params.get("query.term", "").lower()
    out = []
    for s in studies:
        if isinstance(s, bytes):
            out.append(s)
            continue
        if since and last_update_of(s) < since:
            continue
        cm = s["protocolSection"].get("conditionsModule", {})
        if cond and not any(cond in c.lower() for c in cm.get("conditions", []) + cm.get("keywords", [])):
            continue
        if term and term not in json.dumps(s).lower():
            continue
        out.append(s)
    return out


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 - the http.server spelling
            url = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            fault = api.next_fault() if url.path == "/api/v2/studies" else None
            api.log.append({"path": url.path, "params": params, "fault": fault})
            if url.path != "/api/v2/studies":
                return self._send(404, b"not found")
            if fault == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                return None
            if fault in ("429", "500", "503"):
                headers = {"Retry-After": api.retry_after} if fault == "429" else {}
                return self._send(int(fault), b"Too many requests" if fault == "429" else b"server error", headers)
            if fault == "slow":
                time.sleep(api.slow_seconds)
            elif api.page_delay:
                time.sleep(api.page_delay)
            status, body = api.page(params)
            if fault == "truncate":
                return self._send(status, body[: len(body) // 2], length=len(body))
            if fault == "truncate-close":
                return self._send(status, body[: len(body) // 2], length=None)
            return self._send(status, body)

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                  length: int | None = -1) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if length is None:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(len(body) if length == -1 else length))
                    if length != -1:
                        self.close_connection = True
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout): nothing to do
                self.close_connection = True

    return Handler


@contextmanager
def running(api: FakeApi) -> Iterator[str]:
    """Serve `api` on 127.0.0.1 (a free port) for the block; yields the base URL (`http://127.0.0.1:P/api/v2`)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def updated(doc: dict[str, Any], date: str, *, status: str | None = None, site: dict[str, Any] | None = None,
            criteria_suffix: str | None = None) -> dict[str, Any]:
    """A newer version of a record: a later LastUpdatePostDate and the changes asked for."""
    new = json.loads(json.dumps(doc))
    ps = new["protocolSection"]
    ps.setdefault("statusModule", {})["lastUpdatePostDateStruct"] = {"date": date, "type": "ACTUAL"}
    if status:
        ps["statusModule"]["overallStatus"] = status
    if site:
        ps.setdefault("contactsLocationsModule", {}).setdefault("locations", []).append(site)
    if criteria_suffix:
        em = ps.setdefault("eligibilityModule", {})
        em["eligibilityCriteria"] = (em.get("eligibilityCriteria") or "") + criteria_suffix
    return new
