"""Bad input never gets a 500: huge numbers and deep nesting in the bodies of the API and the match pages are a
clear 4xx in the error shape; an odd but valid FHIR value costs one fact, not the patient."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import patient_text

HUGE = "9" * 5000
DEEP = "[" * 100_000 + "]" * 100_000


def post(client: Any, path: str, body: str) -> Any:
    return client.post(path, content=body.encode(), headers={"content-type": "application/json"})


@pytest.mark.parametrize("body", ['{"age": ' + HUGE + "}", DEEP, '{"age": NaN}'])
@pytest.mark.parametrize("path", ["/api/match", "/api/screen"])
def test_api_bodies_beyond_the_limits_are_400(client: Any, path: str, body: str) -> None:
    r = post(client, path, body)
    assert r.status_code == 400, r.text
    assert r.json()["where"] == "body" and HUGE not in r.text
    assert r.json()["error"].startswith(("age: ", "not valid JSON", "nested deeper than 64"))


def test_match_page_with_a_huge_number_in_the_file_is_a_400_page(client: Any) -> None:
    files = {"file": ("p.json", ('{"age": ' + HUGE + "}").encode(), "application/json")}
    r = client.post("/match", data={"format": "json"}, files=files)
    assert r.status_code == 400 and "a number of 5000 digits" in r.text and HUGE not in r.text


def test_match_trial_page_with_a_huge_number_in_the_patient_field_is_a_400_page(client: Any) -> None:
    r = client.post("/match/NCT00001378", data={"patient": '{"age": ' + HUGE + "}", "format": "json"})
    assert r.status_code == 400 and "a number of 5000 digits" in r.text and HUGE not in r.text


def test_fhir_comparator_ad_costs_one_lab_not_the_patient(client: Any) -> None:
    doc = json.loads(patient_text("bundle_crc.json"))
    for entry in doc["entry"]:
        if "valueQuantity" in entry["resource"]:
            entry["resource"]["valueQuantity"]["comparator"] = "ad"
    r = post(client, "/api/match", json.dumps(doc))
    assert r.status_code == 200, r.text
