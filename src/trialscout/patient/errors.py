"""The error raised for patient input that cannot be read at all (bad JSON, not a FHIR Bundle, wrong types)."""

from __future__ import annotations

from trialscout.errors import TrialscoutError


class PatientError(TrialscoutError):
    """A patient file or document could not be read; `where` names the file and field."""
