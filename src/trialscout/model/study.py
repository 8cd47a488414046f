"""The Study record, shaped like a ClinicalTrials.gov API v2 study; unknown fields are kept."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from trialscout.model.enums import (
    AgencyClass,
    Allocation,
    ArmGroupType,
    ContactRole,
    DateType,
    InterventionModel,
    InterventionType,
    Masking,
    ObservationalModel,
    OfficialRole,
    Phase,
    PrimaryPurpose,
    ReferenceType,
    ResponsiblePartyType,
    SamplingMethod,
    Sex,
    StandardAge,
    Status,
    StudyType,
    TimePerspective,
    WhoMasked,
)

PartialDate = Annotated[str, StringConstraints(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")]
"""A date as the API writes it: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`."""

AGE_PATTERN = r"^\d+(\.\d+)? (Year|Month|Week|Day|Hour|Minute)s?$"
Age = Annotated[str, StringConstraints(pattern=AGE_PATTERN)]
"""An age limit as the API writes it: `"18 Years"`, `"6 Months"`."""

NCT_ID_PATTERN = r"^NCT\d{8}$"
NctId = Annotated[str, StringConstraints(pattern=NCT_ID_PATTERN)]


class V2Model(BaseModel):
    """Base of every module: API field names, unknown fields kept for a lossless round trip."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, use_enum_values=False)


class DateStruct(V2Model):
    date: PartialDate
    type: DateType | None = None


class Organization(V2Model):
    fullName: str | None = None
    class_: AgencyClass | None = Field(None, alias="class")


class OrgStudyIdInfo(V2Model):
    id: str | None = None
    type: str | None = None
    link: str | None = None


class SecondaryIdInfo(V2Model):
    id: str
    type: str | None = None
    domain: str | None = None
    link: str | None = None


class IdentificationModule(V2Model):
    nctId: NctId
    orgStudyIdInfo: OrgStudyIdInfo | None = None
    secondaryIdInfos: list[SecondaryIdInfo] | None = None
    briefTitle: str | None = None
    officialTitle: str | None = None
    acronym: str | None = None
    organization: Organization | None = None


class ExpandedAccessInfo(V2Model):
    hasExpandedAccess: bool | None = None
    nctId: str | None = None
    statusForNctId: Status | None = None


class StatusModule(V2Model):
    statusVerifiedDate: PartialDate | None = None
    overallStatus: Status | None = None
    lastKnownStatus: Status | None = None
    whyStopped: str | None = None
    expandedAccessInfo: ExpandedAccessInfo | None = None
    startDateStruct: DateStruct | None = None
    primaryCompletionDateStruct: DateStruct | None = None
    completionDateStruct: DateStruct | None = None
    studyFirstSubmitDate: PartialDate | None = None
    studyFirstSubmitQcDate: PartialDate | None = None
    studyFirstPostDateStruct: DateStruct | None = None
    lastUpdateSubmitDate: PartialDate | None = None
    lastUpdatePostDateStruct: DateStruct | None = None


class Sponsor(V2Model):
    name: str
    class_: AgencyClass | None = Field(None, alias="class")


class ResponsibleParty(V2Model):
    type: ResponsiblePartyType | None = None
    investigatorFullName: str | None = None
    investigatorTitle: str | None = None
    investigatorAffiliation: str | None = None


class SponsorCollaboratorsModule(V2Model):
    responsibleParty: ResponsibleParty | None = None
    leadSponsor: Sponsor | None = None
    collaborators: list[Sponsor] | None = None


class OversightModule(V2Model):
    oversightHasDmc: bool | None = None
    isFdaRegulatedDrug: bool | None = None
    isFdaRegulatedDevice: bool | None = None
    isUnapprovedDevice: bool | None = None
    isUsExport: bool | None = None


class DescriptionModule(V2Model):
    briefSummary: str | None = None
    detailedDescription: str | None = None


class ConditionsModule(V2Model):
    conditions: list[str] | None = None
    keywords: list[str] | None = None


class MaskingInfo(V2Model):
    masking: Masking | None = None
    maskingDescription: str | None = None
    whoMasked: list[WhoMasked] | None = None


class DesignInfo(V2Model):
    allocation: Allocation | None = None
    interventionModel: InterventionModel | None = None
    interventionModelDescription: str | None = None
    primaryPurpose: PrimaryPurpose | None = None
    observationalModel: ObservationalModel | None = None
    timePerspective: TimePerspective | None = None
    maskingInfo: MaskingInfo | None = None


class EnrollmentInfo(V2Model):
    count: int | None = Field(None, ge=0, le=2**63 - 1)  # the largest integer a store column holds
    type: DateType | None = None


class DesignModule(V2Model):
    studyType: StudyType | None = None
    patientRegistry: bool | None = None
    targetDuration: str | None = None
    phases: list[Phase] | None = None
    designInfo: DesignInfo | None = None
    enrollmentInfo: EnrollmentInfo | None = None


class ArmGroup(V2Model):
    label: str
    type: ArmGroupType | None = None
    description: str | None = None
    interventionNames: list[str] | None = None


class Intervention(V2Model):
    type: InterventionType | None = None
    name: str
    description: str | None = None
    armGroupLabels: list[str] | None = None
    otherNames: list[str] | None = None


class ArmsInterventionsModule(V2Model):
    armGroups: list[ArmGroup] | None = None
    interventions: list[Intervention] | None = None


class Outcome(V2Model):
    measure: str
    description: str | None = None
    timeFrame: str | None = None


class OutcomesModule(V2Model):
    primaryOutcomes: list[Outcome] | None = None
    secondaryOutcomes: list[Outcome] | None = None
    otherOutcomes: list[Outcome] | None = None


class EligibilityModule(V2Model):
    eligibilityCriteria: str | None = None
    healthyVolunteers: bool | None = None
    sex: Sex | None = None
    genderBased: bool | None = None
    genderDescription: str | None = None
    minimumAge: Age | None = None
    maximumAge: Age | None = None
    stdAges: list[StandardAge] | None = None
    studyPopulation: str | None = None
    samplingMethod: SamplingMethod | None = None


class Contact(V2Model):
    name: str | None = None
    role: ContactRole | None = None
    phone: str | None = None
    phoneExt: str | None = None
    email: str | None = None


class Official(V2Model):
    name: str | None = None
    affiliation: str | None = None
    role: OfficialRole | None = None


class GeoPoint(V2Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Location(V2Model):
    facility: str | None = None
    status: Status | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    contacts: list[Contact] | None = None
    geoPoint: GeoPoint | None = None


class ContactsLocationsModule(V2Model):
    centralContacts: list[Contact] | None = None
    overallOfficials: list[Official] | None = None
    locations: list[Location] | None = None


class Reference(V2Model):
    pmid: str | None = None
    type: ReferenceType | None = None
    citation: str | None = None


class SeeAlsoLink(V2Model):
    label: str | None = None
    url: str | None = None


class ReferencesModule(V2Model):
    references: list[Reference] | None = None
    seeAlsoLinks: list[SeeAlsoLink] | None = None


class ProtocolSection(V2Model):
    identificationModule: IdentificationModule
    statusModule: StatusModule | None = None
    sponsorCollaboratorsModule: SponsorCollaboratorsModule | None = None
    oversightModule: OversightModule | None = None
    descriptionModule: DescriptionModule | None = None
    conditionsModule: ConditionsModule | None = None
    designModule: DesignModule | None = None
    armsInterventionsModule: ArmsInterventionsModule | None = None
    outcomesModule: OutcomesModule | None = None
    eligibilityModule: EligibilityModule | None = None
    contactsLocationsModule: ContactsLocationsModule | None = None
    referencesModule: ReferencesModule | None = None


class Mesh(V2Model):
    id: str | None = None
    term: str


class BrowseModule(V2Model):
    """conditionBrowseModule / interventionBrowseModule: MeSH terms and their ancestors."""

    meshes: list[Mesh] | None = None
    ancestors: list[Mesh] | None = None


class DerivedSection(V2Model):
    conditionBrowseModule: BrowseModule | None = None
    interventionBrowseModule: BrowseModule | None = None


class Study(V2Model):
    """One trial record. `to_v2()` gives back the API JSON, including fields we do not model."""

    protocolSection: ProtocolSection
    derivedSection: DerivedSection | None = None
    hasResults: bool | None = None

    @classmethod
    def from_v2(cls, data: dict[str, Any]) -> Study:
        return cls.model_validate(data)

    def to_v2(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    # Convenience accessors: read-only views used by store, search and interfaces.
    @property
    def nct_id(self) -> str:
        return self.protocolSection.identificationModule.nctId

    @property
    def brief_title(self) -> str | None:
        return self.protocolSection.identificationModule.briefTitle

    @property
    def official_title(self) -> str | None:
        return self.protocolSection.identificationModule.officialTitle

    @property
    def overall_status(self) -> Status | None:
        sm = self.protocolSection.statusModule
        return sm.overallStatus if sm else None

    @property
    def last_update(self) -> str | None:
        """The last-update date that decides which copy of a record is newer."""
        sm = self.protocolSection.statusModule
        if not sm:
            return None
        if sm.lastUpdatePostDateStruct:
            return sm.lastUpdatePostDateStruct.date
        return sm.lastUpdateSubmitDate

    @property
    def phases(self) -> list[Phase]:
        dm = self.protocolSection.designModule
        return list(dm.phases or []) if dm else []

    @property
    def study_type(self) -> StudyType | None:
        dm = self.protocolSection.designModule
        return dm.studyType if dm else None

    @property
    def conditions(self) -> list[str]:
        cm = self.protocolSection.conditionsModule
        return list(cm.conditions or []) if cm else []

    @property
    def keywords(self) -> list[str]:
        cm = self.protocolSection.conditionsModule
        return list(cm.keywords or []) if cm else []

    @property
    def interventions(self) -> list[Intervention]:
        am = self.protocolSection.armsInterventionsModule
        return list(am.interventions or []) if am else []

    @property
    def eligibility(self) -> EligibilityModule | None:
        return self.protocolSection.eligibilityModule

    @property
    def eligibility_text(self) -> str | None:
        em = self.protocolSection.eligibilityModule
        return em.eligibilityCriteria if em else None

    @property
    def locations(self) -> list[Location]:
        cl = self.protocolSection.contactsLocationsModule
        return list(cl.locations or []) if cl else []

    @property
    def lead_sponsor(self) -> str | None:
        sc = self.protocolSection.sponsorCollaboratorsModule
        return sc.leadSponsor.name if sc and sc.leadSponsor else None

    def condition_mesh_terms(self) -> list[str]:
        ds = self.derivedSection
        if not ds or not ds.conditionBrowseModule:
            return []
        return [m.term for m in ds.conditionBrowseModule.meshes or []]

    def intervention_mesh_terms(self) -> list[str]:
        ds = self.derivedSection
        if not ds or not ds.interventionBrowseModule:
            return []
        return [m.term for m in ds.interventionBrowseModule.meshes or []]


_AGE_UNITS_IN_YEARS = {
    "year": 1.0,
    "month": 1 / 12,
    "week": 7 / 365.25,
    "day": 1 / 365.25,
    "hour": 1 / (365.25 * 24),
    "minute": 1 / (365.25 * 24 * 60),
}


def age_in_years(age: str | None) -> float | None:
    """`"18 Years"` → 18.0, `"6 Months"` → 0.5; None for no limit."""
    if not age:
        return None
    m = re.match(r"^(\d+(?:\.\d+)?) (Year|Month|Week|Day|Hour|Minute)s?$", age)
    if not m:
        return None
    return float(m.group(1)) * _AGE_UNITS_IN_YEARS[m.group(2).lower()]
