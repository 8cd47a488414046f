"""The JSON patient document: a pydantic input model whose JSON Schema is published as `patient.schema.json`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_PATH = Path(__file__).with_name("patient.schema.json")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiagnosisIn(_In):
    name: str = Field(description="The diagnosis as written, e.g. 'invasive ductal carcinoma of the breast'.")
    oncotree_code: str | None = Field(None, description="OncoTree code (e.g. 'IDC'); found from the name if absent.")
    histology: str | None = Field(None, description="Histologic type, e.g. 'adenocarcinoma'.")
    stage: str | None = Field(None, description="Stage group ('IIIA', 'IV') or TNM ('T2N1M0').")
    setting: list[str] | str | None = Field(
        None, description="metastatic, recurrent, locally_advanced, refractory, relapsed, unresectable, early.")
    metastatic_sites: list[str] = Field(default_factory=list, description="brain, liver, bone, lung, lymph_node, ...")
    date: dt.date | None = Field(None, description="Date of diagnosis (YYYY-MM-DD).")


class BiomarkerIn(_In):
    name: str = Field(description="Gene or protein: HER2, ER, PR, EGFR, ALK, KRAS, BRAF, BRCA1, PD-L1, MSI, ...")
    status: str | None = Field(None, description="positive, negative, mutated, wild_type, amplified, high, low, ...")
    variant: str | None = Field(None, description="e.g. 'V600E', 'exon 19 deletion', 'IHC 3+'.")
    score: float | None = Field(None, description="Numeric result, e.g. PD-L1 TPS 50.")
    score_type: str | None = Field(None, description="TPS, CPS, percent, mut/Mb, IHC.")
    date: dt.date | None = None


class LabIn(_In):
    analyte: str = Field(description="Canonical analyte name (platelets, hemoglobin, creatinine, ast, ...) or a "
                                     "common name ('platelet count', 'ANC').")
    value: float = Field(description="The result; impossible values are reported and not used.")
    comparator: Literal["<", "<=", ">", ">="] | None = Field(None, description="For censored results ('>60').")
    unit: str | None = Field(None, description="The unit as reported ('10^9/L', 'g/dL', '/mm3'); unknown units are "
                                              "kept and flagged, never converted.")
    date: dt.date | None = None
    loinc: str | None = Field(None, description="LOINC code, e.g. '777-3'.")
    uln: float | None = Field(None, description="Upper limit of normal, in the same unit.")
    lln: float | None = Field(None, description="Lower limit of normal, in the same unit.")


class PerformanceIn(_In):
    scale: Literal["ECOG", "KARNOFSKY", "LANSKY", "ecog", "karnofsky", "lansky"]
    value: float = Field(description="ECOG 0-5; Karnofsky and Lansky 0-100 in steps of 10.")
    date: dt.date | None = None


class TherapyIn(_In):
    agent: str | None = Field(None, description="Drug or regimen name, or the procedure for other modalities.")
    agent_class: str | None = Field(None, alias="class", description="Drug class, e.g. platinum, taxane, anti_her2.")
    modality: Literal["drug", "surgery", "radiotherapy", "ablation", "transplant", "other"] | None = Field(
        None, description="Defaults to 'drug' when the agent is a known drug.")
    start: dt.date | None = None
    end: dt.date | None = None
    line: int | None = Field(None, description="Line of therapy, 1 = first line.")
    response: str | None = Field(None, description="CR, PR, SD, PD, or words.")
    current: bool | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PregnancyIn(_In):
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    postmenopausal: bool | None = None
    gestational_weeks: float | None = None


class ConsentIn(_In):
    consent: bool | None = Field(None, description="The patient will give (has given) informed consent; false: "
                                                    "refuses or cannot.")
    comply: bool | None = Field(None, description="The patient will comply with a trial's protocol.")
    adherent: bool | None = Field(None, description="The patient follows prescribed medical treatment.")


class ComorbidityIn(_In):
    name: str
    code: str | None = Field(None, description="ICD-10-CM or SNOMED CT code, as 'system|code' or bare.")
    nyha_class: int | None = None
    date: dt.date | None = None
    active: bool | None = None


class NegatedIn(_In):
    name: str
    kind: Literal["condition", "symptom", "therapy", "biomarker", "other"] = "other"


class PatientDocument(_In):
    """A patient described in JSON. Every field is optional; what is absent is simply unknown."""

    schema_: str | None = Field(None, alias="$schema", description="May point at this schema.")
    id: str | None = Field(None, description="Any identifier you use for the patient (keep it pseudonymous).")
    as_of: dt.date | None = Field(None, description="The date the record describes ('now'), for time windows.")
    age: float | None = Field(None, description="Age in years (0-125).")
    birth_date: dt.date | None = Field(None, description="Birth date; used when age is absent.")
    sex: Literal["female", "male", "FEMALE", "MALE", "F", "M"] | None = None
    diagnoses: list[DiagnosisIn] = Field(default_factory=list)
    biomarkers: list[BiomarkerIn] = Field(default_factory=list)
    labs: list[LabIn] = Field(default_factory=list)
    performance_status: list[PerformanceIn] = Field(default_factory=list)
    prior_therapies: list[TherapyIn] = Field(default_factory=list)
    pregnancy: PregnancyIn | None = None
    consent: ConsentIn | None = None
    comorbidities: list[ComorbidityIn | str] = Field(default_factory=list)
    negated: list[NegatedIn | str] = Field(default_factory=list, description="Things the patient does not have.")
    notes: list[str] | str | None = Field(None, description="Free text, kept as given.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, title="trialscout patient")


def json_schema() -> dict:
    """The JSON Schema of the patient document (draft 2020-12), as published in `patient.schema.json`."""
    schema = PatientDocument.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def write_schema(path: Path = SCHEMA_PATH) -> None:
    """Regenerate the published schema file (run after changing the input model)."""
    path.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_schema()
