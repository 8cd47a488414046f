"""A stored record laid out for reading: every module of the v2 document as sections of rows, texts and tables.

Modules we know get a considered layout (descriptions as text, arms, outcomes and sites as tables); anything
else in the record, including fields we have never seen, is still shown by the generic layout, so nothing in a
record is hidden from the reader. Values stay plain text here; the templates escape them.
"""

from __future__ import annotations

from typing import Any

from trialscout.web.labels import enum_words, field_name, module_order, module_title

TEXT_FIELDS = {"briefSummary", "detailedDescription", "description", "ipdSharingStatement", "whyStopped",
               "citation", "eligibilityCriteria"}
TABLES = {  # list field → columns to show first (the rest of each item follows)
    "armGroups": ["label", "type", "description", "interventionNames"],
    "interventions": ["type", "name", "description", "otherNames", "armGroupLabels"],
    "primaryOutcomes": ["measure", "timeFrame", "description"],
    "secondaryOutcomes": ["measure", "timeFrame", "description"],
    "otherOutcomes": ["measure", "timeFrame", "description"],
    "locations": ["facility", "city", "state", "zip", "country", "status"],
    "overallOfficials": ["name", "affiliation", "role"],
    "centralContacts": ["name", "role", "phone", "email"],
    "references": ["type", "citation", "pmid"],
    "seeAlsoLinks": ["label", "url"],
    "collaborators": ["name", "class"],
    "secondaryIdInfos": ["id", "type", "domain"],
    "meshes": ["term", "id"],
    "ancestors": ["term", "id"],
}
SKIPPED = {"eligibilityCriteria"}  # shown structured by the criteria view
SKIPPED_COLUMNS = {"geoPoint", "contacts"}


def sections(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One section per module of protocolSection, derivedSection and any other top-level part."""
    out: list[dict[str, Any]] = []
    for part in ("protocolSection", "derivedSection", "resultsSection", "annotationSection", "documentSection"):
        for key, module in (doc.get(part) or {}).items():
            if isinstance(module, dict):
                out.append(_section(key, module))
    rank = {key: i for i, key in enumerate(module_order())}
    out.sort(key=lambda s: rank.get(s["id"], len(rank)))  # stable: unknown modules keep the record's order
    return [s for s in out if s["rows"] or s["texts"] or s["tables"]]


def _section(key: str, module: dict[str, Any]) -> dict[str, Any]:
    section: dict[str, Any] = {"id": key, "title": module_title(key), "rows": [], "texts": [], "tables": []}
    _fill(section, module, prefix="")
    return section


def _fill(section: dict[str, Any], value: dict[str, Any], prefix: str) -> None:
    for key, item in value.items():
        label = f"{prefix}{field_name(key)}"
        if key in SKIPPED or item in (None, "", [], {}):
            continue
        if key in TEXT_FIELDS and isinstance(item, str):
            section["texts"].append({"label": label, "text": item})
        elif _is_date_struct(item):
            section["rows"].append({"label": label, "value": _date(item)})
        elif isinstance(item, dict):
            _fill(section, item, prefix=f"{label} › ")
        elif isinstance(item, list) and item and all(isinstance(x, dict) for x in item):
            section["tables"].append(_table(key, label, item))
        elif isinstance(item, list):
            section["rows"].append({"label": label, "value": "; ".join(enum_words(str(x)) for x in item)})
        else:
            section["rows"].append({"label": label, "value": _scalar(item)})


def _table(key: str, label: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    first = [c for c in TABLES.get(key, []) if any(c in i for i in items)]
    rest = [c for i in items for c in i if c not in first and c not in SKIPPED_COLUMNS]
    columns = list(dict.fromkeys([*first, *rest]))
    rows = [[_cell(i.get(c)) for c in columns] for i in items]
    return {"label": label, "columns": [field_name(c) for c in columns], "rows": rows, "key": key}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if _is_date_struct(value):
        return _date(value)
    if isinstance(value, list):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{field_name(k)}: {_cell(v)}" for k, v in value.items() if v not in (None, "", []))
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return enum_words(str(value)) if isinstance(value, str) else str(value)


def _is_date_struct(value: Any) -> bool:
    return isinstance(value, dict) and "date" in value and set(value) <= {"date", "type"}


def _date(value: dict[str, Any]) -> str:
    kind = value.get("type")
    return f"{value.get('date', '')} ({kind.lower()})" if kind else str(value.get("date", ""))


def site_count(doc: dict[str, Any]) -> int:
    return len(((doc.get("protocolSection") or {}).get("contactsLocationsModule") or {}).get("locations") or [])
