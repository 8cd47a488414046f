"""The `fields` parameter: keep only chosen parts of each v2 study, named as ClinicalTrials.gov names them.

Accepted, separated by commas or `|`:
- dotted paths into the v2 JSON, e.g. `protocolSection.identificationModule` or
  `protocolSection.armsInterventionsModule.interventions.name` (a path through a list keeps that field of every
  element); the first part must be a section (`protocolSection`, `derivedSection`, `resultsSection`, ...);
- section and module names in either case: `ProtocolSection`, `IdentificationModule`, `eligibilityModule`, ...;
- the common ClinicalTrials.gov piece names listed in `PIECES` (`NCTId`, `BriefTitle`, `OverallStatus`, ...).
"""

from __future__ import annotations

import re
from typing import Any

from trialscout.errors import QueryError

SECTIONS = ("protocolSection", "derivedSection", "resultsSection", "annotationSection", "documentSection",
            "hasResults")
MODULES = {
    "protocolSection": ("identificationModule", "statusModule", "sponsorCollaboratorsModule", "oversightModule",
                        "descriptionModule", "conditionsModule", "designModule", "armsInterventionsModule",
                        "outcomesModule", "eligibilityModule", "contactsLocationsModule", "referencesModule",
                        "ipdSharingStatementModule"),
    "derivedSection": ("miscInfoModule", "conditionBrowseModule", "interventionBrowseModule"),
}
_P = "protocolSection."
PIECES = {
    "NCTId": _P + "identificationModule.nctId",
    "OrgStudyId": _P + "identificationModule.orgStudyIdInfo.id",
    "BriefTitle": _P + "identificationModule.briefTitle",
    "OfficialTitle": _P + "identificationModule.officialTitle",
    "Acronym": _P + "identificationModule.acronym",
    "OverallStatus": _P + "statusModule.overallStatus",
    "StartDate": _P + "statusModule.startDateStruct",
    "PrimaryCompletionDate": _P + "statusModule.primaryCompletionDateStruct",
    "CompletionDate": _P + "statusModule.completionDateStruct",
    "StudyFirstPostDate": _P + "statusModule.studyFirstPostDateStruct",
    "LastUpdatePostDate": _P + "statusModule.lastUpdatePostDateStruct",
    "LeadSponsorName": _P + "sponsorCollaboratorsModule.leadSponsor.name",
    "BriefSummary": _P + "descriptionModule.briefSummary",
    "DetailedDescription": _P + "descriptionModule.detailedDescription",
    "Condition": _P + "conditionsModule.conditions",
    "Keyword": _P + "conditionsModule.keywords",
    "StudyType": _P + "designModule.studyType",
    "Phase": _P + "designModule.phases",
    "EnrollmentCount": _P + "designModule.enrollmentInfo.count",
    "InterventionType": _P + "armsInterventionsModule.interventions.type",
    "InterventionName": _P + "armsInterventionsModule.interventions.name",
    "PrimaryOutcomeMeasure": _P + "outcomesModule.primaryOutcomes.measure",
    "EligibilityCriteria": _P + "eligibilityModule.eligibilityCriteria",
    "HealthyVolunteers": _P + "eligibilityModule.healthyVolunteers",
    "Sex": _P + "eligibilityModule.sex",
    "MinimumAge": _P + "eligibilityModule.minimumAge",
    "MaximumAge": _P + "eligibilityModule.maximumAge",
    "StdAge": _P + "eligibilityModule.stdAges",
    "LocationFacility": _P + "contactsLocationsModule.locations.facility",
    "LocationCity": _P + "contactsLocationsModule.locations.city",
    "LocationCountry": _P + "contactsLocationsModule.locations.country",
    "LocationGeoPoint": _P + "contactsLocationsModule.locations.geoPoint",
    "ConditionMeshTerm": "derivedSection.conditionBrowseModule.meshes.term",
    "InterventionMeshTerm": "derivedSection.interventionBrowseModule.meshes.term",
    "HasResults": "hasResults",
}
_NAMES: dict[str, str] = {k.lower(): v for k, v in PIECES.items()}
_NAMES.update({s.lower(): s for s in SECTIONS})
_NAMES.update({m.lower(): f"{s}.{m}" for s, ms in MODULES.items() for m in ms})
_PATH = re.compile(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*")


def parse_fields(values: list[str] | None) -> list[list[str]] | None:
    """The dotted paths the `fields` values name (None: keep everything); a 400 for a name we do not know."""
    names = [n.strip() for v in values or [] for n in re.split(r"[,|]", v) if n.strip()]
    if not names:
        return None
    paths = []
    for name in names:
        path = _NAMES.get(name.lower()) or (name if "." in name else None)
        if path is None or not _PATH.fullmatch(path) or path.split(".")[0] not in SECTIONS:
            raise QueryError(f"unknown field {name[:80]!r}: use a dotted path such as "
                             "protocolSection.identificationModule, a module name, or a piece name such as "
                             f"{', '.join(list(PIECES)[:6])}", where="fields")
        paths.append(path.split("."))
    return paths


def select(doc: dict[str, Any], paths: list[list[str]] | None) -> dict[str, Any]:
    """`doc` pruned to the given paths (paths absent from this record are simply left out)."""
    if paths is None:
        return doc
    out: dict[str, Any] = {}
    for path in paths:
        picked = _pick(doc, path)
        if picked is not None:
            _merge(out, picked)
    return out


def _pick(value: Any, path: list[str]) -> Any:
    if not path:
        return value
    if isinstance(value, list):
        items = [_pick(v, path) for v in value]  # keep positions, so two paths through one list line up
        return None if all(i is None for i in items) else [{} if i is None else i for i in items]
    if isinstance(value, dict) and path[0] in value:
        inner = _pick(value[path[0]], path[1:])
        return None if inner is None else {path[0]: inner}
    return None


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        old = into.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            _merge(old, value)
        elif isinstance(old, list) and isinstance(value, list) and len(old) == len(value):
            for a, b in zip(old, value, strict=True):
                if isinstance(a, dict) and isinstance(b, dict):
                    _merge(a, b)
        else:
            into[key] = value
