"""Property-based run of our own OpenAPI document (schemathesis): no input the schema allows, and no input it
forbids, may produce a server error. Bounded so it stays well under a minute; runs in `make test`.

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

EXAMPLES = {GenerationMode.POSITIVE: 50, GenerationMode.NEGATIVE: 40}


@pytest.fixture(scope="module")
def api_schema(served_db: Path) -> Any:
    from trialscout.api import ApiSettings, create_app

    app = create_app(ApiSettings(db=served_db, patient_timeout=20.0))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def check(case: Any) -> None:
    response = case.call()
    where = f"{case.method} {case.formatted_path} query={case.query} -> {response.status_code} {response.text[:300]}"
    assert response.status_code < 500, where
    if response.status_code >= 400:
        assert response.json()["error"], where
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda m: m.value)
def test_no_server_errors(api_schema: Any, mode: Any) -> None:
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
