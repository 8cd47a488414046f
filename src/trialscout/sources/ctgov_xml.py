"""Legacy ClinicalTrials.gov `<clinical_study>` XML (public.xsd, as in the TREC corpora) read into v2 Studies.

Text blocks (`<textblock>`) are hard-wrapped and indented in the XML. We remove the common leading
indentation (`textwrap.dedent`), trailing spaces on each line and the blank lines around the block; line
breaks, blank lines between paragraphs and the relative indentation of nested lists are kept, so
eligibility criteria stay verbatim apart from that dedent.
"""

from __future__ import annotations

import re
import textwrap
import zipfile
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from trialscout.errors import RecordError, SourceError
from trialscout.model import enums
from trialscout.model.study import AGE_PATTERN
from trialscout.sources import normalize as nz
from trialscout.sources.base import SourceItem, iter_zip_members, read_bytes, study_item

__all__ = ["iter_items", "looks_like", "parse_record"]

Json = dict[str, Any]
_AGE = re.compile(AGE_PATTERN)


_UNREAD = frozenset({"clinical_results"})
"""Subtrees the mapping never looks inside (only whether they are there): not indexed."""
_NO_NODES: list[_Node] = []


class _Node:
    """An XML element with its child elements indexed by tag, built in one pass over the tree (`_index`), so
    every lookup is a dict hit (ElementPath lookups, and indexing on first use, cost a call per step)."""

    __slots__ = ("_el", "kids")

    def __init__(self, el: etree._Element, kids: dict[str, list[_Node]]) -> None:
        self._el = el
        self.kids = kids

    @property
    def text(self) -> str | None:
        """The element's text. An entity reference left unresolved (`&x;`, no DTD is read) stays as written, and
        the text after it is kept (lxml holds it as the reference's tail)."""
        el = self._el
        if len(el) == 0:
            return el.text
        parts = [el.text or ""]
        for kid in el.iterchildren():
            if kid.tag is etree.Entity:
                parts.append(f"{kid.text or ''}{kid.tail or ''}")
        return "".join(parts)

    def get(self, attribute: str) -> str | None:
        return self._el.get(attribute)

    def findall(self, path: str) -> list[_Node]:
        """The elements at `path` (child tags joined by `/`), in document order; never to be modified."""
        found = self.kids.get(path)
        if found is not None:
            return found
        if "/" not in path:
            return _NO_NODES
        nodes = [self]
        for step in _steps(path):
            nodes = [kid for node in nodes for kid in node.kids.get(step, _NO_NODES)]
        return nodes

    def find(self, path: str) -> _Node | None:
        found = self.kids.get(path)
        if found is not None:
            return found[0]
        if "/" not in path:
            return None
        node, steps = self, _steps(path)
        for i, step in enumerate(steps):  # mostly one element per step: follow it
            found = node.kids.get(step)
            if found is None:
                return None
            if len(found) > 1:
                return _first(node, steps, i)
            node = found[0]
        return node


def _first(node: _Node, steps: tuple[str, ...], i: int) -> _Node | None:
    """The first element at `steps[i:]` below `node`, in document order (what `findall(...)[0]` would be)."""
    last = i + 1 == len(steps)
    for kid in node.kids.get(steps[i], _NO_NODES):
        found = kid if last else _first(kid, steps, i + 1)
        if found is not None:
            return found
    return None


def _index(el: etree._Element) -> _Node:
    """Wrap `el` and every element below it (but inside `_UNREAD`), each with its children by tag."""
    kids: dict[str, list[_Node]] = {}
    for kid in el.iterchildren():
        tag = kid.tag
        if isinstance(tag, str):  # not an entity reference left unresolved
            node = _Node(kid, _NO_KIDS) if len(kid) == 0 or tag in _UNREAD else _index(kid)
            found = kids.get(tag)
            if found is None:
                kids[tag] = [node]
            else:
                found.append(node)
    return _Node(el, kids)


_NO_KIDS: dict[str, list[_Node]] = {}


@lru_cache(maxsize=512)
def _steps(path: str) -> tuple[str, ...]:
    return tuple(path.split("/"))


class _FieldError(Exception):
    """A value in the XML that cannot be mapped; becomes a RecordError naming the field."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")


# --------------------------------------------------------------------------- public face

def looks_like(head: bytes) -> bool:
    """Cheap sniff for format detection: the first bytes of a legacy ClinicalTrials.gov XML record."""
    return b"<clinical_study" in head


def iter_items(path: Path) -> Iterator[SourceItem]:
    """Every record in an XML file, a directory of them (recursively) or a bulk ZIP, one at a time."""
    path = Path(path)
    if path.is_dir():
        yield from _iter_directory(path)
    elif not path.exists():
        raise SourceError("no such file or directory", where=str(path))
    elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        yield from _iter_zip(path)
    else:
        yield parse_record(str(path), read_bytes(path))


def parse_record(where: str, data: bytes) -> SourceItem:
    """One `<clinical_study>` document (bytes) → a SourceItem holding a Study or the reason it failed."""
    try:
        root = _parse_xml(where, data)
    except RecordError as exc:
        return SourceItem(where, error=exc)
    nct_id = _text(root, "id_info/nct_id")
    try:
        study = _study(root)
    except _FieldError as exc:
        label = f"{where} [{nct_id}]" if nct_id else where
        return SourceItem(label, error=RecordError(str(exc), where=label))
    return study_item(where, study)


# --------------------------------------------------------------------------- files, directories, ZIPs

def _parse_xml(where: str, data: bytes) -> _Node:
    if not data.strip():
        raise RecordError("empty file", where=where)
    # No entity resolution, no DTD, no network: a record cannot make us read files or expand entity bombs.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise RecordError(f"malformed XML: {exc}", where=where) from exc
    if root.tag != "clinical_study":
        raise RecordError(f"not a legacy ClinicalTrials.gov record (root element <{root.tag}>, "
                          "expected <clinical_study>)", where=where)
    return _index(root)


def _iter_directory(path: Path) -> Iterator[SourceItem]:
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".xml")
    if not files:
        raise SourceError("directory holds no .xml files", where=str(path))
    for f in files:
        try:
            data = read_bytes(f)
        except SourceError as exc:
            yield SourceItem(str(f), error=RecordError(exc.why, where=str(f)))
            continue
        yield parse_record(str(f), data)


def _iter_zip(path: Path) -> Iterator[SourceItem]:
    def parse(where: str, data: bytes) -> Iterator[SourceItem]:
        yield parse_record(where, data)

    yield from iter_zip_members(path, (".xml",), parse)


# --------------------------------------------------------------------------- value helpers

def _prune(d: Json) -> Json:
    """Drop keys with nothing in them, so absent XML elements stay absent in the v2 JSON."""
    return {k: v for k, v in d.items() if v is not None and v != [] and v != {}}


def _text(el: _Node, path: str) -> str | None:
    value = _raw_text(el, path)
    return value.strip() or None if value is not None else None


def _raw_text(el: _Node, path: str) -> str | None:
    """The text with line ends made `\n`: the 2023 bulk files carry `&#xD;` (CR) on every line."""
    node = el.find(path)
    value = node.text if node is not None else None
    return value.replace("\r\n", "\n").replace("\r", "\n") if value and "\r" in value else value


def _texts(el: _Node, path: str) -> list[str]:
    return [t.strip() for t in (e.text for e in el.findall(path)) if t and t.strip()]


def _block(el: _Node, path: str) -> str | None:
    """A `<textblock>`, dedented (see the module docstring)."""
    value = _raw_text(el, f"{path}/textblock")
    if value is None:
        return None
    lines = [line.rstrip() for line in textwrap.dedent(value.expandtabs(4)).splitlines()]
    return "\n".join(lines).strip("\n") or None


def _enum(cls: type[nz.E], el: _Node, path: str, field: str | None = None) -> nz.E | None:
    return _enum_value(cls, _text(el, path), field or path)


def _enum_value(cls: type[nz.E], value: str | None, field: str) -> nz.E | None:
    if nz.is_none_word(value):
        return None
    member = nz.to_enum(cls, value)
    if member is None:
        raise _FieldError(field, f"unknown {cls.__name__} value {value!r}")
    return member


def _converted(el: _Node, path: str, convert: Callable[[str], Any], what: str) -> Any:
    """Element text through a normaliser: 'nothing here' words give None, unreadable text an error."""
    value = _text(el, path)
    if nz.is_none_word(value):
        return None
    result = convert(value)
    if result is None:
        raise _FieldError(path, f"not {what}: {value!r}")
    return result


def _date(el: _Node, path: str) -> str | None:
    return _converted(el, path, nz.to_date, "a date")


def _date_struct(el: _Node, path: str) -> Json | None:
    date = _date(el, path)
    if date is None:
        return None
    kind = el.find(path).get("type")
    return _prune({"date": date, "type": _enum_value(enums.DateType, kind, f"{path}/@type")})


def _bool(el: _Node, path: str) -> bool | None:
    return _converted(el, path, nz.to_bool, "yes/no")


def _age(el: _Node, path: str) -> str | None:
    # Keep a spelling that is already the API's ("1 Year"); normalise the rest.
    return _converted(el, path, lambda t: t if _AGE.fullmatch(t) else nz.to_age(t), "an age")


def _int(el: _Node, path: str) -> int | None:
    value = _text(el, path)
    if value is None:
        return None
    if not re.fullmatch(r"\d+", value):
        raise _FieldError(path, f"not a whole number: {value!r}")
    return int(value)


# --------------------------------------------------------------------------- the record

def _study(root: _Node) -> Json:
    protocol = _prune({
        "identificationModule": _identification(root),
        "statusModule": _status(root),
        "sponsorCollaboratorsModule": _sponsors(root),
        "oversightModule": _oversight(root),
        "descriptionModule": _prune({"briefSummary": _block(root, "brief_summary"),
                                     "detailedDescription": _block(root, "detailed_description")}),
        "conditionsModule": _prune({"conditions": _texts(root, "condition"),
                                    "keywords": _texts(root, "keyword")}),
        "designModule": _design(root),
        "armsInterventionsModule": _arms_interventions(root),
        "outcomesModule": _prune({key: _outcomes(root, tag) for tag, key in _OUTCOMES}),
        "eligibilityModule": _eligibility(root),
        "contactsLocationsModule": _contacts_locations(root),
        "referencesModule": _references(root),
        "ipdSharingStatementModule": _ipd_sharing(root),
    })
    derived = _prune({
        "conditionBrowseModule": _meshes(root, "condition_browse"),
        "interventionBrowseModule": _meshes(root, "intervention_browse"),
        "miscInfoModule": _prune({"removedCountries": _texts(root, "removed_countries/country")}),
    })
    legacy = _prune({
        "locationCountries": _texts(root, "location_countries/country"),
        "numberOfArms": _int(root, "number_of_arms"),
        "numberOfGroups": _int(root, "number_of_groups"),
        "downloadDate": nz.to_date((_text(root, "required_header/download_date") or "").rpartition("on ")[2]),
    })
    return _prune({"protocolSection": protocol, "derivedSection": derived,
                   "hasResults": root.find("clinical_results") is not None, "x_legacy": legacy})


def _meshes(root: _Node, tag: str) -> Json:
    return _prune({"meshes": [{"term": t} for t in _texts(root, f"{tag}/mesh_term")]})


def _identification(root: _Node) -> Json:
    return _prune({
        "nctId": _text(root, "id_info/nct_id"),
        "nctIdAliases": _texts(root, "id_info/nct_alias"),
        "orgStudyIdInfo": _prune({"id": _text(root, "id_info/org_study_id")}),
        "secondaryIdInfos": [{"id": s} for s in _texts(root, "id_info/secondary_id")],
        "briefTitle": _text(root, "brief_title"),
        "officialTitle": _text(root, "official_title"),
        "acronym": _text(root, "acronym"),
        "organization": _prune({"fullName": _text(root, "source")}),
    })


_DATES = (  # XML element, v2 key, whether v2 wraps it in a DateStruct
    ("verification_date", "statusVerifiedDate", False),
    ("start_date", "startDateStruct", True),
    ("primary_completion_date", "primaryCompletionDateStruct", True),
    ("completion_date", "completionDateStruct", True),
    ("study_first_submitted", "studyFirstSubmitDate", False),
    ("study_first_submitted_qc", "studyFirstSubmitQcDate", False),
    ("study_first_posted", "studyFirstPostDateStruct", True),
    ("results_first_submitted", "resultsFirstSubmitDate", False),
    ("results_first_submitted_qc", "resultsFirstSubmitQcDate", False),
    ("results_first_posted", "resultsFirstPostDateStruct", True),
    ("disposition_first_submitted", "dispFirstSubmitDate", False),
    ("disposition_first_submitted_qc", "dispFirstSubmitQcDate", False),
    ("disposition_first_posted", "dispFirstPostDateStruct", True),
    ("last_update_submitted", "lastUpdateSubmitDate", False),
    ("last_update_posted", "lastUpdatePostDateStruct", True),
)
_OLD_DATE_NAMES = {"study_first_submitted": "firstreceived_date", "last_update_submitted": "lastchanged_date"}


def _status(root: _Node) -> Json:
    module: Json = {
        "overallStatus": _enum(enums.Status, root, "overall_status"),
        "lastKnownStatus": _enum(enums.Status, root, "last_known_status"),
        "whyStopped": _text(root, "why_stopped"),
        "expandedAccessInfo": _prune({"hasExpandedAccess": _bool(root, "has_expanded_access")}),
    }
    for tag, key, is_struct in _DATES:
        if root.find(tag) is None and tag in _OLD_DATE_NAMES:
            tag = _OLD_DATE_NAMES[tag]  # records downloaded before the 2017 renaming
        module[key] = _date_struct(root, tag) if is_struct else _date(root, tag)
    return _prune(module)


def _sponsor(el: _Node) -> Json:
    agency_class = _enum(enums.AgencyClass, el, "agency_class", "sponsors/*/agency_class")
    return _prune({"name": _text(el, "agency"), "class": agency_class})


def _sponsors(root: _Node) -> Json:
    lead = root.find("sponsors/lead_sponsor")
    rp = root.find("responsible_party")
    party = None if rp is None else _prune({
        "type": _enum(enums.ResponsiblePartyType, root, "responsible_party/responsible_party_type"),
        "investigatorFullName": _text(rp, "investigator_full_name"),
        "investigatorTitle": _text(rp, "investigator_title"),
        "investigatorAffiliation": _text(rp, "investigator_affiliation"),
        "oldNameTitle": _text(rp, "name_title"),  # the pre-2017 form, spelled as v2 keeps it
        "oldOrganization": _text(rp, "organization"),
    })
    return _prune({
        "responsibleParty": party,
        "leadSponsor": None if lead is None else _sponsor(lead),
        "collaborators": [_sponsor(c) for c in root.findall("sponsors/collaborator")],
    })


_OVERSIGHT = (("has_dmc", "oversightHasDmc"), ("is_fda_regulated_drug", "isFdaRegulatedDrug"),
              ("is_fda_regulated_device", "isFdaRegulatedDevice"),
              ("is_unapproved_device", "isUnapprovedDevice"), ("is_ppsd", "isPpsd"),
              ("is_us_export", "isUsExport"))


def _oversight(root: _Node) -> Json:
    return _prune({key: _bool(root, f"oversight_info/{tag}") for tag, key in _OVERSIGHT})


def _design(root: _Node) -> Json:
    study_type = _text(root, "study_type")
    phase_text = _text(root, "phase")
    phases = nz.to_phases(phase_text)
    if phase_text and not phases:
        raise _FieldError("phase", f"unknown Phase value {phase_text!r}")
    enrollment = root.find("enrollment")
    retention = _text(root, "biospec_retention")
    return _prune({
        "studyType": _enum(enums.StudyType, root, "study_type"),
        "patientRegistry": True if study_type and "patient registry" in study_type.lower() else None,
        "targetDuration": _age(root, "target_duration"),
        "phases": phases,
        "designInfo": _design_info(root),
        "enrollmentInfo": None if enrollment is None else _prune({
            "count": _int(root, "enrollment"),
            "type": _enum_value(enums.DateType, enrollment.get("type"), "enrollment/@type")}),
        "bioSpec": _prune({"retention": retention and re.sub(r"\W+", "_", retention.upper()),
                           "description": _block(root, "biospec_descr")}),
        "expandedAccessTypes": _prune({
            kind: _bool(root, f"expanded_access_info/expanded_access_type_{kind}")
            for kind in ("individual", "intermediate", "treatment")}),
    })


def _design_info(root: _Node) -> Json:
    d = "study_design_info"
    return _prune({
        "allocation": _enum(enums.Allocation, root, f"{d}/allocation"),
        "interventionModel": _enum(enums.InterventionModel, root, f"{d}/intervention_model"),
        "interventionModelDescription": _text(root, f"{d}/intervention_model_description"),
        "primaryPurpose": _enum(enums.PrimaryPurpose, root, f"{d}/primary_purpose"),
        "observationalModel": _enum(enums.ObservationalModel, root, f"{d}/observational_model"),
        "timePerspective": _enum(enums.TimePerspective, root, f"{d}/time_perspective"),
        "maskingInfo": _masking(root),
    })


def _masking(root: _Node) -> Json:
    """`Double (Participant, Investigator)` → masking DOUBLE, whoMasked [PARTICIPANT, INVESTIGATOR]."""
    field = "study_design_info/masking"
    text = _text(root, field)
    masking, who = None, []
    if text:
        m = re.fullmatch(r"(Single|Double|Triple|Quadruple)\s*\((.*)\)", text, flags=re.IGNORECASE)
        masking = _enum_value(enums.Masking, m.group(1) if m else text, field)
        who = [_enum_value(enums.WhoMasked, w, field) for w in m.group(2).split(",")] if m else []
    return _prune({"masking": masking, "maskingDescription": _text(root, f"{field}_description"),
                   "whoMasked": [w for w in who if w]})


def _arms_interventions(root: _Node) -> Json:
    arms = [_prune({
        "label": _text(a, "arm_group_label"),
        "type": _enum(enums.ArmGroupType, a, "arm_group_type", "arm_group/arm_group_type"),
        "description": _text(a, "description"),
    }) for a in root.findall("arm_group")]
    interventions = [_prune({
        "type": _enum(enums.InterventionType, i, "intervention_type", "intervention/intervention_type"),
        "name": _text(i, "intervention_name"),
        "description": _text(i, "description"),
        "armGroupLabels": _texts(i, "arm_group_label"),
        "otherNames": _texts(i, "other_name"),
    }) for i in root.findall("intervention")]
    _link_interventions(arms, [(_text(i, "intervention_type"), i) for i in root.findall("intervention")])
    return _prune({"armGroups": arms, "interventions": interventions})


def _link_interventions(arms: list[Json], interventions: list[tuple[str | None, _Node]]) -> None:
    """Derive armGroups[].interventionNames as v2 does: `"Drug: Cisplatin"`, in intervention order."""
    by_label = {arm.get("label"): arm for arm in arms}
    for type_text, el in interventions:
        name = _text(el, "intervention_name")
        shown = f"{type_text}: {name}" if type_text else name
        for label in _texts(el, "arm_group_label"):
            arm = by_label.get(label)
            if arm is not None and name and shown not in arm.setdefault("interventionNames", []):
                arm["interventionNames"].append(shown)


_OUTCOMES = (("primary_outcome", "primaryOutcomes"), ("secondary_outcome", "secondaryOutcomes"),
             ("other_outcome", "otherOutcomes"))


def _outcomes(root: _Node, tag: str) -> list[Json]:
    return [_prune({"measure": _text(o, "measure"), "description": _text(o, "description"),
                    "timeFrame": _text(o, "time_frame")}) for o in root.findall(tag)]


def _eligibility(root: _Node) -> Json:
    return _prune({
        "eligibilityCriteria": _block(root, "eligibility/criteria"),
        "healthyVolunteers": _bool(root, "eligibility/healthy_volunteers"),
        "sex": _enum(enums.Sex, root, "eligibility/gender"),
        "genderBased": _bool(root, "eligibility/gender_based"),
        "genderDescription": _text(root, "eligibility/gender_description"),
        "minimumAge": _age(root, "eligibility/minimum_age"),
        "maximumAge": _age(root, "eligibility/maximum_age"),
        "studyPopulation": _block(root, "eligibility/study_pop"),
        "samplingMethod": _enum(enums.SamplingMethod, root, "eligibility/sampling_method"),
    })


def _person(el: _Node) -> str | None:
    name = " ".join(filter(None, (_text(el, "first_name"), _text(el, "middle_name"), _text(el, "last_name"))))
    degrees = _text(el, "degrees")
    return f"{name}, {degrees}" if name and degrees else name or None


def _contact(el: _Node) -> Json:
    return _prune({"name": _person(el), "role": enums.ContactRole.CONTACT, "phone": _text(el, "phone"),
                   "phoneExt": _text(el, "phone_ext"), "email": _text(el, "email")})


def _official(el: _Node) -> Json:
    return _prune({"name": _person(el), "affiliation": _text(el, "affiliation"),
                   "role": _enum(enums.OfficialRole, el, "role", "overall_official/role")})


def _location(el: _Node) -> Json:
    # v2 lists a site's investigators among its contacts, with their role instead of CONTACT.
    investigators = [_prune({"name": _person(i),
                             "role": _enum(enums.ContactRole, i, "role", "location/investigator/role")})
                     for i in el.findall("investigator")]
    return _prune({
        "facility": _text(el, "facility/name"),
        "status": _enum(enums.Status, el, "status", "location/status"),
        "city": _text(el, "facility/address/city"),
        "state": _text(el, "facility/address/state"),
        "zip": _text(el, "facility/address/zip"),
        "country": _text(el, "facility/address/country"),
        "contacts": [_contact(c) for c in el.findall("contact")]
        + [_contact(c) for c in el.findall("contact_backup")] + investigators,
    })


def _contacts_locations(root: _Node) -> Json:
    return _prune({
        "centralContacts": [_contact(c) for c in root.findall("overall_contact")]
        + [_contact(c) for c in root.findall("overall_contact_backup")],
        "overallOfficials": [_official(o) for o in root.findall("overall_official")],
        "locations": [_location(loc) for loc in root.findall("location")],
    })


def _references(root: _Node) -> Json:
    refs = [(r, enums.ReferenceType.BACKGROUND) for r in root.findall("reference")]
    refs += [(r, enums.ReferenceType.RESULT) for r in root.findall("results_reference")]
    return _prune({
        "references": [_prune({"pmid": _text(r, "PMID"), "type": kind, "citation": _text(r, "citation")})
                       for r, kind in refs],
        "seeAlsoLinks": [_prune({"label": _text(link, "description"), "url": _text(link, "url")})
                         for link in root.findall("link")],
        "availIpds": [_prune({"id": _text(d, "doc_id"), "type": _text(d, "doc_type"),
                              "url": _text(d, "doc_url"), "comment": _text(d, "doc_comment")})
                      for d in root.findall("study_docs/study_doc")],
    })


def _ipd_sharing(root: _Node) -> Json:
    """`<patient_data>` → v2 ipdSharingStatementModule (`Statistical Analysis Plan (SAP)` → `SAP`)."""
    pd = root.find("patient_data")
    if pd is None:
        return {}
    sharing = _text(pd, "sharing_ipd")
    info_types = [m.group(1) if (m := re.search(r"\((\w+)\)$", t)) else re.sub(r"\W+", "_", t.upper())
                  for t in _texts(pd, "ipd_info_type")]
    return _prune({
        "ipdSharing": sharing.upper() if sharing else None,
        "description": _text(pd, "ipd_description"),
        "infoTypes": info_types,
        "timeFrame": _text(pd, "ipd_time_frame"),
        "accessCriteria": _text(pd, "ipd_access_criteria"),
        "url": _text(pd, "ipd_url"),
    })
