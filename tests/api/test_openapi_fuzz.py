"""Property-based run of our own OpenAPI document (schemathesis): every answer conforms to the document (status
code, content type, body schema, headers), the server never answers 5xx, requests the schema forbids are refused,
and requests it allows are accepted, including the patient bodies of match and screen. Bounded so it stays well
under a minute; runs in `make test`.

(schemathesis' own pytest plugin does not work with pytest 9 yet, so each operation's case strategy is driven
by Hypothesis directly.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 30}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection, positive_data_acceptance]
DATA_DEPENDENT = {"GET /api/v2/studies", "GET /api/v2/studies/{nctId}", "POST /api/screen"}
"""Operations where a schema-valid request can still be refused (400) for what it names, which no schema can say:
a place `filter.geo` does not know, a forged `pageToken`, an unknown `fields` name, a screen selection matching no
trial or more than the limit. positive_data_acceptance is left out for them only; every other check runs."""


@pytest.fixture(scope="module")
def api_schema(served_db: Path) -> Any:
    from trialscout.api import ApiSettings, create_app

    app = create_app(ApiSettings(db=served_db, patient_timeout=20.0))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def operations(schema: Any) -> list[Any]:
    """Every operation but the watch endpoints: they write to the store (a fuzzer would fill the session's shared
    store with watches); tests/watch/test_interfaces.py covers them."""
    return [op for op in (result.ok() for result in schema.get_all_operations())
            if "watches" not in (op.definition.raw.get("tags") or [])]


def check(case: Any) -> None:
    response = case.call()
    excluded = [positive_data_acceptance] if case.operation.label in DATA_DEPENDENT else []
    case.validate_response(response, checks=[c for c in CHECKS if c not in excluded])
    if response.status_code >= 400:
        assert response.json()["error"]
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda m: m.value)
def test_answers_conform_to_the_document(api_schema: Any, mode: Any) -> None:
    ops = operations(api_schema)
    assert len(ops) == 7
    for op in ops:
        @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            check(case)

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing to break (no parameters): only valid calls exist


def test_document_states_patterns_codes_and_the_patient_schema(api_schema: Any) -> None:
    doc = api_schema.raw_schema
    nct = next(p for p in doc["paths"]["/api/v2/studies/{nctId}"]["get"]["parameters"] if p["name"] == "nctId")
    assert nct["schema"]["pattern"] == "^[Nn][Cc][Tt][0-9]{8}$"
    match = doc["paths"]["/api/match"]["post"]
    assert {"400", "401", "404", "413", "415", "422", "503"} <= set(match["responses"])
    assert "500" not in match["responses"]
    patient = doc["components"]["schemas"]["PatientDocument"]
    assert patient["additionalProperties"] is False
    assert patient["properties"]["sex"]["anyOf"][0]["enum"] == ["female", "male", "FEMALE", "MALE", "F", "M"]
    assert doc["components"]["schemas"]["BiomarkerIn"]["required"] == ["name"]
