"""What was understood of a patient, as the pages show it, built from the PatientFacts themselves: the facts the
record states, what it says the patient does not have, and (for one trial) what was presumed absent. Every fact
keeps where it came from. Values stay plain text here; the templates escape them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from trialscout.model.match import CriterionResult
from trialscout.model.patient import (
    Biomarker,
    Comorbidity,
    Consent,
    Diagnosis,
    Lab,
    NegatedFinding,
    PatientFacts,
    Pregnancy,
    PriorTherapy,
    Provenance,
)
from trialscout.patient.describe import lab_text
from trialscout.web.labels import fact_group_title

F = TypeVar("F")


def patient_view(facts: PatientFacts, results: list[CriterionResult] | None = None) -> dict[str, Any]:
    """`present`: groups of stated facts; `absent`: what the record says the patient does not have; `presumed`
    (given one trial's results, else None): the criteria passed on the record's silence, with what to confirm."""
    return {"id": facts.id, "as_of": facts.as_of.isoformat() if facts.as_of else None,
            "present": present_groups(facts), "absent": _unique([_absent(n) for n in facts.negated]),
            "presumed": None if results is None else presumed_items(results),
            "problems": [p.model_dump() for p in facts.problems]}


def present_groups(facts: PatientFacts) -> list[dict[str, Any]]:
    """The stated facts by group (only groups with something in them), in the order a clinician reads them."""
    groups = [
        ("demographics", _demographics(facts)),
        ("diagnoses", _items(facts.diagnoses, _diagnosis)),
        ("biomarkers", _items(facts.biomarkers, _biomarker)),
        ("labs", _items(facts.labs, _lab)),
        ("performance_status", _items(facts.performance_status, lambda p: f"{p.scale} {p.value}" + _on(p.date))),
        ("therapies", _items(facts.prior_therapies, _therapy)),
        ("comorbidities", _items(facts.comorbidities, _comorbidity)),
        ("pregnancy", _statements(facts.pregnancy, _pregnancy)),
        ("consent", _statements(facts.consent, _consent)),
    ]
    return [{"id": key, "title": fact_group_title(key), "items": _unique(items)} for key, items in groups if items]


def presumed_items(results: Iterable[CriterionResult]) -> list[dict[str, Any]]:
    """The criteria passed only because the record is silent (the ones the trial's counts call presumed)."""
    return [{"index": r.index, "type": r.type, "text": r.text, "question": r.question} for r in results
            if r.verdict == "pass" and r.presumed and r.alternative_of is None]


def fact(text: str, provenance: Provenance | None) -> dict[str, Any]:
    """One fact as shown: its words, the words of the record it was read from, and where those are."""
    if provenance is None:
        return {"text": text}
    return {"text": text, "said": provenance.text, "where": where(provenance),
            "source": provenance.model_dump(mode="json", exclude_none=True)}


def where(p: Provenance) -> str:
    """`note, characters 12–30`; `patient.json at labs[2].value`; `Observation/obs-1 at valueQuantity`."""
    origin = p.ref or {"note": "note", "json": "patient document", "fhir": "FHIR Bundle"}[p.source]
    if p.source == "note" and p.ref and "note" not in p.ref.lower():
        origin = f"note {p.ref}"
    at = f" at {p.path}" if p.path else ""
    span = f", characters {p.span[0]}–{p.span[1]}" if p.span else ""
    return f"{origin}{at}{span}"


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each fact once: a record (or its reader) may state the same thing twice at the same place."""
    seen: set[tuple[str, str | None]] = set()
    out = []
    for item in items:
        if (item["text"], item.get("where")) not in seen:
            seen.add((item["text"], item.get("where")))
            out.append(item)
    return out


def _items(found: Iterable[F], words: Callable[[F], str]) -> list[dict[str, Any]]:
    return [fact(words(f), getattr(f, "provenance", None)) for f in found]


def _demographics(facts: PatientFacts) -> list[dict[str, Any]]:
    out = []
    if facts.age is not None:
        years = facts.age_years()
        text = "age unknown" if years is None else f"{years:.0f} years" if years >= 2 else f"{years:.2f} years"
        if facts.age.birth_date:
            text += f" (born {facts.age.birth_date.isoformat()})"
        out.append(fact(text, facts.age.provenance))
    if facts.sex is not None:
        out.append(fact(facts.sex.value.lower(), facts.sex.provenance))
    return out


def _diagnosis(d: Diagnosis) -> str:
    bits = [d.name, f"[{d.oncotree_code}]" if d.oncotree_code else "",
            f"({d.histology})" if d.histology and d.histology.lower() not in d.name.lower() else "",
            f"stage {d.stage}" if d.stage else "", ", ".join(_words(s) for s in d.setting),
            "metastases: " + ", ".join(_words(s) for s in d.metastatic_sites) if d.metastatic_sites else "",
            f"diagnosed {d.date.isoformat()}" if d.date else ""]
    return " ".join(b for b in bits if b)


def _biomarker(b: Biomarker) -> str:
    score = f"{b.score:g} {b.score_type or ''}".strip() if b.score is not None else ""
    bits = [b.name, _words(b.status or ""), b.variant or "", score]
    return " ".join(x for x in bits if x) + _on(b.date)


def _lab(lab: Lab) -> str:
    return lab_text(lab, _words(lab.analyte)) + _on(lab.date)


def _therapy(t: PriorTherapy) -> str:
    what = t.agent or _words(t.agent_class or "") or t.modality
    bits = [what, f"({_words(t.agent_class)})" if t.agent and t.agent_class else "",
            t.modality if t.modality != "drug" and t.modality not in what.lower() else "",
            f"line {t.line}" if t.line else "", f"from {t.start}" if t.start else "", f"to {t.end}" if t.end else "",
            f"response {t.response}" if t.response else "", "ongoing" if t.current else ""]
    return " ".join(b for b in bits if b)


def _comorbidity(c: Comorbidity) -> str:
    bits = [c.name, f"NYHA class {c.nyha_class}" if c.nyha_class else "",
            "(resolved or past)" if c.active is False else "", f"since {c.date.isoformat()}" if c.date else ""]
    return " ".join(b for b in bits if b)


def _statements(found: F | None, words: Callable[[F], list[str]]) -> list[dict[str, Any]]:
    """One fact per statement of a record part that says several things (not pregnant, postmenopausal)."""
    if found is None:
        return []
    return [fact(text, getattr(found, "provenance", None)) for text in words(found)]


def _pregnancy(p: Pregnancy) -> list[str]:
    out = [name if value else f"not {name}" for name in ("pregnant", "breastfeeding", "postmenopausal")
           if (value := getattr(p, name)) is not None]
    if p.gestational_weeks is not None:
        out.append(f"{p.gestational_weeks:g} weeks of gestation")
    return out


def _consent(c: Consent) -> list[str]:
    out = []
    if c.consent is not None:
        out.append("will give informed consent" if c.consent else "will not or cannot give informed consent")
    if c.comply is not None:
        out.append("will follow a trial's protocol" if c.comply else "will not or cannot follow a trial's protocol")
    return out


def _absent(n: NegatedFinding) -> dict[str, Any]:
    kind = "" if n.kind == "other" else n.kind
    return {**fact(n.name, n.provenance), "kind": kind or None, "key": n.key}


def _words(key: str) -> str:
    """A vocabulary key as words: `aromatase_inhibitor` → `aromatase inhibitor`, `cdk4_6_inhibitor` → `cdk4/6 …`."""
    return re.sub(r"(?<=\d)_(?=\d)", "/", key).replace("_", " ")


def _on(date: Any) -> str:
    return f" on {date.isoformat()}" if date else ""
