"""PatientFacts: what is known about one patient, each fact with the place it came from."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SourceKind = Literal["json", "fhir", "note"]
SexValue = Literal["FEMALE", "MALE"]
Scale = Literal["ECOG", "KARNOFSKY", "LANSKY"]
Modality = Literal["drug", "surgery", "radiotherapy", "ablation", "transplant", "other"]
Severity = Literal["error", "warning"]


class _Fact(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Provenance(_Fact):
    """Where one fact came from, precise enough for a person to find it and check it."""

    source: SourceKind
    """The input form: a JSON patient document, a FHIR R4 Bundle, or a free-text note."""
    ref: str | None = None
    """The file name, or the FHIR resource (`Observation/obs-1`), or None for text passed directly."""
    path: str | None = None
    """The field path inside the document or resource (`labs[2].value`, `valueQuantity`); None for notes."""
    span: tuple[int, int] | None = None
    """Character offsets [start, end) in the note; None for structured inputs."""
    text: str | None = None
    """The words or value the fact was read from, as written."""


class Age(_Fact):
    """The patient's age: in years as stated, or a birth date (then `years` is computed against `as_of`)."""

    years: float | None = None
    """Age in years as stated (months and days are converted: a 5-month-old is 0.42)."""
    birth_date: dt.date | None = None
    provenance: Provenance


class Sex(_Fact):
    """Sex as recorded, spelt as ClinicalTrials.gov does (`FEMALE`, `MALE`)."""

    value: SexValue
    provenance: Provenance


class Diagnosis(_Fact):
    """A cancer (or other neoplasm) the patient has or had."""

    name: str
    """The diagnosis as written (`infiltrating ductal carcinoma of the left breast`)."""
    oncotree_code: str | None = None
    """OncoTree code where one fits (`BRCA`, `IDC`, `ASTR`); None when no code fits."""
    histology: str | None = None
    """Histologic type when stated (`invasive ductal carcinoma`, `adenocarcinoma`)."""
    stage: str | None = None
    """Stage as a Roman-numeral group (`IIIA`, `IV`) or TNM (`T2N1M0`)."""
    setting: list[str] = Field(default_factory=list)
    """Disease setting words: `metastatic`, `recurrent`, `locally_advanced`, `refractory`, `relapsed`,
    `unresectable`, `early`."""
    metastatic_sites: list[str] = Field(default_factory=list)
    """Canonical sites of metastasis: `brain`, `liver`, `bone`, `lung`, `lymph_node`, `peritoneum`, ..."""
    date: dt.date | None = None
    """Date of diagnosis when known."""
    provenance: Provenance


class Biomarker(_Fact):
    """A tumour or blood biomarker result."""

    name: str
    """Canonical gene/protein name: `HER2`, `ER`, `PR`, `EGFR`, `ALK`, `KRAS`, `BRAF`, `BRCA1`, `BRCA2`,
    `PD-L1`, `MSI`, `MMR`, `HPV`, `ROS1`, `NTRK`, `MET`, `RET`, `TMB`, ..."""
    status: str | None = None
    """One of `positive`, `negative`, `mutated`, `wild_type`, `amplified`, `not_amplified`, `rearranged`,
    `high`, `low`, `stable`, `deficient`, `proficient`, `equivocal`; None when only a score is given."""
    variant: str | None = None
    """The variant when stated (`V600E`, `G12C`, `exon 19 deletion`, `IHC 3+`)."""
    score: float | None = None
    """A numeric result (PD-L1 50 for 50 %, TMB 12)."""
    score_type: str | None = None
    """What the score is: `TPS`, `CPS`, `percent`, `mut/Mb`, `IHC`."""
    date: dt.date | None = None
    provenance: Provenance


class Lab(_Fact):
    """One laboratory result with its unit as given; `value_std` is the same value in the analyte's
    canonical unit when the unit is known, else None (an unknown unit is kept, flagged, never converted)."""

    analyte: str
    """Canonical analyte name (`platelets`, `neutrophils_absolute`, `hemoglobin`, `creatinine`, `ast`, ...)."""
    value: float
    comparator: Literal["<", "<=", ">", ">="] | None = None
    """Set when the result is censored (`eGFR >60`): the true value lies beyond `value`."""
    unit: str | None = None
    """The unit as given (`/cu.mm`, `g/dL`, `K/uL`); None for unitless results (INR) or when not stated."""
    unit_known: bool = True
    """False when the unit is not one we know for this analyte (then `value_std` is None)."""
    value_std: float | None = None
    unit_std: str | None = None
    """The analyte's canonical UCUM unit (`10*9/L`, `g/dL`, `mg/dL`, `U/L`, `mL/min`, `1`)."""
    uln: float | None = None
    """Upper limit of normal in the unit as given, when the source states a reference range."""
    lln: float | None = None
    """Lower limit of normal in the unit as given."""
    loinc: str | None = None
    date: dt.date | None = None
    provenance: Provenance


class PerformanceStatus(_Fact):
    """A performance status score: ECOG 0–5, Karnofsky 0–100, Lansky 0–100."""

    scale: Scale
    value: int
    date: dt.date | None = None
    provenance: Provenance


class PriorTherapy(_Fact):
    """A treatment the patient had or is having: a drug or regimen, surgery, radiotherapy, ablation."""

    modality: Modality
    agent: str | None = None
    """Canonical lower-case drug name (`temozolomide`), or the procedure as written for other modalities."""
    agent_class: str | None = None
    """Drug class (`platinum`, `taxane`, `anthracycline`, `anti_her2`, `checkpoint_inhibitor`, ...)."""
    start: dt.date | None = None
    end: dt.date | None = None
    line: int | None = None
    """Line of therapy (1 = first line) when stated."""
    response: str | None = None
    """Best response when stated: `CR`, `PR`, `SD`, `PD`, or words such as `excellent response`."""
    current: bool | None = None
    """True when the therapy is ongoing as of the record."""
    provenance: Provenance


class Pregnancy(_Fact):
    """Reproductive status. None on a field means the record does not say."""

    pregnant: bool | None = None
    breastfeeding: bool | None = None
    postmenopausal: bool | None = None
    gestational_weeks: float | None = None
    provenance: Provenance


class Consent(_Fact):
    """What the record says of the patient's consent to a trial and of their following its protocol."""

    consent: bool | None = None
    """True: will give (or gave, or can give) informed consent; False: refuses or cannot; None: not said."""
    comply: bool | None = None
    """True: will comply with a trial's protocol; False: will not or cannot; None: not said."""
    adherent: bool | None = None
    """True: follows prescribed medical treatment; False: does not ('not compliant with her medication')."""
    provenance: Provenance


class Comorbidity(_Fact):
    """A condition other than the cancer (heart failure, HIV, diabetes, ...), or any non-cancer diagnosis."""

    name: str
    """The condition as written (`CHF`, `Hep C cirrhosis`)."""
    key: str | None = None
    """Canonical name from our vocabulary (`heart_failure`, `hcv`, `diabetes`), None when unrecognised."""
    code: str | None = None
    """A code from the source (ICD-10-CM or SNOMED CT, `system|code`) when one was given."""
    nyha_class: int | None = None
    date: dt.date | None = None
    """Onset or diagnosis date when known."""
    active: bool | None = None
    """False for resolved or past conditions when the source says so."""
    provenance: Provenance


class Concept(_Fact):
    """A clinical concept the record says the patient has or had (a disease, finding, procedure, drug), as the
    shared vocabulary names it; what the other fact kinds hold is not repeated here."""

    name: str
    """As written (`shortness of breath`)."""
    codes: list[str]
    """Concept ids (`MESH:D004417`), see `trialscout.vocab.clinical`."""
    kind: str
    """disease, finding, procedure, drug, drug_class, behaviour, device, ..."""
    historical: bool = False
    """The record speaks of it as past ('history of')."""
    qualifiers: list[str] = Field(default_factory=list)
    """Narrowing words said with it (`severe`, `uncontrolled`, `acute`)."""
    date: dt.date | None = None
    """When it happened or began, when the record says (a note's 'two weeks ago' counts from its date)."""
    provenance: Provenance


class NegatedFinding(_Fact):
    """Something the record says the patient does not have or did not have ("denies", "negative for")."""

    name: str
    """The finding as written (`chest pain`, `brain metastases`)."""
    key: str | None = None
    """Canonical name when recognised (a comorbidity key, a drug, an OncoTree code)."""
    codes: list[str] = Field(default_factory=list)
    """Concept ids of the shared clinical vocabulary, when it names it."""
    kind: Literal["condition", "symptom", "therapy", "biomarker", "other"] = "other"
    provenance: Provenance


class Problem(_Fact):
    """Something wrong with the input: an impossible value (never used), an unknown unit, an unreadable part."""

    field: str
    """The field or place it concerns (`labs[1].value`, `Observation/o7.valueQuantity`, `note`)."""
    message: str
    severity: Severity = "error"


class PatientFacts(BaseModel):
    """Everything understood about one patient; every fact carries its `provenance`."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    """An identifier from the source (JSON `id`, FHIR Patient.id, TREC topic number)."""
    as_of: dt.date | None = None
    """The "now" of the record, for time windows; None when the record does not say."""
    age: Age | None = None
    sex: Sex | None = None
    diagnoses: list[Diagnosis] = Field(default_factory=list)
    biomarkers: list[Biomarker] = Field(default_factory=list)
    labs: list[Lab] = Field(default_factory=list)
    performance_status: list[PerformanceStatus] = Field(default_factory=list)
    prior_therapies: list[PriorTherapy] = Field(default_factory=list)
    pregnancy: Pregnancy | None = None
    consent: Consent | None = None
    comorbidities: list[Comorbidity] = Field(default_factory=list)
    concepts: list[Concept] = Field(default_factory=list)
    negated: list[NegatedFinding] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    """Free text kept as given (the note itself, or notes in a JSON document)."""
    problems: list[Problem] = Field(default_factory=list)
    """What could not be used; impossible values are listed here and nowhere else."""

    def age_years(self, at: dt.date | None = None) -> float | None:
        """The age in years at `at` (default: `as_of`, then today) from the stated age or birth date."""
        if self.age is None:
            return None
        if self.age.years is not None:
            return self.age.years
        if self.age.birth_date is None:
            return None
        when = at or self.as_of or dt.date.today()
        return (when - self.age.birth_date).days / 365.25

    def latest_lab(self, analyte: str) -> Lab | None:
        """The most recent result for an analyte (undated results count as oldest; ties keep the last)."""
        found = [lab for lab in self.labs if lab.analyte == analyte]
        if not found:
            return None
        return max(reversed(found), key=lambda lab: lab.date or dt.date.min)

    def latest_performance(self, scale: Scale | None = None) -> PerformanceStatus | None:
        """The most recent performance status, on one scale or any."""
        found = [p for p in self.performance_status if scale is None or p.scale == scale]
        return max(reversed(found), key=lambda p: p.date or dt.date.min) if found else None
