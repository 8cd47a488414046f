"""Patient facts from a JSON document, a FHIR R4 Bundle or a free-text note: `load_patient` and `describe`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from trialscout.model.patient import PatientFacts
from trialscout.patient.describe import describe
from trialscout.patient.errors import PatientError
from trialscout.patient.from_json import from_json, parse_json_text
from trialscout.patient.from_note import from_note

__all__ = ["PatientError", "PatientFacts", "describe", "detect_kind", "from_fhir", "from_json", "from_note",
           "load_patient"]

MAX_BYTES = 20 * 1024 * 1024


def from_fhir(data: str | bytes | dict[str, Any], ref: str | None = None) -> PatientFacts:
    """PatientFacts from a FHIR R4 Bundle (`patient.fhir_reader`), whose models are imported only when a Bundle
    is read: the commands that never read one (`criteria`, `search`) start without them."""
    from trialscout.patient.fhir_reader import from_fhir as read_bundle

    return read_bundle(data, ref)


def load_patient(source: str | Path, *, as_of: dt.date | None = None) -> PatientFacts:
    """PatientFacts from a file path or from the content itself (JSON document, FHIR Bundle, or note text).

    A `Path`, or a one-line string naming an existing file, is read as a file; anything else is content.
    Raises PatientError for unreadable input (bad JSON, a FHIR resource that is not a Bundle, wrong types)."""
    text, ref = _read(source)
    kind = detect_kind(text, ref)
    if kind == "note":
        return from_note(text, ref, as_of=as_of)
    data = parse_json_text(text, ref)
    facts = from_fhir(data, ref) if kind == "fhir" else from_json(data, ref)
    if as_of is not None:
        facts.as_of = as_of
    return facts


def detect_kind(text: str, ref: str | None = None) -> str:
    """`fhir` (a JSON object with a resourceType), `json` (any other JSON object), or `note` (plain text).

    A `.json` file or text starting with `{`/`[` is JSON: if it does not parse, that is an error, not a note."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith(("{", "[")) and not (ref or "").lower().endswith(".json"):
        return "note"
    data: Any = parse_json_text(stripped, ref)
    return "fhir" if isinstance(data, dict) and "resourceType" in data else "json"


def _read(source: str | Path) -> tuple[str, str | None]:
    path = source if isinstance(source, Path) else _as_path(source)
    if path is None:
        return str(source), None
    if not path.is_file():
        raise PatientError("no such file", where=str(path))
    if path.stat().st_size > MAX_BYTES:
        raise PatientError(f"file larger than {MAX_BYTES // (1024 * 1024)} MB", where=str(path))
    try:
        return path.read_bytes().decode("utf-8-sig"), path.name
    except UnicodeDecodeError:
        raise PatientError("not a UTF-8 text file", where=str(path)) from None


def _as_path(text: str) -> Path | None:
    if "\n" in text or len(text) > 1024 or not text.strip():
        return None
    path = Path(text.strip())
    try:
        return path if path.is_file() else None
    except OSError:
        return None


def to_json(facts: PatientFacts) -> str:
    """The facts as JSON (None fields left out), for `trialscout patient FILE --json`."""
    return json.dumps(facts.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False)
