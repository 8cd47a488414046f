"""What `/openapi.json` says beyond the routes' own types: the NCT ID patterns, the error answers each operation
can give, and the patient body schemas (built from `patient.schema.json`, the one source of the document's shape)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from fastapi import FastAPI

from trialscout.model import enums
from trialscout.patient.document import SCHEMA_PATH

NCT_ID = "[Nn][Cc][Tt][0-9]{8}"
NCT_PATTERN = f"^{NCT_ID}$"
"""An NCT ID as the server reads it: NCT (any case) and 8 ASCII digits."""
NCT_LIST_PATTERN = rf"^\s*({NCT_ID})?\s*([,|]\s*({NCT_ID})?\s*)*$"
"""NCT IDs separated by `,` or `|` (spaces and empty places ignored), as `trials` and `filter.ids` take them."""
STATUSES = [s.value for s in enums.Status]
MAX_NOTE = 200_000

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["error", "where"],
    "properties": {"error": {"type": "string", "description": "What is wrong, and why."},
                   "where": {"type": ["string", "null"], "description": "The parameter, field path or header."},
                   "details": {"type": "array", "description": "422 only: each validation error (without the input).",
                               "items": {"type": "object"}}}}
WHY = {400: "Malformed request (a parameter, or a body that is not JSON or beyond the limits)",
       401: "The API key is missing or wrong", 404: "No such study", 413: "Body or cohort too large",
       415: "The body is not application/json", 422: "Invalid parameters or an unreadable patient",
       503: "Timed out, busy, or the store cannot be read"}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers (all in the one error shape) for these status codes."""
    return {code: {"description": WHY[code], "content": {"application/json": {"schema": ERROR_SCHEMA}}}
            for code in codes}


SEARCH_ERRORS = errors(400, 422, 503)
STUDY_ERRORS = errors(400, 404, 422, 503)
PATIENT_ERRORS = errors(400, 401, 404, 413, 415, 422, 503)
HEALTH_ERRORS = errors(503)

NOTE_SCHEMA: dict[str, Any] = {
    "title": "Note", "type": "object", "required": ["note"], "additionalProperties": False,
    "properties": {"note": {"type": "string", "maxLength": MAX_NOTE, "description": "Free-text clinical note."},
                   "id": {"type": "string", "maxLength": 100}}}
FHIR_BUNDLE_SCHEMA: dict[str, Any] = {
    "title": "FhirBundle", "type": "object", "required": ["resourceType"],
    "description": "A FHIR R4 Bundle. Resources that are not read (or do not validate) and Bundle fields FHIR does "
                   "not allow are reported as problems and skipped; the rest is still read.",
    "properties": {"resourceType": {"const": "Bundle"}, "type": {"type": "string"},
                   "entry": {"type": "array", "items": {"type": "object"}}}}
PATIENT_BODY_SCHEMA: dict[str, Any] = {
    "description": "A patient: a note, a FHIR R4 Bundle or a patient document. Nesting deeper than 64 levels and "
                   "numbers of more than 100 digits are refused (400).",
    "anyOf": [{"$ref": "#/components/schemas/Note"}, {"$ref": "#/components/schemas/FhirBundle"},
              {"$ref": "#/components/schemas/PatientDocument"}]}


@cache
def patient_components() -> dict[str, Any]:
    """Note, FhirBundle, PatientDocument and its parts, as OpenAPI components (refs pointed at components)."""
    text = SCHEMA_PATH.read_text("utf-8").replace('"#/$defs/', '"#/components/schemas/')
    doc = json.loads(text)
    parts = doc.pop("$defs")
    doc.pop("$schema", None)
    return {"Note": NOTE_SCHEMA, "FhirBundle": FHIR_BUNDLE_SCHEMA, "PatientDocument": doc, **parts}


PATIENT_PATHS = ("/api/match", "/api/screen")


def install(app: FastAPI, *, max_cohort: int, max_trials: int, key_required: bool) -> None:
    """Add the patient components, and this server's cohort and trial limits and API key rule, to the document
    FastAPI builds (without a required key, the key is optional: an empty security requirement)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(patient_components())
            screen = schema["paths"]["/api/screen"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            screen["properties"]["patients"]["maxItems"] = max_cohort
            screen["properties"]["trials"]["maxItems"] = max_trials
            for path in PATIENT_PATHS if not key_required else ():
                operation = schema["paths"][path]["post"]
                operation["security"] = [{}, *operation.get("security", [])]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
