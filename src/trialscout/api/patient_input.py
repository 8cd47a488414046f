"""Patient bodies: a patient JSON document, a FHIR R4 Bundle, or `{"note": "..."}` -> PatientFacts.

Content is parsed from the request only: nothing here ever treats a value as a file path."""

from __future__ import annotations

from typing import Any

from trialscout.api.openapi import MAX_NOTE
from trialscout.errors import TrialscoutError
from trialscout.model.patient import PatientFacts
from trialscout.patient import from_fhir, from_json, from_note
from trialscout.patient.errors import PatientError


def facts_from_body(doc: Any, where: str = "body") -> PatientFacts:
    """The facts of one patient body; PatientError (422) for anything that cannot be read."""
    if not isinstance(doc, dict):
        raise PatientError("a patient is a JSON object: a patient document, a FHIR Bundle or {\"note\": \"...\"}",
                           where=where)
    try:
        if "note" in doc and "resourceType" not in doc:
            return _note(doc, where)
        if "resourceType" in doc:
            return from_fhir(doc, where)
        return from_json(doc, where)
    except TrialscoutError:
        raise
    except Exception as exc:  # noqa: BLE001 - unreadable input is the client's problem (422); nothing is logged
        raise PatientError(f"the patient could not be read ({type(exc).__name__})", where=where) from None


def _note(doc: dict[str, Any], where: str) -> PatientFacts:
    note, extra = doc["note"], sorted(set(doc) - {"note", "id"})
    if not isinstance(note, str):
        raise PatientError("note must be text", where=f"{where}.note")
    if len(note) > MAX_NOTE:
        raise PatientError(f"the note is longer than {MAX_NOTE} characters", where=f"{where}.note")
    if extra:
        raise PatientError(f"a note body has only note and id, not {', '.join(extra)[:200]}", where=where)
    return from_note(note, f"{where}.note")


def patient_key(doc: Any, index: int) -> str:
    """How a cohort member is named in screening rows: its own `id` (or FHIR Bundle id), else its position."""
    ident = doc.get("id") if isinstance(doc, dict) else None
    return ident if isinstance(ident, str) and 0 < len(ident) <= 100 else f"patient-{index + 1}"
