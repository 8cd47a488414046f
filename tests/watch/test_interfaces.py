"""The watch CLI, REST endpoints and web page over a real store (HTTP level; the browser test is in tests/web)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.api.conftest import make_client
from tests.conftest import XSS_ID, XSS_TITLE
from tests.watch.conftest import NOTE_MARKER, PATIENT_NOTE, change, set_status
from trialscout.cli import app
from trialscout.store import SqliteStore


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_cli_add_list_show_run_remove(db: Path, tmp_path: Path) -> None:
    with SqliteStore(db) as store:
        change(store, XSS_ID, set_status("RECRUITING"))
    note = tmp_path / "patient.txt"
    note.write_text(PATIENT_NOTE, "utf-8")
    code, out = _cli("watch", "add", "mine", "--patient", str(note), "--db", str(db))
    assert code == 1 and "--store-patient" in out
    code, out = _cli("watch", "add", "mine", "--patient", str(note), "--store-patient", "--db", str(db))
    assert code == 0 and "kept in the store" in out and NOTE_MARKER not in out
    code, out = _cli("watch", "add", "xss", "--query", "alert", "--status", "RECRUITING", "--db", str(db))
    assert code == 0, out
    code, out = _cli("watch", "add", "bad", "--query", "x", "--status", "OPENISH", "--db", str(db))
    assert code == 1 and "OPENISH" in out
    with SqliteStore(db) as store:
        change(store, XSS_ID, set_status("COMPLETED"))
    code, out = _cli("watch", "run", "--db", str(db), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["findings"] >= 1 and NOTE_MARKER not in out
    code, out = _cli("watch", "run", "--db", str(db))
    assert code == 0 and "findings=0" in out
    code, out = _cli("watch", "show", "xss", "--db", str(db))
    assert code == 0 and "gone" in out and "overallStatus" in out
    code, out = _cli("watch", "list", "--db", str(db))
    assert "mine [patient]" in out and "xss [search]" in out and NOTE_MARKER not in out
    code, out = _cli("watch", "remove", "mine", "--db", str(db))
    assert code == 0 and "removed with its patient file" in out
    code, out = _cli("watch", "show", "mine", "--db", str(db))
    assert code == 1 and "no watch named 'mine'" in out


def test_rest_endpoints_and_the_page(db: Path) -> None:
    with SqliteStore(db) as store:
        change(store, XSS_ID, set_status("RECRUITING"))
    with make_client(db, api_key="watch-test-key-1") as client:
        headers = {"X-API-Key": "watch-test-key-1"}
        assert client.get("/api/watches").status_code == 401
        body = {"name": "xss", "query": "alert", "status": ["RECRUITING"], "email": "c@example.org"}
        r = client.post("/api/watches", json=body, headers=headers)
        assert r.status_code == 201, r.text
        assert r.json()["name"] == "xss" and "\"webhook_secret\"" not in r.text
        r = client.post("/api/watches", json={**body, "email": "nope"}, headers=headers)
        assert r.status_code == 400 and r.json() == {"error": "'nope' is not an e-mail address (name@domain.tld)",
                                                     "where": "email"}
        r = client.post("/api/watches", json={"name": "p", "patient": {"note": PATIENT_NOTE}}, headers=headers)
        assert r.status_code == 400 and r.json()["where"] == "patient"
        r = client.post("/api/watches", json={"name": "p", "patient": {"note": PATIENT_NOTE}, "store_patient": True},
                        headers=headers)
        assert r.status_code == 201 and NOTE_MARKER not in r.text
        assert r.headers["cache-control"] == "no-store"
        with SqliteStore(db) as store:
            change(store, XSS_ID, set_status("COMPLETED"))
        r = client.post("/api/watches-run", headers=headers)
        assert r.status_code == 200 and r.json()["findings"] >= 1
        shown = client.get("/api/watches/xss", headers=headers).json()
        assert shown["findings"][0]["kind"] == "gone" and shown["deliveries"][0]["status"] == "failed"
        assert client.get("/api/watches/nope", headers=headers).status_code == 404
        page = client.get("/watches")
        assert page.status_code == 200 and "content-security-policy" in page.headers
        assert XSS_TITLE not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "no longer matches" in page.text and NOTE_MARKER not in page.text
        twin = client.get("/watches?format=json").json()
        assert {w["name"] for w in twin["watches"]} == {"xss", "p"}
        assert client.delete("/api/watches/p", headers=headers).status_code == 204
        assert client.delete("/api/watches/p", headers=headers).status_code == 404
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/api/watches", "/api/watches/{watch}", "/api/watches-run"} <= set(paths)
