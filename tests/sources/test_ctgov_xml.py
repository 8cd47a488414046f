"""Legacy ClinicalTrials.gov XML: real records map field by field; bad input gives errors naming file and reason."""

from __future__ import annotations

import re
import shutil
import time
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from trialscout.errors import SourceError
from trialscout.model import Study
from trialscout.sources import ctgov_xml

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "xml"
SAMPLE_ZIP = REPO.parent / "shared" / "data" / "ctgov-xml" / "AllPublicXML-sample.zip"
FIXTURE_FILES = sorted(FIXTURES.glob("*.xml"))


def _study(path: Path) -> Study:
    item = ctgov_xml.parse_record(str(path), path.read_bytes())
    assert item.ok, item.error
    return item.study


# --------------------------------------------------------------------------- an independent reading of the XML
# Expected values are computed here from the XML with the stdlib parser and spellings written out by hand,
# not with the reader's own normalisers, so a wrong mapping cannot agree with itself.

_SPELLING = {"UNKNOWN_STATUS": "UNKNOWN", "ANTICIPATED": "ESTIMATED", "ESTIMATE": "ESTIMATED", "U_S_FED": "FED",
             "NONE_OPEN_LABEL": "NONE", "EDUCATIONAL_COUNSELING_TRAINING": "ECT",
             "OBSERVATIONAL_PATIENT_REGISTRY": "OBSERVATIONAL", "SUPPORTIVE": "SUPPORTIVE_CARE"}
_PHASES = {"Early Phase 1": "EARLY_PHASE1", "Phase 1": "PHASE1", "Phase 2": "PHASE2", "Phase 3": "PHASE3",
           "Phase 4": "PHASE4", "N/A": "NA"}


def _t(el: ET.Element | None, path: str) -> str | None:
    if el is None:
        return None
    value = el.findtext(path)
    if value is None:
        return None
    return value.replace("\r\n", "\n").replace("\r", "\n").strip() or None  # v2 text has no CRs


def _ts(el: ET.Element, path: str) -> list[str]:
    return [e.text.strip() for e in el.findall(path) if e.text and e.text.strip()]


def _api(text: str | None) -> str | None:
    """`'Active, not recruiting'` → `'ACTIVE_NOT_RECRUITING'`, `'Single Group Assignment'` → `'SINGLE_GROUP'`."""
    if text is None or text == "N/A":
        return None
    key = re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")
    key = re.sub(r"_ASSIGNMENT$", "", key)
    return _SPELLING.get(key, key)


def _day(text: str | None) -> str | None:
    if text is None:
        return None
    for fmt, out in (("%B %d, %Y", "%Y-%m-%d"), ("%B %Y", "%Y-%m")):
        try:
            return datetime.strptime(text, fmt).strftime(out)
        except ValueError:
            pass
    raise AssertionError(f"test cannot read date {text!r}")


def _date_struct(root: ET.Element, tag: str) -> dict | None:
    el = root.find(tag)
    if el is None:
        return None
    struct = {"date": _day(_t(root, tag))}
    if el.get("type"):
        struct["type"] = _api(el.get("type"))
    return struct


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


def _dump(study: Study) -> dict:
    return study.to_v2()


def _check_identity_and_status(root: ET.Element, v2: dict) -> None:
    ps = v2["protocolSection"]
    ident, status = ps["identificationModule"], ps.get("statusModule", {})
    assert ident["nctId"] == _t(root, "id_info/nct_id")
    assert ident.get("briefTitle") == _t(root, "brief_title")
    assert ident.get("officialTitle") == _t(root, "official_title")
    assert ident.get("acronym") == _t(root, "acronym")
    assert ident.get("orgStudyIdInfo", {}).get("id") == _t(root, "id_info/org_study_id")
    assert [s["id"] for s in ident.get("secondaryIdInfos", [])] == _ts(root, "id_info/secondary_id")
    assert ident.get("organization", {}).get("fullName") == _t(root, "source")
    assert status.get("overallStatus") == _api(_t(root, "overall_status"))
    assert status.get("lastKnownStatus") == _api(_t(root, "last_known_status"))
    assert status.get("whyStopped") == _t(root, "why_stopped")
    for tag, key in (("start_date", "startDateStruct"), ("completion_date", "completionDateStruct"),
                     ("primary_completion_date", "primaryCompletionDateStruct"),
                     ("study_first_posted", "studyFirstPostDateStruct"),
                     ("last_update_posted", "lastUpdatePostDateStruct")):
        assert status.get(key) == _date_struct(root, tag), tag
    assert status.get("statusVerifiedDate") == _day(_t(root, "verification_date"))
    assert status.get("studyFirstSubmitDate") == _day(_t(root, "study_first_submitted"))
    assert status.get("lastUpdateSubmitDate") == _day(_t(root, "last_update_submitted"))
    assert v2["hasResults"] is (root.find("clinical_results") is not None)


def _check_sponsors_and_design(root: ET.Element, v2: dict) -> None:
    ps = v2["protocolSection"]
    sc = ps.get("sponsorCollaboratorsModule", {})
    assert (sc["leadSponsor"]["name"], sc["leadSponsor"].get("class")) == (
        _t(root, "sponsors/lead_sponsor/agency"), _api(_t(root, "sponsors/lead_sponsor/agency_class")))
    assert [(c["name"], c.get("class")) for c in sc.get("collaborators", [])] == [
        (_t(c, "agency"), _api(_t(c, "agency_class"))) for c in root.findall("sponsors/collaborator")]
    has_dmc = _t(root, "oversight_info/has_dmc")
    assert ps.get("oversightModule", {}).get("oversightHasDmc") == (None if has_dmc is None else has_dmc == "Yes")
    design = ps.get("designModule", {})
    assert design.get("studyType") == _api(_t(root, "study_type"))
    phase = _t(root, "phase")
    expected_phases = [_PHASES[p] for p in phase.split("/")] if phase and phase != "N/A" else ["NA"]
    assert design.get("phases") == (expected_phases if phase else None)
    info = design.get("designInfo", {})
    for tag, key in (("allocation", "allocation"), ("intervention_model", "interventionModel"),
                     ("primary_purpose", "primaryPurpose"), ("observational_model", "observationalModel"),
                     ("time_perspective", "timePerspective")):
        assert info.get(key) == _api(_t(root, f"study_design_info/{tag}")), tag
    masking = _t(root, "study_design_info/masking")
    if masking:
        level, _, who = masking.partition(" (")
        if level == "None":
            level, who = "NONE", ""  # "None (Open Label)"
        assert info["maskingInfo"]["masking"] == _api(level)
        expected_who = [_api(w) for w in who.rstrip(")").split(", ")] if who else None
        assert info["maskingInfo"].get("whoMasked") == expected_who
    else:
        assert "maskingInfo" not in info
    enrollment = root.find("enrollment")
    if enrollment is not None:
        assert design["enrollmentInfo"]["count"] == int(enrollment.text)
        assert design["enrollmentInfo"].get("type") == _api(enrollment.get("type"))


def _check_arms_and_outcomes(root: ET.Element, v2: dict) -> None:
    ps = v2["protocolSection"]
    assert ps.get("conditionsModule", {}).get("conditions", []) == _ts(root, "condition")
    assert ps.get("conditionsModule", {}).get("keywords", []) == _ts(root, "keyword")
    ai = ps.get("armsInterventionsModule", {})
    arms = ai.get("armGroups", [])
    assert [(a["label"], a.get("type"), a.get("description")) for a in arms] == [
        (_t(a, "arm_group_label"), _api(_t(a, "arm_group_type")), _t(a, "description"))
        for a in root.findall("arm_group")]
    interventions = root.findall("intervention")
    assert [(i.get("type"), i["name"], i.get("description"), i.get("armGroupLabels", []), i.get("otherNames", []))
            for i in ai.get("interventions", [])] == [
        (_api(_t(i, "intervention_type")), _t(i, "intervention_name"), _t(i, "description"),
         _ts(i, "arm_group_label"), _ts(i, "other_name")) for i in interventions]
    for arm in arms:
        expected = [f"{_t(i, 'intervention_type')}: {_t(i, 'intervention_name')}" for i in interventions
                    if arm["label"] in _ts(i, "arm_group_label")]
        assert arm.get("interventionNames", []) == list(dict.fromkeys(expected))
    outcomes = ps.get("outcomesModule", {})
    for tag, key in (("primary_outcome", "primaryOutcomes"), ("secondary_outcome", "secondaryOutcomes"),
                     ("other_outcome", "otherOutcomes")):
        assert [(o["measure"], o.get("timeFrame"), o.get("description")) for o in outcomes.get(key, [])] == [
            (_t(o, "measure"), _t(o, "time_frame"), _t(o, "description")) for o in root.findall(tag)], tag


def _check_eligibility(root: ET.Element, v2: dict) -> None:
    em = v2["protocolSection"].get("eligibilityModule", {})
    el = root.find("eligibility")
    raw = el.findtext("criteria/textblock") if el is not None else None
    criteria = em.get("eligibilityCriteria")
    assert _words(criteria) == _words(raw)
    if criteria:
        lines = [line for line in criteria.splitlines() if line.strip()]
        assert min(len(line) - len(line.lstrip()) for line in lines) == 0  # the XML's indentation is gone
        assert len(lines) == len([line for line in raw.splitlines() if line.strip()])  # lines kept
    assert em.get("sex") == _api(_t(el, "gender"))
    for tag, key in (("minimum_age", "minimumAge"), ("maximum_age", "maximumAge")):
        assert em.get(key) == (None if _t(el, tag) in (None, "N/A") else _t(el, tag)), tag
    hv = _t(el, "healthy_volunteers")
    assert em.get("healthyVolunteers") == (None if hv is None else hv == "Accepts Healthy Volunteers")
    assert _words(em.get("studyPopulation")) == _words(el.findtext("study_pop/textblock") if el else None)
    assert em.get("samplingMethod") == _api(_t(el, "sampling_method"))


def _check_people_places_refs(root: ET.Element, v2: dict) -> None:
    ps = v2["protocolSection"]
    cl = ps.get("contactsLocationsModule", {})
    assert [(o.get("name"), o.get("role"), o.get("affiliation")) for o in cl.get("overallOfficials", [])] == [
        (_t(o, "last_name"), _api(_t(o, "role")), _t(o, "affiliation")) for o in root.findall("overall_official")]
    assert [c.get("email") for c in cl.get("centralContacts", [])] == [
        _t(c, "email") for c in root.findall("overall_contact") + root.findall("overall_contact_backup")]
    locations = root.findall("location")
    assert [(loc.get("facility"), loc.get("city"), loc.get("state"), loc.get("zip"), loc.get("country"),
             loc.get("status"), len(loc.get("contacts", []))) for loc in cl.get("locations", [])] == [
        (_t(loc, "facility/name"), _t(loc, "facility/address/city"), _t(loc, "facility/address/state"),
         _t(loc, "facility/address/zip"), _t(loc, "facility/address/country"), _api(_t(loc, "status")),
         len(loc.findall("contact") + loc.findall("contact_backup") + loc.findall("investigator")))
        for loc in locations]
    refs = ps.get("referencesModule", {})
    assert [(r.get("pmid"), r["type"], r.get("citation")) for r in refs.get("references", [])] == [
        (_t(r, "PMID"), "BACKGROUND", _t(r, "citation")) for r in root.findall("reference")] + [
        (_t(r, "PMID"), "RESULT", _t(r, "citation")) for r in root.findall("results_reference")]
    assert [(link.get("url"), link.get("label")) for link in refs.get("seeAlsoLinks", [])] == [
        (_t(link, "url"), _t(link, "description")) for link in root.findall("link")]
    derived = v2.get("derivedSection", {})
    for tag, key in (("condition_browse", "conditionBrowseModule"),
                     ("intervention_browse", "interventionBrowseModule")):
        assert [m["term"] for m in derived.get(key, {}).get("meshes", [])] == _ts(root, f"{tag}/mesh_term")


def check_record(data: bytes, study: Study) -> None:
    root = ET.fromstring(data)
    v2 = _dump(study)
    _check_identity_and_status(root, v2)
    _check_sponsors_and_design(root, v2)
    _check_arms_and_outcomes(root, v2)
    _check_eligibility(root, v2)
    _check_people_places_refs(root, v2)
    assert Study.from_v2(v2).to_v2() == v2  # what we produce is itself lossless


# --------------------------------------------------------------------------- real records, field by field

def test_fixtures_cover_what_they_should() -> None:
    assert len(FIXTURE_FILES) >= 15
    texts = [f.read_text("utf-8") for f in FIXTURE_FILES]
    for needle in ("<phase>Phase 1/Phase 2</phase>", "<phase>Phase 2/Phase 3</phase>", "<phase>N/A</phase>",
                   "<study_type>Observational</study_type>", "<study_type>Interventional</study_type>",
                   "Months</maximum_age>", "<masking>Double (", "<masking>None (Open Label)</masking>",
                   "<location>", "<arm_group>", "<secondary_outcome>", "<last_known_status>", "<clinical_results>"):
        assert any(needle in t for t in texts), needle
    assert any("<location>" not in t for t in texts)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_record_maps_field_by_field(path: Path) -> None:
    data = path.read_bytes()
    check_record(data, _study(path))


def test_explicit_observational_record() -> None:
    s = _study(FIXTURES / "NCT00513591.xml")
    v2 = s.to_v2()
    ps = v2["protocolSection"]
    assert s.nct_id == "NCT00513591" and s.overall_status == "RECRUITING" and s.phases == []
    assert ps["identificationModule"]["acronym"] == "DAP Registry"
    assert ps["statusModule"]["startDateStruct"] == {"date": "2007-08"}
    assert ps["statusModule"]["completionDateStruct"] == {"date": "2018-06", "type": "ESTIMATED"}
    assert ps["statusModule"]["studyFirstPostDateStruct"] == {"date": "2007-08-08", "type": "ESTIMATED"}
    assert ps["statusModule"]["lastUpdateSubmitDate"] == "2017-06-15"
    assert ps["designModule"] == {"studyType": "OBSERVATIONAL",
                                  "designInfo": {"observationalModel": "COHORT", "timePerspective": "PROSPECTIVE"},
                                  "enrollmentInfo": {"count": 1000, "type": "ESTIMATED"},
                                  "bioSpec": {"retention": "SAMPLES_WITH_DNA",
                                              "description": "Blood samples will be collected and stored for "
                                                             "future analysis."}}
    em = ps["eligibilityModule"]
    assert (em["sex"], em["minimumAge"], em.get("maximumAge"), em["healthyVolunteers"]) == (
        "FEMALE", "18 Years", None, True)
    assert em["samplingMethod"] == "NON_PROBABILITY_SAMPLE"
    assert em["eligibilityCriteria"].startswith(
        "Inclusion Criteria:\n\n  -  18 years of age or older\n\n  -  Desire for pregnancy")
    assert "\n       -  Lupus (systemic lupus erythematosus or cutaneous lupus)\n" in em["eligibilityCriteria"]
    assert em["eligibilityCriteria"].endswith("-  Unable to travel to Duke University for follow-up visits")
    assert ps["descriptionModule"]["briefSummary"].startswith(
        "It is difficult to predict how a women with an autoimmune disease will do during pregnancy.\nSome")
    assert "\n\nThe Duke Autoimmunity in Pregnancy (DAP) Registry" in ps["descriptionModule"]["briefSummary"]
    assert ps["referencesModule"]["seeAlsoLinks"] == [
        {"label": "The Duke Lupus Clinic website", "url": "http://www.dukehealth.org/locations/duke_lupus_clinic"}]
    loc = ps["contactsLocationsModule"]["locations"][0]
    assert loc == {"facility": "Duke University Medical Center", "status": "RECRUITING", "city": "Durham",
                   "state": "North Carolina", "zip": "27710", "country": "United States",
                   "contacts": [{"name": "Megan E. B. Clowse, MD, MPH", "role": "CONTACT", "phone": "919-681-2045",
                                 "email": "megan.clowse@duke.edu"}]}
    assert s.condition_mesh_terms()[:2] == ["Arthritis", "Arthritis, Rheumatoid"]
    assert v2["x_legacy"] == {"locationCountries": ["United States"], "numberOfGroups": 3,
                              "downloadDate": "2018-05-11"}


def test_explicit_phases_masking_and_ages() -> None:
    assert _study(FIXTURES / "NCT00004801.xml").phases == ["PHASE1", "PHASE2"]
    assert _study(FIXTURES / "NCT00463723.xml").phases == ["PHASE2", "PHASE3"]
    assert _study(FIXTURES / "NCT00460928.xml").phases == ["EARLY_PHASE1"]
    assert _study(FIXTURES / "NCT00003100.xml").phases == ["NA"]
    info = _study(FIXTURES / "NCT03228394.xml").protocolSection.designModule.designInfo
    assert info.maskingInfo.masking == "QUADRUPLE"
    assert info.maskingInfo.whoMasked == ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"]
    assert _study(FIXTURES / "NCT00004420.xml").protocolSection.designModule.designInfo.maskingInfo.model_dump(
        exclude_unset=True) == {"masking": "DOUBLE"}
    em = _study(FIXTURES / "NCT00008814.xml").eligibility
    assert (em.minimumAge, em.maximumAge) == ("1 Day", "4 Months")
    em = _study(FIXTURES / "NCT00004420.xml").eligibility
    assert (em.minimumAge, em.maximumAge) == ("1 Year", "15 Years")  # the API's singular kept


def test_explicit_arms_interventions_and_registry() -> None:
    ai = _study(FIXTURES / "NCT00000254.xml").to_v2()["protocolSection"]["armsInterventionsModule"]
    assert all(arm["interventionNames"] and all(": " in n for n in arm["interventionNames"])
               for arm in ai["armGroups"])
    design = _study(FIXTURES / "NCT00499941.xml").to_v2()["protocolSection"]["designModule"]
    assert (design["studyType"], design["patientRegistry"]) == ("OBSERVATIONAL", True)
    s = _study(FIXTURES / "NCT03182660.xml")  # withheld, study type N/A: absent, not an error
    assert s.overall_status == "WITHHELD" and s.study_type is None
    assert _study(FIXTURES / "NCT00461812.xml").to_v2()["hasResults"] is True


# --------------------------------------------------------------------------- the whole bulk sample

@pytest.fixture(scope="module")
def sample_run() -> dict:
    if not SAMPLE_ZIP.exists():
        pytest.skip(f"shared XML sample not present: {SAMPLE_ZIP}")
    with zipfile.ZipFile(SAMPLE_ZIP) as zf:
        members = [n for n in zf.namelist() if n.endswith(".xml")]
    started = time.perf_counter()
    items = list(ctgov_xml.iter_items(SAMPLE_ZIP))
    return {"members": members, "items": items, "seconds": time.perf_counter() - started}


def test_whole_sample_zip_every_record_accounted_for(sample_run: dict) -> None:
    items, members = sample_run["items"], sample_run["members"]
    ok = [i for i in items if i.ok]
    errors = [str(i.error) for i in items if not i.ok]
    print(f"\nAllPublicXML-sample.zip: {len(ok)} ok, {len(errors)} failed of {len(members)} members "
          f"in {sample_run['seconds']:.1f} s")
    assert len(ok) + len(errors) == len(members) == 6786
    assert errors == []
    assert sorted(i.study.nct_id for i in ok) == sorted(Path(m).stem for m in members)


def test_sample_zip_every_20th_record_maps_field_by_field(sample_run: dict) -> None:
    with zipfile.ZipFile(SAMPLE_ZIP) as zf:
        for member, item in list(zip(sample_run["members"], sample_run["items"], strict=True))[::20]:
            check_record(zf.read(member), item.study)


# --------------------------------------------------------------------------- bad input

def _record(name: str = "NCT00513591") -> bytes:
    return (FIXTURES / f"{name}.xml").read_bytes()


def _error(where: str, data: bytes) -> str:
    item = ctgov_xml.parse_record(where, data)
    assert not item.ok and item.error is not None
    return str(item.error)


def test_malformed_xml_names_file_and_position() -> None:
    message = _error("bad/NCT1.xml", _record()[:2000])
    assert message.startswith("bad/NCT1.xml: malformed XML") and re.search(r"line \d+", message)


def test_record_without_nct_id() -> None:
    data = re.sub(rb"<nct_id>.*?</nct_id>", b"", _record())
    assert _error("x/none.xml", data) == "x/none.xml: record has no NCT ID (protocolSection.identificationModule.nctId)"


def test_unknown_status_names_record_field_and_value() -> None:
    data = _record().replace(b"<overall_status>Recruiting<", b"<overall_status>Paused for lunch<")
    message = _error("f.xml", data)
    assert message == "f.xml [NCT00513591]: overall_status: unknown Status value 'Paused for lunch'"


@pytest.mark.parametrize(("old", "new", "field"), [
    (b'<enrollment type="Anticipated">1000<', b'<enrollment type="Anticipated">lots<', "enrollment"),
    (b"<minimum_age>18 Years<", b"<minimum_age>eighteen<", "eligibility/minimum_age"),
    (b"<start_date>August 2007<", b"<start_date>someday<", "start_date"),
    (b"<has_dmc>No<", b"<has_dmc>Perhaps<", "oversight_info/has_dmc"),
    (b"<gender>Female<", b"<gender>Robots<", "eligibility/gender"),
    (b'type="Anticipated">June 2018</completion_date>', b'type="Guessed">June 2018</completion_date>',
     "completion_date/@type"),
    (b"<nct_id>NCT00513591<", b"<nct_id>NCT123<", "nctId"),
])
def test_wrong_values_name_the_field(old: bytes, new: bytes, field: str) -> None:
    data = _record()
    assert old in data
    message = _error("f.xml", data.replace(old, new, 1))
    assert message.startswith("f.xml [NCT") and field in message


def test_empty_file_and_other_roots() -> None:
    assert _error("e.xml", b"") == "e.xml: empty file"
    assert _error("e.xml", b"  \n") == "e.xml: empty file"
    assert "root element <project>" in _error("pom.xml", b"<?xml version='1.0'?><project/>")


def test_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    doctype = f'<!DOCTYPE clinical_study [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n<clinical_study>'
    xxe = _record().replace(b"<clinical_study>", doctype.encode(), 1)
    xxe = xxe.replace(b"<brief_title>Duke", b"<brief_title>&x;Duke")
    item = ctgov_xml.parse_record("xxe.xml", xxe)
    assert "TOP SECRET" not in str(item.study.to_v2() if item.ok else item.error)
    laughs = "".join(f'<!ENTITY {c} "{f"&{p};" * 10}">' for p, c in zip("abcdefg", "bcdefgh", strict=True))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE clinical_study [<!ENTITY a "aaaaaaaaaa">{laughs}]>'
            "<clinical_study><id_info><nct_id>NCT00000001</nct_id></id_info><brief_title>&h;</brief_title>"
            "</clinical_study>").encode()
    item = ctgov_xml.parse_record("bomb.xml", bomb)
    assert len(str(item.study.to_v2() if item.ok else item.error)) < 10_000


def test_directory_with_unrelated_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    shutil.copy(FIXTURES / "NCT00513591.xml", tmp_path / "NCT00513591.xml")
    shutil.copy(FIXTURES / "NCT00004801.xml", tmp_path / "sub" / "NCT00004801.xml")
    (tmp_path / "README.txt").write_text("not a record")
    (tmp_path / "pom.xml").write_text("<project/>")
    (tmp_path / "broken.xml").write_bytes(_record()[:500])
    (tmp_path / "empty.xml").write_bytes(b"")
    items = list(ctgov_xml.iter_items(tmp_path))
    assert sorted(i.study.nct_id for i in items if i.ok) == ["NCT00004801", "NCT00513591"]
    errors = {Path(i.where).name: i.error.why for i in items if not i.ok}
    assert set(errors) == {"pom.xml", "broken.xml", "empty.xml"}
    assert "expected <clinical_study>" in errors["pom.xml"] and "malformed XML" in errors["broken.xml"]
    assert all(str(tmp_path) in str(i.error) for i in items if not i.ok)


def test_directory_without_records_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SourceError, match="no .xml files"):
        list(ctgov_xml.iter_items(tmp_path))
    with pytest.raises(SourceError, match="no such file"):
        list(ctgov_xml.iter_items(tmp_path / "nope.zip"))


def test_single_file_and_looks_like() -> None:
    items = list(ctgov_xml.iter_items(FIXTURES / "NCT00513591.xml"))
    assert [i.study.nct_id for i in items] == ["NCT00513591"]
    assert ctgov_xml.looks_like(_record()[:4096])
    assert not ctgov_xml.looks_like(b'{"protocolSection": {}}')


def _bulk_zip(path: Path, names: list[str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.write(FIXTURES / f"{name}.xml", f"{name[:7]}xxxx/{name}.xml")
        zf.writestr("NCT0000xxxx/NCT00000002.xml", b"")
        zf.writestr("Contents.txt", "a listing, not a record")
    return path


def test_zip_bulk_layout_with_a_bad_member(tmp_path: Path) -> None:
    items = list(ctgov_xml.iter_items(_bulk_zip(tmp_path / "bulk.zip", ["NCT00513591", "NCT00004801"])))
    assert [i.study.nct_id for i in items if i.ok] == ["NCT00513591", "NCT00004801"]
    [bad] = [i for i in items if not i.ok]
    assert str(bad.error) == f"{tmp_path / 'bulk.zip'}!NCT0000xxxx/NCT00000002.xml: empty file"


def test_zip_with_a_corrupted_member(tmp_path: Path) -> None:
    path = _bulk_zip(tmp_path / "bulk.zip", ["NCT00513591", "NCT00004801"])
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("NCT0051xxxx/NCT00513591.xml")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + 200
    data[start:start + 50] = bytes(50)
    path.write_bytes(bytes(data))
    items = list(ctgov_xml.iter_items(path))
    assert [i.study.nct_id for i in items if i.ok] == ["NCT00004801"]
    assert any("NCT00513591.xml" in str(i.error) for i in items if not i.ok)


def test_truncated_zip_keeps_the_complete_members(tmp_path: Path) -> None:
    if SAMPLE_ZIP.exists():
        cut = SAMPLE_ZIP.read_bytes()[:400_000]
    else:
        whole = _bulk_zip(tmp_path / "whole.zip", [f.stem for f in FIXTURE_FILES[:10]])
        with zipfile.ZipFile(whole) as zf:  # cut inside the 7th member's data, whatever the members' sizes
            seventh = zf.infolist()[6]
            inside = seventh.header_offset + 30 + len(seventh.filename) + seventh.compress_size // 2
        cut = whole.read_bytes()[:inside]
    path = tmp_path / "cut.zip"
    path.write_bytes(cut)
    items = list(ctgov_xml.iter_items(path))
    ok = [i for i in items if i.ok]
    assert len(ok) >= 5 and all(f"/{i.study.nct_id}.xml [{i.study.nct_id}]" in i.where for i in ok)
    errors = [str(i.error) for i in items if not i.ok]
    assert "member cut off (truncated ZIP)" in errors[-2]
    assert errors[-1].startswith(f"{path}: damaged ZIP archive") and f"read {len(ok)} members" in errors[-1]


def test_not_a_zip_at_all(tmp_path: Path) -> None:
    path = tmp_path / "fake.zip"
    path.write_text("hello")
    with pytest.raises(SourceError, match="not a readable ZIP archive") as exc:
        list(ctgov_xml.iter_items(path))
    assert str(path) in str(exc.value)
