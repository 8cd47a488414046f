"""`trialscout serve` for real: a uvicorn process on a free loopback port, called over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

MARKER = "Ottoline Marker-Patient 9173"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(base: str, proc: subprocess.Popen[str], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.communicate()[1]}")
        try:
            if httpx.get(f"{base}/api/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("server did not come up")


def stop_server(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C, as a terminal stops it; killed if it has not stopped within 20 s."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def test_serve_answers_over_http_and_logs_no_patient_data(served_db: Path) -> None:
    port = free_port()
    env = {**os.environ, "TRIALSCOUT_API_KEY": ""}
    proc = subprocess.Popen([sys.executable, "-c", "from trialscout.cli import app; app()", "serve", "--port",
                             str(port), "--db", str(served_db)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc)
        r = httpx.get(f"{base}/api/v2/studies", params={"query.cond": "breast cancer", "pageSize": 2})
        assert r.status_code == 200 and len(r.json()["studies"]) == 2
        assert "content-security-policy" in r.headers and "server" not in r.headers
        m = httpx.post(f"{base}/api/match", json={"note": f"{MARKER}: metastatic breast cancer"}, timeout=60)
        assert m.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/ " in err and "/api/v2/studies" in err
    assert '"POST /api/match HTTP/1.1" 200' in err + out  # the access log: method, path, status
    assert MARKER not in err + out


def test_serve_refuses_a_public_address_without_a_key(served_db: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TRIALSCOUT_API_KEY"}
    done = subprocess.run([sys.executable, "-c", "from trialscout.cli import app; app()", "serve", "--host",
                           "0.0.0.0", "--db", str(served_db)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "api-key" in done.stderr
