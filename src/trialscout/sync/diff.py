"""What changed between the stored and the incoming version of a study, field by field: status, sites, criteria,
key dates, contacts and the like by name, and any other module as changed as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_PS = "protocolSection"
FIELDS: dict[str, tuple[str, ...]] = {
    "overallStatus": (_PS, "statusModule", "overallStatus"),
    "whyStopped": (_PS, "statusModule", "whyStopped"),
    "lastUpdatePostDate": (_PS, "statusModule", "lastUpdatePostDateStruct", "date"),
    "statusVerifiedDate": (_PS, "statusModule", "statusVerifiedDate"),
    "startDate": (_PS, "statusModule", "startDateStruct", "date"),
    "primaryCompletionDate": (_PS, "statusModule", "primaryCompletionDateStruct", "date"),
    "completionDate": (_PS, "statusModule", "completionDateStruct", "date"),
    "briefTitle": (_PS, "identificationModule", "briefTitle"),
    "officialTitle": (_PS, "identificationModule", "officialTitle"),
    "phases": (_PS, "designModule", "phases"),
    "enrollment": (_PS, "designModule", "enrollmentInfo", "count"),
    "conditions": (_PS, "conditionsModule", "conditions"),
    "eligibilityCriteria": (_PS, "eligibilityModule", "eligibilityCriteria"),
    "minimumAge": (_PS, "eligibilityModule", "minimumAge"),
    "maximumAge": (_PS, "eligibilityModule", "maximumAge"),
    "sex": (_PS, "eligibilityModule", "sex"),
    "healthyVolunteers": (_PS, "eligibilityModule", "healthyVolunteers"),
    "centralContacts": (_PS, "contactsLocationsModule", "centralContacts"),
    "overallOfficials": (_PS, "contactsLocationsModule", "overallOfficials"),
}
"""The fields reported by name, and where each lives in a v2 record. Sites are reported one by one (`locations`)."""

_LOCATIONS = (_PS, "contactsLocationsModule", "locations")
_SITE_KEY = ("facility", "city", "state", "zip", "country")


@dataclass(frozen=True)
class Change:
    """One difference: `field` names it; `old` and `new` are JSON values (None: absent)."""

    field: str
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


def diff_studies(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The field-level differences between two v2 records of one study, named fields first, then sites, then
    every other module that changed (as `protocolSection.armsInterventionsModule`, old and new left out: a whole
    module, such as results, can be megabytes)."""
    changes = [Change(name, _at(old, path), _at(new, path)) for name, path in FIELDS.items()
               if _at(old, path) != _at(new, path)]
    changes += _site_changes(_at(old, _LOCATIONS) or [], _at(new, _LOCATIONS) or [])
    changes += _other_modules(old, new)
    return changes


def _at(doc: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def site_label(site: dict[str, Any]) -> str:
    """How a site is named in the change log: its facility and place, as the record spells them."""
    return ", ".join(str(site[k]) for k in _SITE_KEY if site.get(k)) or "(unnamed site)"


def _site_changes(old: list[Any], new: list[Any]) -> list[Change]:
    """Sites added, removed, and whose recruitment status (or other details) changed, matched by facility and
    place. Two sites with the same name and place are matched in order."""
    before, after = _by_label(old), _by_label(new)
    changes: list[Change] = []
    for label in sorted(before.keys() | after.keys()):
        was, now = before.get(label, []), after.get(label, [])
        for a, b in zip(was, now, strict=False):
            if a.get("status") != b.get("status"):
                changes.append(Change(f"locations[{label}].status", a.get("status"), b.get("status")))
            elif a != b:
                changes.append(Change(f"locations[{label}]", a, b))
        changes += [Change(f"locations[{label}]", site, None) for site in was[len(now):]]
        changes += [Change(f"locations[{label}]", None, site) for site in now[len(was):]]
    return changes


def _by_label(sites: list[Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for site in sites:
        if isinstance(site, dict):
            out.setdefault(site_label(site), []).append(site)
    return out


def _other_modules(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Modules that differ beyond the named fields: each one named once, as changed."""
    named_only = {path[:2] for path in FIELDS.values()} | {_LOCATIONS[:2]}
    changes = []
    for section in sorted(set(old) | set(new)):
        a, b = old.get(section), new.get(section)
        if a == b:
            continue
        if not isinstance(a, dict) or not isinstance(b, dict):
            changes.append(Change(section, None, None))
            continue
        for module in sorted(set(a) | set(b)):
            if a.get(module) == b.get(module):
                continue
            if (section, module) in named_only and _only_named_differ(section, module, a.get(module),
                                                                     b.get(module)):
                continue
            changes.append(Change(f"{section}.{module}", None, None))
    return changes


def _only_named_differ(section: str, module: str, a: Any, b: Any) -> bool:
    """Whether the two versions of a module differ only in fields already reported by name."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    named = {path[2] for path in [*FIELDS.values(), _LOCATIONS] if path[:2] == (section, module)}
    return all(a.get(k) == b.get(k) for k in (set(a) | set(b)) - named)
