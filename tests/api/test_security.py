"""Security rules: headers, the API key off loopback, refusing unsafe settings, nothing of patients in logs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import make_client
from trialscout.api import ApiSettings, create_app, is_loopback
from trialscout.errors import TrialscoutError

KEY = "k3y-for-tests-0123456789"
MARKER = "Zebulon Quixotic-Marker 4711"


def test_every_answer_carries_the_security_headers(client: Any) -> None:
    big = b"x" * (3 * 1024 * 1024)
    for r in (client.get("/api/health"), client.get("/api/v2/studies/NCT00000000"), client.get("/openapi.json"),
              client.post("/api/match", content=big, headers={"content-type": "application/json"})):
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
        assert "server" not in r.headers


def test_swagger_pages_are_off(client: Any) -> None:
    assert client.get("/docs").status_code == 404  # they would load scripts from a CDN, against the CSP


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True),
                                                 ("[::1]", True), ("localhost", True), ("0.0.0.0", False),
                                                 ("::", False), ("192.168.1.5", False), ("example.org", False)])
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_public_address_without_a_key_is_refused(served_db: Path) -> None:
    with pytest.raises(TrialscoutError, match="api-key"):
        create_app(ApiSettings(db=served_db, host="0.0.0.0"))
    with pytest.raises(TrialscoutError, match="12 characters"):
        create_app(ApiSettings(db=served_db, host="0.0.0.0", api_key="short"))
    with pytest.raises(TrialscoutError, match="no database"):
        create_app(ApiSettings(db=served_db.parent / "missing.db"))


def test_off_loopback_the_patient_endpoints_need_the_key(served_db: Path) -> None:
    note = {"note": "metastatic breast cancer"}
    screen = {"patients": [note], "trials": ["NCT00001378"]}
    with make_client(served_db, host="0.0.0.0", api_key=KEY) as c:
        assert c.get("/api/v2/studies", params={"pageSize": 1}).status_code == 200  # trial data stays open
        assert c.get("/api/health").json()["patientEndpointsRequireKey"] is True
        for headers in ({}, {"X-API-Key": "wrong-key-wrong-key"}, {"X-API-Key": ""}):
            r = c.post("/api/match", json=note, headers=headers)
            assert r.status_code == 401 and r.json()["where"] == "X-API-Key"
            assert c.post("/api/screen", json=screen, headers=headers).status_code == 401
        assert c.post("/api/match", json=note, headers={"X-API-Key": KEY}).status_code == 200
        assert c.post("/api/screen", json=screen, headers={"X-API-Key": KEY}).status_code == 200
        assert c.post("/api/match", content=b"{bad", headers={"content-type": "application/json"}).status_code == 401


def test_on_loopback_a_given_key_is_required_too(served_db: Path) -> None:
    with make_client(served_db, api_key=KEY) as c:
        assert c.post("/api/match", json={"note": "x"}).status_code == 401
        assert c.post("/api/match", json={"note": "x"}, headers={"X-API-Key": KEY}).status_code == 200


def test_openapi_declares_the_key(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert spec["paths"]["/api/match"]["post"]["security"]


def test_patient_data_never_reaches_the_logs(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    note = f"Patient {MARKER}, 61 yo woman, metastatic breast cancer, HER2 positive, ECOG 1."
    assert client.post("/api/match", json={"note": note}).status_code == 200
    assert client.post("/api/match", json={"note": 7, "x": MARKER}).status_code == 422
    assert client.post("/api/match", json={"age": MARKER}).status_code == 422
    assert client.post("/api/screen", json={"patients": [{"id": MARKER, "note": note}],
                                            "trials": ["NCT00001378"]}).status_code == 200
    assert MARKER not in caplog.text
