"""Patient endpoints: match a note, a patient document and a FHIR Bundle; screen a small cohort; bad bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import make_client, patient_text

CONTRACT_KEYS = {"nct_id", "eligibility", "score", "criteria"}


def post_json(client: Any, path: str, body: bytes | str, **params: Any) -> Any:
    return client.post(path, content=body, params=params, headers={"content-type": "application/json"})


def test_match_a_note(client: Any) -> None:
    r = client.post("/api/match", json={"note": patient_text("note_onc.txt")}, params={"top": 3})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    found = r.json()
    assert 0 < len(found) <= 3 and all(set(m) >= CONTRACT_KEYS for m in found)
    assert [m["score"] for m in found] == sorted((m["score"] for m in found), reverse=True)
    crit = found[0]["criteria"][0]
    assert {"type", "text", "verdict", "evidence"} <= set(crit)


def test_match_a_patient_document_with_status_filter(client: Any) -> None:
    r = post_json(client, "/api/match", patient_text("valid.json"), top=5, status="COMPLETED")
    assert r.status_code == 200, r.text
    assert r.json()


def test_match_a_fhir_bundle_against_named_trials(client: Any) -> None:
    r = post_json(client, "/api/match", patient_text("bundle_crc.json"), trials="NCT00001378,nct00492999")
    assert r.status_code == 200, r.text
    assert {m["nct_id"] for m in r.json()} == {"NCT00001378", "NCT00492999"}


@pytest.mark.parametrize(("body", "status", "where"), [
    ("{not json", 400, "body"),
    ("[1, 2]", 422, "body"),
    ('"a string"', 422, "body"),
    ('{"note": 5}', 422, "body.note"),
    ('{"note": "x", "extra": 1}', 422, "body"),
    ('{"resourceType": "Patient", "id": "p"}', 422, None),
    ('{"age": "old", "colour": "blue"}', 422, None),
    ('{"resourceType": "Bundle", "entry": "nope"}', 422, None),
    ('{"diagnoses": [{"name": {"deep": []}}], "labs": [null]}', 422, None),
])
def test_unreadable_patients_are_4xx_with_a_message(client: Any, body: str, status: int, where: str | None) -> None:
    r = post_json(client, "/api/match", body)
    assert r.status_code == status, r.text
    assert r.json()["error"]
    if where:
        assert r.json()["where"] == where


def test_match_against_every_stored_trial(client: Any, served_db: Path) -> None:
    from trialscout.api.patient_input import facts_from_body
    from trialscout.app import Trialscout

    doc = json.loads(patient_text("valid.json"))
    r = post_json(client, "/api/match", json.dumps(doc), top=4, all="true")
    assert r.status_code == 200, r.text
    found = r.json()
    with Trialscout(served_db, hold=False) as ts:
        expected = ts.match_all(facts_from_body(doc), top=4).shown
    assert found == [m.to_contract() for m in expected]
    again = post_json(client, "/api/match", json.dumps(doc), top=4, all="true")  # from the trials held
    assert again.json() == found
    refused = post_json(client, "/api/match", json.dumps(doc), all="true", trials="NCT00001378")
    assert refused.status_code == 400 and refused.json()["where"] == "all"


def test_bad_match_options(client: Any) -> None:
    note = json.dumps({"note": "breast cancer"})
    assert post_json(client, "/api/match", note, top=0).status_code == 422
    assert post_json(client, "/api/match", note, top=1000).status_code == 422
    assert post_json(client, "/api/match", note, trials="NCT1").status_code == 400
    assert post_json(client, "/api/match", note, trials="NCT00000000").status_code == 404
    assert post_json(client, "/api/match", note, status="NAPPING").status_code == 400
    many = ",".join(f"NCT{i:08d}" for i in range(101))
    assert post_json(client, "/api/match", note, trials=many).status_code == 400


def test_only_json_bodies_are_accepted(client: Any) -> None:
    r = client.post("/api/match", content=b"note text", headers={"content-type": "text/plain"})
    assert r.status_code == 415 and r.json()["where"] == "Content-Type"
    assert client.post("/api/match", data={"note": "x"}).status_code == 415
    assert client.post("/api/match", content=b"\xff\xfe{", headers={"content-type": "application/json"}).status_code \
        == 400


def test_bodies_over_the_limit_are_413(client: Any) -> None:
    big = json.dumps({"note": "x" * (2 * 1024 * 1024 + 10)})
    r = post_json(client, "/api/match", big)
    assert r.status_code == 413 and "larger than" in r.json()["error"]
    chunked = client.post("/api/match", content=iter([b'{"note": "', b"y" * (3 * 1024 * 1024), b'"}']),
                          headers={"content-type": "application/json"})
    assert chunked.status_code == 413


def test_screen_a_small_cohort(client: Any) -> None:
    body = {"patients": [{"id": "note-1", "note": patient_text("note_onc.txt")}, json.loads(patient_text(
        "valid.json")), json.loads(patient_text("bundle_crc.json")), {"resourceType": "Patient"}],
            "trials": ["NCT00001378", "NCT00492999"]}
    r = client.post("/api/screen", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["trials"] == 2 and doc["patients"] == 4
    assert len(doc["rows"]) == 6 and {row["patient"] for row in doc["rows"]} == {"note-1", "demo-001", "crc-demo"}
    assert {"eligibility", "score", "failing", "unknown"} <= set(doc["rows"][0])
    assert doc["bad"] == [{"patient": "patient-4", "why": "expected a FHIR Bundle, found resourceType 'Patient'"}]


def test_screen_selects_trials_by_words_and_status(client: Any) -> None:
    r = client.post("/api/screen", json={"patients": [{"note": "metastatic breast cancer, ECOG 1"}],
                                         "query": "breast cancer", "status": ["RECRUITING"]})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] and all(row["patient"] == "patient-1" for row in r.json()["rows"])


def test_screen_limits_and_bad_shapes(client: Any) -> None:
    note = {"note": "lung cancer"}
    too_many = client.post("/api/screen", json={"patients": [note] * 21, "trials": ["NCT00001378"]})
    assert too_many.status_code == 413 and "trialscout screen" in too_many.json()["error"]
    assert client.post("/api/screen", json={"patients": [note]}).status_code == 400  # no trial selection
    assert client.post("/api/screen", json={"patients": [note], "query": "cancer"}).status_code == 400  # too many
    assert client.post("/api/screen", json={"patients": [], "trials": ["NCT00001378"]}).status_code == 422
    assert client.post("/api/screen", json={"patients": "x"}).status_code == 422
    assert client.post("/api/screen", json=[1]).status_code == 422
    r = client.post("/api/screen", json={"patients": [note], "trials": ["NCT00000000"]})
    assert r.status_code == 400 and "not in the store" in r.json()["error"]


def test_slow_work_is_answered_with_503_not_left_hanging(served_db: Path) -> None:
    with make_client(served_db, patient_timeout=0.001) as slow:
        r = slow.post("/api/match", json={"note": patient_text("note_onc.txt")})
    assert r.status_code == 503 and "longer than" in r.json()["error"]


def test_match_policy_strict_presumes_nothing_and_unknown_names_are_400(client: Any) -> None:
    note = {"note": patient_text("note_onc.txt")}
    default = client.post("/api/match", json=note, params={"top": 5}).json()
    strict = client.post("/api/match", json=note, params={"top": 5, "policy": "strict"}).json()
    for m in default + strict:
        assert {"to_confirm", "summary", "policy", "counts"} <= set(m)
        assert m["to_confirm"] == m["counts"]["presumed"] and m["summary"].startswith(m["eligibility"])
        assert all(c["verdict"] in ("pass", "fail", "unknown", "not_applicable") for c in m["criteria"])
    assert {m["policy"] for m in default} == {"default"} and {m["policy"] for m in strict} == {"strict"}
    assert any(m["to_confirm"] for m in default)
    assert all(m["to_confirm"] == 0 and m["summary"] == m["eligibility"] for m in strict)
    assert not any(c.get("presumed") for m in strict for c in m["criteria"])
    bad = client.post("/api/match", json=note, params={"policy": "lenient"})
    assert bad.status_code == 400 and bad.json()["where"] == "policy"
    assert "no absence policy 'lenient'" in bad.json()["error"] and "default, strict" in bad.json()["error"]


def test_screen_rows_carry_presumed_not_applicable_summary_and_to_confirm(client: Any) -> None:
    body = {"patients": [{"id": "note-1", "note": patient_text("note_onc.txt")},
                         json.loads(patient_text("valid.json"))], "trials": ["NCT00001378", "NCT00004935"]}
    default = client.post("/api/screen", json=body).json()
    strict = client.post("/api/screen", json={**body, "policy": "strict"}).json()
    assert (default["policy"], strict["policy"]) == ("default", "strict")
    for row in default["rows"] + strict["rows"]:
        assert {"n_presumed", "n_not_applicable", "summary", "to_confirm", "failing", "unknown"} <= set(row)
        assert row["n_presumed"] == len(row["to_confirm"]) <= row["n_pass"]
        assert row["summary"].startswith(row["eligibility"])
        if row["n_unknown"] or row["n_not_computable"]:
            assert row["eligibility"] != "eligible"
    assert any(row["n_presumed"] for row in default["rows"])
    assert all(row["n_presumed"] == 0 and row["to_confirm"] == [] for row in strict["rows"])
    bad = client.post("/api/screen", json={**body, "policy": "lenient"})
    assert bad.status_code == 422 and bad.json()["where"] == "policy" and "default, strict" in bad.json()["error"]


def test_the_policy_is_documented_in_the_openapi(client: Any) -> None:
    doc = client.get("/openapi.json").json()
    params = {p["name"]: p for p in doc["paths"]["/api/match"]["post"]["parameters"]}
    schema = params["policy"]["schema"]
    assert (schema["type"], schema["enum"], schema["default"]) == ("string", ["default", "strict"], "default")
    assert "strict" in params["policy"]["description"]
    body = doc["paths"]["/api/screen"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["policy"]["enum"] == ["default", "strict"]
