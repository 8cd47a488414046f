"""Read a JSON patient document (see `patient.schema.json`) into PatientFacts."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from trialscout import json_limits
from trialscout.model.patient import (
    Age,
    Biomarker,
    Comorbidity,
    Consent,
    Diagnosis,
    NegatedFinding,
    PatientFacts,
    Pregnancy,
    PriorTherapy,
    Problem,
    Provenance,
    Sex,
)
from trialscout.patient.checks import age_ok, birth_date_ok, make_lab, make_performance, sex_value
from trialscout.patient.document import ComorbidityIn, DiagnosisIn, NegatedIn, PatientDocument, TherapyIn
from trialscout.patient.errors import PatientError
from trialscout.patient.vocab import (
    biomarker_name,
    class_of,
    condition_of,
    drug_of,
    is_oncotree_code,
    metastasis_mentions,
    modality_of,
)


def parse_json_text(text: str | bytes, ref: str | None = None) -> Any:
    """The parsed JSON, or a PatientError naming the line and column of the syntax error, or the field path of a
    value beyond the limits of `json_limits` (nesting depth, number size)."""
    return json_limits.loads(text, ref or "input", PatientError)


def from_json(data: str | bytes | dict[str, Any], ref: str | None = None) -> PatientFacts:
    """PatientFacts from a JSON patient document (text or already parsed); bad structure raises PatientError.

    Types are checked as `patient.schema.json` states them (strict JSON: `"61"` is not a number, `1` is not true, a
    date is `YYYY-MM-DD`), so the published schema and the reader accept the same documents."""
    if isinstance(data, (str, bytes)):
        data = parse_json_text(data, ref)
    if not isinstance(data, dict):
        raise PatientError(f"a patient document must be a JSON object, not {type(data).__name__}", where=ref or "input")
    json_limits.check(data, ref or "input", PatientError)
    try:
        doc = PatientDocument.model_validate_json(json.dumps(data, default=str), strict=True)
    except ValidationError as exc:
        raise PatientError(_explain(exc), where=ref or "input") from None
    return _Reader(doc, ref).facts()


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        parts.append(f"{path or '(document)'}: {err['msg']}")
    more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return "; ".join(parts) + more


class _Reader:
    def __init__(self, doc: PatientDocument, ref: str | None) -> None:
        self.doc, self.ref = doc, ref
        self.problems: list[Problem] = []

    def prov(self, path: str, value: Any = None) -> Provenance:
        return Provenance(source="json", ref=self.ref, path=path, text=None if value is None else str(value))

    def facts(self) -> PatientFacts:
        d = self.doc
        notes = [d.notes] if isinstance(d.notes, str) else list(d.notes or [])
        facts = PatientFacts(
            id=d.id, as_of=d.as_of, age=self.age(), sex=self.sex(),
            diagnoses=[self.diagnosis(i, x) for i, x in enumerate(d.diagnoses)],
            biomarkers=[self.biomarker(i, x) for i, x in enumerate(d.biomarkers)],
            labs=[lab for i, x in enumerate(d.labs) if (lab := self.lab(i, x))],
            performance_status=[p for i, x in enumerate(d.performance_status)
                                if (p := make_performance(x.scale, x.value, f"performance_status[{i}].value",
                                                          self.prov(f"performance_status[{i}]", x.value),
                                                          self.problems, x.date))],
            prior_therapies=[self.therapy(i, x) for i, x in enumerate(d.prior_therapies)],
            pregnancy=self.pregnancy(),
            consent=self.consent(),
            comorbidities=[self.comorbidity(i, x) for i, x in enumerate(d.comorbidities)],
            negated=[self.negated(i, x) for i, x in enumerate(d.negated)],
            notes=notes,
        )
        facts.problems = self.problems
        return facts

    def age(self) -> Age | None:
        d = self.doc
        if d.age is not None and age_ok(d.age, "age", self.problems):
            return Age(years=d.age, provenance=self.prov("age", d.age))
        if d.birth_date is not None and birth_date_ok(d.birth_date, d.as_of, "birth_date", self.problems):
            return Age(birth_date=d.birth_date, provenance=self.prov("birth_date", d.birth_date))
        return None

    def sex(self) -> Sex | None:
        value = sex_value(self.doc.sex)
        return Sex(value=value, provenance=self.prov("sex", self.doc.sex)) if value else None  # type: ignore[arg-type]

    def diagnosis(self, i: int, x: DiagnosisIn) -> Diagnosis:
        code = x.oncotree_code
        if code and not is_oncotree_code(code):
            self.problems.append(Problem(field=f"diagnoses[{i}].oncotree_code", severity="warning",
                                         message=f"{code!r} is not an OncoTree code; looked up from the name instead"))
            code = None
        if code is None:
            term = condition_of(x.name)
            code = term.key if term and term.category == "cancer" else None
        settings = [x.setting] if isinstance(x.setting, str) else list(x.setting or [])
        return Diagnosis(name=x.name, oncotree_code=code, histology=x.histology, stage=x.stage,
                         setting=[s.strip().lower().replace(" ", "_") for s in settings],
                         metastatic_sites=[s.strip().lower().replace(" ", "_") for s in x.metastatic_sites],
                         date=x.date, provenance=self.prov(f"diagnoses[{i}]", x.name))

    def biomarker(self, i: int, x: Any) -> Biomarker:
        return Biomarker(name=biomarker_name(x.name) or x.name, status=x.status, variant=x.variant, score=x.score,
                         score_type=x.score_type, date=x.date, provenance=self.prov(f"biomarkers[{i}]", x.name))

    def lab(self, i: int, x: Any) -> Any:
        return make_lab(x.analyte, x.value, x.unit, f"labs[{i}].value", self.prov(f"labs[{i}]", x.value),
                        self.problems, comparator=x.comparator, date=x.date, loinc=x.loinc, uln=x.uln, lln=x.lln)

    def therapy(self, i: int, x: TherapyIn) -> PriorTherapy:
        drug = drug_of(x.agent) if x.agent else None
        modality = x.modality or ("drug" if drug or x.agent_class else modality_of(x.agent or "") or "other")
        agent = drug[0] if drug and modality == "drug" else x.agent
        agent_class = x.agent_class or (class_of(agent) if agent and modality == "drug" else None)
        return PriorTherapy(modality=modality, agent=agent, agent_class=agent_class, start=x.start, end=x.end,
                            line=x.line, response=x.response, current=x.current,
                            provenance=self.prov(f"prior_therapies[{i}]", x.agent))

    def pregnancy(self) -> Pregnancy | None:
        p = self.doc.pregnancy
        if p is None:
            return None
        return Pregnancy(**p.model_dump(), provenance=self.prov("pregnancy"))

    def consent(self) -> Consent | None:
        c = self.doc.consent
        return None if c is None else Consent(**c.model_dump(), provenance=self.prov("consent"))

    def comorbidity(self, i: int, x: ComorbidityIn | str) -> Comorbidity:
        item = ComorbidityIn(name=x) if isinstance(x, str) else x
        term = condition_of(item.name)
        key = term.key if term and term.category == "comorbidity" else None
        return Comorbidity(name=item.name, key=key, code=item.code, nyha_class=item.nyha_class, date=item.date,
                           active=item.active, provenance=self.prov(f"comorbidities[{i}]", item.name))

    def negated(self, i: int, x: NegatedIn | str) -> NegatedFinding:
        item = NegatedIn(name=x) if isinstance(x, str) else x
        sites = metastasis_mentions(item.name)
        term = condition_of(item.name)
        key = f"{sites[0][0]}_metastases" if sites else term.key if term else None
        kind = item.kind
        if kind == "other" and (term is not None or sites):
            kind = "symptom" if term and term.category == "symptom" and not sites else "condition"
        return NegatedFinding(name=item.name, key=key, kind=kind,
                              provenance=self.prov(f"negated[{i}]", item.name))
