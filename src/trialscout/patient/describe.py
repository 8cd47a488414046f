"""A readable summary of PatientFacts for people (the `trialscout patient` output without --json)."""

from __future__ import annotations

from trialscout.model.patient import Diagnosis, Lab, PatientFacts, PriorTherapy


def describe(facts: PatientFacts) -> str:
    """Several lines saying what was understood, then the problems found in the input."""
    lines = [f"Patient {facts.id}" if facts.id else "Patient", *_demographics(facts)]
    lines += _section("Diagnoses", [_dx(d) for d in facts.diagnoses])
    lines += _section("Biomarkers", [" ".join(x for x in (b.name, b.status or "", b.variant or "",
                                                          f"{b.score:g} {b.score_type or ''}" if b.score is not None
                                                          else "") if x).strip() for b in facts.biomarkers])
    lines += _section("Labs", [_lab(lab) for lab in facts.labs])
    lines += _section("Performance status", [f"{p.scale} {p.value}" + (f" ({p.date})" if p.date else "")
                                             for p in facts.performance_status])
    lines += _section("Prior therapies", [_therapy(t) for t in facts.prior_therapies])
    lines += _section("Comorbidities", [c.name + (f" [{c.key}]" if c.key else "") for c in facts.comorbidities])
    lines += _section("Does not have", [n.name + (f" [{n.key}]" if n.key else "") for n in facts.negated])
    lines += _section("Problems", [f"{p.severity}: {p.field}: {p.message}" for p in facts.problems])
    return "\n".join(lines)


def _demographics(facts: PatientFacts) -> list[str]:
    age = facts.age_years()
    parts = [f"age {age:.0f}" if age is not None and age >= 2 else f"age {age:.2f} years" if age is not None
             else "age unknown", facts.sex.value.lower() if facts.sex else "sex unknown"]
    if facts.as_of:
        parts.append(f"as of {facts.as_of}")
    p = facts.pregnancy
    if p:
        for name in ("pregnant", "breastfeeding", "postmenopausal"):
            value = getattr(p, name)
            if value is not None:
                parts.append(name if value else f"not {name}")
    return ["  " + ", ".join(parts)]


def _section(title: str, items: list[str]) -> list[str]:
    return [f"{title}:", *(f"  - {item}" for item in items)] if items else []


def _dx(d: Diagnosis) -> str:
    bits = [d.name, f"[{d.oncotree_code}]" if d.oncotree_code else "", f"stage {d.stage}" if d.stage else "",
            ", ".join(d.setting), "mets: " + ", ".join(d.metastatic_sites) if d.metastatic_sites else ""]
    return " ".join(b for b in bits if b)


def lab_text(lab: Lab, name: str | None = None) -> str:
    """A lab result as read ('creatinine 1.2 mg/dL (= 106 umol/L)'), without its date; `name` replaces the analyte
    key (a page shows it in words)."""
    text = f"{name or lab.analyte} {lab.comparator or ''}{lab.value:g} {lab.unit or ''}".strip()
    if lab.value_std is not None and lab.unit != lab.unit_std:
        text += f" (= {lab.value_std:g} {lab.unit_std})"
    if not lab.unit_known:
        text += " (unit not recognised, not converted)"
    return text


def _lab(lab: Lab) -> str:
    return lab_text(lab) + (f" on {lab.date}" if lab.date else "")


def _therapy(t: PriorTherapy) -> str:
    what = t.agent or t.agent_class or t.modality
    bits = [what, f"({t.agent_class})" if t.agent and t.agent_class else "",
            t.modality if t.modality != "drug" else "", f"from {t.start}" if t.start else "",
            f"to {t.end}" if t.end else "", f"response {t.response}" if t.response else "",
            "ongoing" if t.current else ""]
    return " ".join(b for b in bits if b)
