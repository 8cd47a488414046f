"""The five seed pages: every field each page gives, with the value read off the page by hand; nothing else."""

from __future__ import annotations

import json
import re

import pytest

from tests.sources.pages.conftest import SEED_NAMES, block, seed_path, seed_text
from trialscout.sources.pages import PageRecordError, explain, parse_page

S0, S1, S2, S3, S4 = SEED_NAMES
PS = "protocolSection"


def expected_000() -> dict:
    return {PS: {
        "identificationModule": {
            "nctId": "NCT07295132",
            "briefTitle": "RESCUE Study (REcurrent Ovarian Cancer Secondary Cytoreduction Using Chemotherapy "
                          "rEsponse)",
            "officialTitle": "A Randomized Clinical Trial Evaluating the Role of Secondary Cytoreductive Surgery "
                             "Following Neoadjuvant Chemotherapy in Platinum-Sensitive Recurrent Ovarian Cancer: "
                             "Patient Selection Informed by CA-125 Response Dynamics During Chemotherapy (RESCUE "
                             "Study)",
            "secondaryIdInfos": [{"id": "RS-2025-02273048", "type": "OTHER_GRANT",
                                  "domain": "Korea Health Industry Development Institute(KHIDI)"}],
        },
        "statusModule": {
            "overallStatus": "NOT_YET_RECRUITING",
            "lastUpdatePostDateStruct": {"date": "2025-12-19"},
            "studyFirstPostDateStruct": {"date": "2025-11-18"},
            "statusVerifiedDate": "2025-12",
            "delayedPosting": False,
            "expandedAccessInfo": {"hasExpandedAccess": False},
        },
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Asan Medical Center"}},
        "descriptionModule": {
            "briefSummary": block(S0, 29, 29, "Brief Summary: "),
            "detailedDescription": block(S0, 30, 52, "Detailed Description: "),
        },
        "oversightModule": {"oversightHasDmc": True, "isFdaRegulatedDrug": False, "isFdaRegulatedDevice": False},
    }}


def expected_001() -> dict:
    locations = [
        ("Beijing Friendship Hospital", "Beijing", "Beijing"),
        ("Peking University First Hospital", "Beijing", "Beijing"),
        ("The Affiliated Hospital of Qingdao University", "Qingdao", "Shandong"),
        ("Shanghai Cancer Hospital, Minhang Branch", "Shanghai", "Shanghai"),
        ("Shanghai Zhongshan Hospital", "Shanghai", "Shanghai"),
        ("First Affiliated Hospital Xi'an Jiaotong University", "Xi'an", "Shanxi"),
    ]
    pfs = "Progression free survival will be measured from the date of surgery to the date of progression or " \
          "death, whichever occurs first."
    os_ = "OS will be measured from the date of surgery to the date of death, whatever the causes of death."
    return {PS: {
        "identificationModule": {
            "acronym": "NATARS",
            "officialTitle": "Neoadjuvant Chemotherapy Combined With Targeted Treatment in High-risk "
                             "Retroperitoneal Sarcoma-- A Nationwide Multicentered Prospective Controlled Study",
        },
        "statusModule": {
            "statusVerifiedDate": "2023-05",
            "overallStatus": "ENROLLING_BY_INVITATION",
            "completionDateStruct": {"date": "2027-11-01", "type": "ESTIMATED"},
            "primaryCompletionDateStruct": {"date": "2025-11-01", "type": "ESTIMATED"},
        },
        "oversightModule": {"isFdaRegulatedDrug": False, "isFdaRegulatedDevice": False},
        "designModule": {"studyType": "INTERVENTIONAL", "enrollmentInfo": {"count": 102}},
        "descriptionModule": {"briefSummary": block(S1, 10, 10)},
        "eligibilityModule": {
            "healthyVolunteers": False, "sex": "ALL", "minimumAge": "18 Years", "maximumAge": "75 Years",
            "eligibilityCriteria": block(S1, 18, 18, "Eligibility | ", " |"),
        },
        "contactsLocationsModule": {"locations": [
            {"country": "China", "facility": f, "city": c, "state": s} for f, c, s in locations]},
        "sponsorCollaboratorsModule": {
            "leadSponsor": {"name": "Peking University International Hospital"},
            "collaborators": [{"name": n} for n in (
                "Beijing Friendship Hospital", "First Affiliated Hospital Xi'an Jiaotong University",
                "Peking University First Hospital", "Shanghai Cancer Hospital, China", "Shanghai Zhongshan Hospital",
                "The Affiliated Hospital of Qingdao University")],
        },
        "outcomesModule": {
            "primaryOutcomes": [{"measure": "3-year Progression Free Survival(PFS)", "description": pfs,
                                 "timeFrame": "3 years after first patient enrolled in"}],
            "secondaryOutcomes": [
                {"measure": "1-year PFS", "description": pfs, "timeFrame": "1year after first patient enrolled in."},
                {"measure": "1 year Overall survival(OS)", "description": os_,
                 "timeFrame": "1year after first patient enrolled in"},
                {"measure": "3-year OS", "description": os_, "timeFrame": "3 years after first patient enrolled in"},
                {"measure": "5-year PFS", "description": pfs,
                 "timeFrame": "5 years after first patient enrolled in."},
                {"measure": "5-year OS", "description": os_, "timeFrame": "5 years after first patient enrolled in"},
                {"measure": "Safety and toxicity of neoadjuvant therapy",
                 "description": "Safety and toxicity will be evaluated through blood tests, echocardiography, "
                                "ECG, etc.",
                 "timeFrame": "1-d, 7-d after the first date of each neoadjuvant therapy session."},
                {"measure": "Postoperative morbidities",
                 "description": "Operative outcomes including morbidities will be collected and compared in two "
                                "groups.",
                 "timeFrame": "30-d, 90-d, 1-year separately after the date of surgery."},
            ],
        },
    }}


def expected_002() -> dict:
    surgery, systemic = "surgery combined with systemic therapy", "systemic therapy"
    return {PS: {
        "identificationModule": {
            "nctId": "NCT04199520",
            "briefTitle": "Compare the Efficacy of Surgery Combined With Systemic Therapy and Pure Systemic Therapy "
                          "in Breast Cancer Patients",
            "orgStudyIdInfo": {"id": "HNCH-BC003"},
        },
        "statusModule": {
            "lastUpdatePostDateStruct": {"date": "2024-03-04"},
            "overallStatus": "WITHDRAWN",
            "startDateStruct": {"date": "2020-04-15"},
            "completionDateStruct": {"date": "2022-05-01"},
        },
        "designModule": {
            "phases": ["PHASE2"], "studyType": "INTERVENTIONAL",
            "designInfo": {"allocation": "RANDOMIZED", "interventionModel": "PARALLEL", "primaryPurpose": "TREATMENT",
                           "maskingInfo": {"masking": "NONE"}},
        },
        "descriptionModule": {"briefSummary": block(S2, 41, 41), "detailedDescription": block(S2, 47, 47)},
        "conditionsModule": {"conditions": ["Stage IV Breast Cancer"]},
        "eligibilityModule": {
            "eligibilityCriteria": block(S2, 123, 154),
            "minimumAge": "18 Years", "maximumAge": "70 Years", "sex": "FEMALE", "healthyVolunteers": False,
        },
        "armsInterventionsModule": {
            "armGroups": [
                {"label": surgery, "description": surgery, "type": "EXPERIMENTAL",
                 "interventionNames": [f"Combination Product: {surgery}"]},
                {"label": systemic, "description": systemic, "type": "ACTIVE_COMPARATOR",
                 "interventionNames": [f"Other: {systemic}"]},
            ],
            "interventions": [
                {"name": surgery, "description": surgery, "type": "COMBINATION_PRODUCT", "armGroupLabels": [surgery]},
                {"name": systemic, "description": systemic, "type": "OTHER", "armGroupLabels": [systemic]},
            ],
        },
        "sponsorCollaboratorsModule": {
            "responsibleParty": {"type": "SPONSOR"},
            "leadSponsor": {"name": "Henan Cancer Hospital", "class": "OTHER_GOV"},
        },
        "contactsLocationsModule": {
            "overallOfficials": [{"name": "Jiujun Zhu", "role": "PRINCIPAL_INVESTIGATOR",
                                  "affiliation": "Henan Cancer Hospital"}],
            "locations": [{"facility": "Henan Cancer Hospital", "city": "Zhengzhou", "state": "Henan",
                           "country": "China"}],
        },
    }}


def expected_003() -> dict:
    return {
        PS: {
            "identificationModule": {
                "nctId": "NCT06609434",
                "briefTitle": "The Role and Safety of Radiofrequency Ablation in Recurrent Liver Metastasis of "
                              "Colorectal Cancer",
            },
            "conditionsModule": {
                "conditions": ["Colo-rectal Cancer", "Liver Metastasis"],
                "keywords": ["Colo-rectal cancer", "Liver Metastasis", "radiofrequency ablation"],
            },
            "designModule": {
                "studyType": "INTERVENTIONAL", "phases": ["NA"],
                "designInfo": {
                    "allocation": "NON_RANDOMIZED", "interventionModel": "PARALLEL",
                    "interventionModelDescription": block(S3, 32, 32, "Intervention model description: "),
                    "primaryPurpose": "TREATMENT", "maskingInfo": {"masking": "NONE"},
                },
            },
            "statusModule": {
                "overallStatus": "NOT_YET_RECRUITING",
                "startDateStruct": {"date": "2024-10"},
                "completionDateStruct": {"date": "2026-12"},
            },
            "armsInterventionsModule": {"interventions": [{
                "type": "PROCEDURE", "name": "Radiofrequency ablation",
                "description": block(S3, 42, 42, "Description: "),
                "armGroupLabels": ["systemic therapy combined with radiofrequency ablation"],
            }]},
            "descriptionModule": {
                "briefSummary": block(S3, 45, 45, "Summary: "),
                "detailedDescription": block(S3, 47, 47, "Detailed description: "),
            },
            "eligibilityModule": {
                "eligibilityCriteria": block(S3, 51, 51),
                "sex": "ALL", "minimumAge": "18 Years", "healthyVolunteers": False,
            },
            "sponsorCollaboratorsModule": {
                "leadSponsor": {"name": "Peking University Cancer Hospital & Institute", "class": "OTHER"}},
        },
        "derivedSection": {"conditionBrowseModule": {"meshes": [
            {"term": "Neoplasm Metastasis"}, {"term": "Rectal Neoplasms"}, {"term": "Liver Neoplasms"}]}},
    }


def expected_004() -> dict:
    return {PS: {
        "identificationModule": {
            "nctId": "NCT07132502",
            "briefTitle": "Treatment Intermittent Periods Based on ctDNA-MRD(Circulating Tumor DNA-minimal Residual "
                          "Disease) Status in Advanced HER2-Positive Breast Cancer",
            "officialTitle": "Treatment Intermittent Periods Based on ctDNA-MRD Status in Advanced HER2-Positive "
                             "Breast Cancer: A Non-Interventional Exploratory Study",
        },
        "statusModule": {
            "overallStatus": "NOT_YET_RECRUITING",
            "lastUpdatePostDateStruct": {"date": "2025-08-20"},
            "studyFirstPostDateStruct": {"date": "2025-07-06"},
            "statusVerifiedDate": "2025-08",
            "delayedPosting": False,
            "expandedAccessInfo": {"hasExpandedAccess": False},
        },
        "sponsorCollaboratorsModule": {
            "leadSponsor": {"name": "Cancer Institute and Hospital, Chinese Academy of Medical Sciences"}},
        "descriptionModule": {"briefSummary": block(S4, 29, 33, "Brief Summary: ")},
        "oversightModule": {"oversightHasDmc": False},
    }}


EXPECTED = {S0: expected_000, S1: expected_001, S2: expected_002, S3: expected_003, S4: expected_004}
LAYOUT = {S0: "dump", S1: "pipes", S2: "headed", S3: "listing", S4: "dump"}


@pytest.mark.parametrize("name", SEED_NAMES)
def test_seed_gives_exactly_the_fields_on_the_page(name: str) -> None:
    expl = explain(name, seed_path(name).read_bytes())
    assert expl.layout == LAYOUT[name]
    assert expl.record == EXPECTED[name]()


@pytest.mark.parametrize("name", [S0, S2, S3, S4])
def test_seed_becomes_a_valid_study(name: str) -> None:
    item = parse_page(name, seed_path(name).read_bytes())
    assert item.ok, item.error
    assert item.study.to_v2() == EXPECTED[name]()


def test_page_without_its_own_nct_id_is_a_clear_error_keeping_what_was_read() -> None:
    item = parse_page(S1, seed_path(S1).read_bytes())
    assert not item.ok
    assert isinstance(item.error, PageRecordError)
    assert "no NCT ID" in item.error.why
    assert item.error.partial == expected_001()


OTHER_TRIALS = {
    S1: ["NCT03838718", "NCT00901836", "NCT05044624", "NCT04189783", "NCT04225494", "NCT03792867", "NCT06025747",
         "NCT04224948", "NCT04031677", "NCT05224934", "NCT03877588", "NCT02384473", "NCT05302570", "NCT01659203",
         "NCT05631379", "NCT06327477", "REtroperitoneal SArcoma Registry", "Preoperative Proton Radiotherapy",
         "Retroperıtoneal Soft-Tıssue Sarcomas", "RESQU-SARC", "Nutritional Status in Retroperitoneal Sarcoma",
         "Proton or Photon RT", "Abemaciclib", "Real-Time Contrast-Enhanced", "Recruiting", "Terminated",
         "Completed", "PHASE1", "PHASE3", "EARLY_PHASE1", "WITHDRAWN", "ACTIVE_NOT_RECRUITING"],
}


@pytest.mark.parametrize("name", SEED_NAMES)
def test_other_trials_and_chrome_never_leak(name: str) -> None:
    expl = explain(name, seed_path(name).read_bytes())
    out = json.dumps(expl.record, ensure_ascii=False)
    own = re.findall(r"NCT\d{8}", json.dumps(expl.record.get(PS, {}).get("identificationModule", {})))
    for other in set(re.findall(r"NCT\d{8}", seed_text(name))) - set(own):
        assert other not in out
    for leak in OTHER_TRIALS.get(name, []) + ["similar clinical trials", "Login", "password", "Get a concise",
                                              "Review the sponsor", "Ignite", "Not Stopped", "N/A", "None"]:
        assert leak not in out, leak


@pytest.mark.parametrize("name", SEED_NAMES)
def test_explanation_points_every_field_at_its_page_line(name: str) -> None:
    expl = explain(name, seed_path(name).read_bytes())
    lines = seed_text(name).split("\n")
    assert expl.provenance
    for path, (no, text) in expl.provenance.items():
        assert 1 <= no <= len(lines), path
        assert lines[no - 1].strip() == text, path


def test_explanation_lists_labelled_lines_not_mapped() -> None:
    expl = explain(S0, seed_path(S0).read_bytes())
    assert (10, "Is NOT Gene Therapy: False") in expl.unmapped
    assert (4, "Ignite Creation Date: 2025-12-24 @ 9:45 PM") in expl.unmapped
    expl3 = explain(S3, seed_path(S3).read_bytes())
    assert any(no == 71 for no, _ in expl3.unmapped)  # Record processing date
    prov = expl3.provenance
    assert prov["protocolSection.statusModule.overallStatus"] == (24, "Overall status: Not yet recruiting")
    assert prov["protocolSection.sponsorCollaboratorsModule.leadSponsor.name"][0] == 66
