"""Read a FHIR R4 Bundle (Patient, Condition, Observation, MedicationStatement/Request, Procedure) into PatientFacts.

Parsing and validation are done by the `fhir.resources` models (R4B, which reads R4 content for these resources);
a resource that does not validate is reported in `problems` and skipped, the rest is still read."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from trialscout import json_limits
from trialscout.model.patient import (
    Age,
    Biomarker,
    Comorbidity,
    Diagnosis,
    NegatedFinding,
    PatientFacts,
    Pregnancy,
    PriorTherapy,
    Problem,
    Provenance,
    Sex,
)
from trialscout.patient.checks import birth_date_ok, make_lab, make_performance, sex_value
from trialscout.patient.errors import PatientError
from trialscout.patient.fhir_util import (
    as_date,
    cc_codes,
    cc_text,
    describe_loc,
    effective_date,
    loinc_codes,
    period_of,
)
from trialscout.patient.rules import load
from trialscout.patient.vocab import (
    analyte_of,
    biomarker_name,
    biomarker_status,
    condition_of,
    drug_of,
    metastasis_mentions,
    modality_of,
)
from trialscout.vocab.analytes import loinc_index

CENSORING = ("<", "<=", ">", ">=")
"""FHIR Quantity.comparator codes that censor a result (the true value lies beyond it); the fifth code, `ad`
("sufficient to achieve this total quantity"), states no measured result."""
READ = ("Patient", "Condition", "Observation", "MedicationStatement", "MedicationRequest", "Procedure", "Medication")


def from_fhir(data: str | bytes | dict[str, Any], ref: str | None = None) -> PatientFacts:
    """PatientFacts from a FHIR R4 Bundle (JSON text or parsed); a document that is no Bundle raises PatientError."""
    if isinstance(data, (str, bytes)):
        from trialscout.patient.from_json import parse_json_text

        data = parse_json_text(data, ref)
    where = ref or "input"
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        kind = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise PatientError(f"expected a FHIR Bundle, found resourceType {kind!r}", where=where)
    json_limits.check(data, where, PatientError)
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        raise PatientError("Bundle.entry must be a list", where=where)
    reader = _Reader(ref)
    bundle = reader.validate_shell(data)
    resources = reader.validate_entries(entries)
    return reader.read(bundle, resources)


class _Reader:
    def __init__(self, ref: str | None) -> None:
        self.ref = ref
        self.problems: list[Problem] = []
        self.medications: dict[str, Any] = {}
        self.metastases: list[str] = []

    def prov(self, res: Any, path: str, text: Any = None) -> Provenance:
        rid = f"{res.__resource_type__}/{res.id}" if getattr(res, "id", None) else res.__resource_type__
        where = f"{self.ref}#{rid}" if self.ref else rid
        return Provenance(source="fhir", ref=where, path=path, text=None if text is None else str(text))

    def field(self, res: Any, path: str) -> str:
        rid = f"{res.__resource_type__}/{res.id}" if getattr(res, "id", None) else res.__resource_type__
        return f"{rid}.{path}"

    def validate_shell(self, data: dict[str, Any]) -> Bundle | None:
        """The Bundle without its entries; an invalid shell field (an id FHIR does not allow) is reported and the
        shell's own fields (its timestamp) are not used, but the entries are still read."""
        try:
            return Bundle.model_validate({k: v for k, v in data.items() if k != "entry"})
        except ValidationError as exc:
            err = exc.errors()[0]
            self.problems.append(Problem(field=f"Bundle.{describe_loc(err['loc'])}", severity="warning",
                                         message=f"invalid Bundle field: {err['msg']}; the Bundle's own fields "
                                                 "(timestamp) are not used, its entries are"))
            return None

    def validate_entries(self, entries: list[Any]) -> list[Any]:
        out = []
        for i, entry in enumerate(entries):
            raw = entry.get("resource") if isinstance(entry, dict) else None
            kind = raw.get("resourceType") if isinstance(raw, dict) else None
            if kind not in READ:
                if kind is None:
                    self.problems.append(Problem(field=f"entry[{i}]", message="entry without a resource; skipped"))
                continue
            try:
                out.append(get_fhir_model_class(kind).model_validate(raw))
            except ValidationError as exc:
                err = exc.errors()[0]
                self.problems.append(Problem(field=f"entry[{i}].resource({kind}).{describe_loc(err['loc'])}",
                                             message=f"invalid {kind}: {err['msg']}; resource skipped"))
        return out

    def read(self, bundle: Bundle | None, resources: list[Any]) -> PatientFacts:
        facts = PatientFacts(as_of=as_date(bundle.timestamp) if bundle else None)
        self.medications = {f"Medication/{r.id}": r for r in resources if r.__resource_type__ == "Medication"}
        handlers = {"Patient": self.patient, "Condition": self.condition, "Observation": self.observation,
                    "MedicationStatement": self.medication, "MedicationRequest": self.medication,
                    "Procedure": self.procedure}
        for res in resources:
            handler = handlers.get(res.__resource_type__)
            if handler is not None:
                self.guarded(handler, res, facts)
        _attach_metastases(facts, self.metastases)
        facts.problems = self.problems + facts.problems
        return facts

    def guarded(self, handler: Any, res: Any, facts: PatientFacts) -> None:
        """Read one resource; a value our facts cannot hold skips that resource (with a Problem), never the patient."""
        try:
            handler(res, facts)
        except (ValidationError, ValueError, ArithmeticError) as exc:
            what = describe_loc(exc.errors()[0]["loc"]) if isinstance(exc, ValidationError) else type(exc).__name__
            self.problems.append(Problem(field=self.field(res, "*"),
                                         message=f"a value could not be read ({what}); resource skipped"))

    def patient(self, res: Any, facts: PatientFacts) -> None:
        facts.id = facts.id or res.id
        value = sex_value(res.gender)
        if value:
            facts.sex = Sex(value=value, provenance=self.prov(res, "gender", res.gender))  # type: ignore[arg-type]
        born = as_date(res.birthDate)
        if born and birth_date_ok(born, facts.as_of, self.field(res, "birthDate"), self.problems):
            facts.age = Age(birth_date=born, provenance=self.prov(res, "birthDate", res.birthDate))

    def condition(self, res: Any, facts: PatientFacts) -> None:
        name = cc_text(res.code) or "unnamed condition"
        verification = cc_text(res.verificationStatus)
        if verification in ("entered-in-error",):
            return
        if verification == "refuted":
            term = condition_of(name)
            facts.negated.append(NegatedFinding(name=name, key=term.key if term else None, kind="condition",
                                                provenance=self.prov(res, "verificationStatus", name)))
            return
        codes = list(cc_codes(res.code))
        sites = _metastasis_sites(name, codes)
        if sites:
            self.metastases.extend(sites)
            return
        term = condition_of(name)
        date = as_date(res.onsetDateTime) or as_date(res.recordedDate)
        prov = self.prov(res, "code", name)
        if (term and term.category == "cancer") or _is_neoplasm(codes):
            stage = cc_text(res.stage[0].summary) if res.stage else None
            code = term.key if term else None
            if code in (None, "ADNOS", "SCCNOS"):
                code = _icd10_oncotree(codes) or code
            facts.diagnoses.append(Diagnosis(name=name, oncotree_code=code,
                                             histology=(term.data or {}).get("histology") if term else None,
                                             stage=_stage(stage), date=date, provenance=prov))
            return
        status = cc_text(res.clinicalStatus)
        code = next((f"{s.rsplit('/', 1)[-1]}|{c}" for s, c in codes), None)
        facts.comorbidities.append(Comorbidity(
            name=name, key=term.key if term and term.category == "comorbidity" else None, code=code, date=date,
            active=None if status is None else status in ("active", "recurrence", "relapse"), provenance=prov))

    def observation(self, res: Any, facts: PatientFacts) -> None:
        if res.status in ("entered-in-error", "cancelled"):
            return
        codes = loinc_codes(res.code)
        text = cc_text(res.code) or ""
        table = load("loinc.json")
        if any(c in table["performance"] for c in codes) or _scale_from_text(text):
            self.performance(res, facts, codes, text)
        elif any(c in loinc_index() for c in codes) or (res.valueQuantity is not None and analyte_of(text)):
            self.lab(res, facts, codes, text)
        elif any(c in table["pregnancy"] + table["breastfeeding"] + table["menopause"] for c in codes):
            self.pregnancy(res, facts, codes)
        elif biomarker_name(next(iter(text.split()), "")):
            self.biomarker(res, facts, text)
        else:
            self.problems.append(Problem(field=self.field(res, "code"), severity="warning",
                                         message=f"Observation {text or codes!r} is not one we read; not used"))

    def lab(self, res: Any, facts: PatientFacts, codes: list[str], text: str) -> None:
        table = loinc_index()
        code = next((c for c in codes if c in table), None)
        analyte = table[code] if code else analyte_of(text)
        q = res.valueQuantity
        if q is None or q.value is None:
            self.problems.append(Problem(field=self.field(res, "value[x]"), severity="warning",
                                         message=f"{analyte}: no numeric valueQuantity; not used"))
            return
        if q.comparator is not None and q.comparator not in CENSORING:
            self.problems.append(Problem(field=self.field(res, "valueQuantity.comparator"), severity="warning",
                                         message=f"{analyte}: {_comparator_why(q.comparator)}; not used"))
            return
        rng = res.referenceRange[0] if res.referenceRange else None
        lab = make_lab(analyte or text, float(q.value), q.unit or q.code, self.field(res, "valueQuantity"),
                       self.prov(res, "valueQuantity", f"{q.value} {q.unit or q.code or ''}".strip()), self.problems,
                       comparator=q.comparator, date=effective_date(res), loinc=code,
                       uln=float(rng.high.value) if rng and rng.high and rng.high.value is not None else None,
                       lln=float(rng.low.value) if rng and rng.low and rng.low.value is not None else None)
        if lab:
            facts.labs.append(lab)

    def performance(self, res: Any, facts: PatientFacts, codes: list[str], text: str) -> None:
        table = load("loinc.json")
        scale = next((table["performance"][c] for c in codes if c in table["performance"]), None)
        scale = scale or _scale_from_text(text)
        value = _performance_value(res, table["ecog_answers"])
        if value is None:
            self.problems.append(Problem(field=self.field(res, "value[x]"),
                                         message=f"{scale}: no score found; not used"))
            return
        ps = make_performance(scale or "ECOG", value, self.field(res, "value[x]"),
                              self.prov(res, "value[x]", value), self.problems, effective_date(res))
        if ps:
            facts.performance_status.append(ps)

    def pregnancy(self, res: Any, facts: PatientFacts, codes: list[str]) -> None:
        table = load("loinc.json")
        answer = [c for _, c in cc_codes(res.valueCodeableConcept)] + ([str(res.valueBoolean).lower()]
                                                                       if res.valueBoolean is not None else [])
        yes = any(a in table["positive_codes"] or a == "true" for a in answer)
        no = any(a in table["negative_codes"] or a == "false" for a in answer)
        if yes == no:
            return
        current = facts.pregnancy or Pregnancy(provenance=self.prov(res, "value[x]", cc_text(res.valueCodeableConcept)))
        if any(c in table["pregnancy"] for c in codes):
            current.pregnant = yes
        elif any(c in table["breastfeeding"] for c in codes):
            current.breastfeeding = yes
        else:
            current.postmenopausal = yes
        facts.pregnancy = current

    def biomarker(self, res: Any, facts: PatientFacts, text: str) -> None:
        name = biomarker_name(text.split()[0])
        value_text = cc_text(res.valueCodeableConcept) or res.valueString
        status = biomarker_status(value_text) if value_text else None
        score = float(res.valueQuantity.value) if res.valueQuantity and res.valueQuantity.value is not None else None
        facts.biomarkers.append(Biomarker(name=name or text, status=status, score=score, date=effective_date(res),
                                          variant=None if status else value_text,
                                          provenance=self.prov(res, "value[x]", value_text or score)))

    def medication(self, res: Any, facts: PatientFacts) -> None:
        if res.status in ("entered-in-error", "cancelled"):
            return
        cc = res.medicationCodeableConcept
        if cc is None and res.medicationReference is not None:
            med = self.medications.get(res.medicationReference.reference or "")
            cc = med.code if med else None
        name = cc_text(cc) or (res.medicationReference.display if res.medicationReference else None) or "unnamed"
        prov = self.prov(res, "medication[x]", name)
        if res.status == "not-taken":
            facts.negated.append(NegatedFinding(name=name, key=(drug_of(name) or (None,))[0], kind="therapy",
                                                provenance=prov))
            return
        start, end = period_of(res)
        drug = drug_of(name)
        facts.prior_therapies.append(PriorTherapy(
            modality="drug", agent=drug[0] if drug else name.lower(), agent_class=drug[1] if drug else None,
            start=start, end=end, current=res.status in ("active", "intended", "on-hold") or None, provenance=prov))

    def procedure(self, res: Any, facts: PatientFacts) -> None:
        if res.status in ("entered-in-error", "preparation"):
            return
        name = cc_text(res.code) or "unnamed procedure"
        prov = self.prov(res, "code", name)
        if res.status == "not-done":
            facts.negated.append(NegatedFinding(name=name, kind="therapy", provenance=prov))
            return
        modality = modality_of(name) or modality_of(cc_text(res.category) or "") or "other"
        start, end = period_of(res)
        facts.prior_therapies.append(PriorTherapy(modality=modality, agent=name, start=start, end=end,
                                                  current=res.status == "in-progress" or None, provenance=prov))


def _comparator_why(code: str) -> str:
    if code == "ad":
        return "valueQuantity.comparator 'ad' (sufficient to achieve this total) states no measured result"
    return "valueQuantity.comparator is not a FHIR comparator code (<, <=, >, >=, ad)"


def _metastasis_sites(name: str, codes: list[tuple[str, str]]) -> list[str]:
    data = load("conditions.json")
    sites = [data["icd10_metastasis"].get(c) or data["icd10_metastasis"].get(c[:3]) for s, c in codes
             if "icd-10" in s.lower() and c.startswith(("C77", "C78", "C79"))]
    sites += [data["snomed_metastasis"][c] for s, c in codes if "snomed" in s and c in data["snomed_metastasis"]]
    sites += [site for site, _, _ in metastasis_mentions(name)]
    return list(dict.fromkeys(x for x in sites if x))


def _attach_metastases(facts: PatientFacts, sites: list[str]) -> None:
    if not sites or not facts.diagnoses:
        return
    primary = facts.diagnoses[0]
    for site in sites:
        if site not in primary.metastatic_sites:
            primary.metastatic_sites.append(site)
    if "metastatic" not in primary.setting:
        primary.setting.append("metastatic")


def _icd10_oncotree(codes: list[tuple[str, str]]) -> str | None:
    table = load("conditions.json")["icd10_oncotree"]
    for system, code in codes:
        if "icd-10" in system.lower():
            hit = table.get(code[:5]) or table.get(code[:3])
            if hit:
                return hit
    return None


def _is_neoplasm(codes: list[tuple[str, str]]) -> bool:
    prefixes = tuple(load("conditions.json")["icd10_neoplasm_prefixes"])
    return any("icd-10" in s.lower() and c.upper().startswith(prefixes) for s, c in codes)


def _stage(text: str | None) -> str | None:
    if not text:
        return None
    from trialscout.patient.note_facts import parse_stage

    return parse_stage(text) or text


def _scale_from_text(text: str) -> str | None:
    low = text.lower()
    return next((scale for word, scale in load("loinc.json")["performance_terms"].items() if word in low), None)


def _performance_value(res: Any, answers: dict[str, int]) -> float | None:
    if res.valueInteger is not None:
        return float(res.valueInteger)
    if res.valueQuantity is not None and res.valueQuantity.value is not None:
        return float(res.valueQuantity.value)
    for _, code in cc_codes(res.valueCodeableConcept):
        if code in answers:
            return float(answers[code])
        if code.lstrip("-").isdigit():
            return float(code)
    text = cc_text(res.valueCodeableConcept) or res.valueString or ""
    digits = "".join(ch for ch in text.split()[0] if ch.isdigit() or ch == "-") if text.split() else ""
    return float(digits) if digits.lstrip("-").isdigit() else None

