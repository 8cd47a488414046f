"""Criteria × patient facts → a verdict per criterion (with evidence) and a verdict per trial."""

from __future__ import annotations

import datetime as dt
import re

from trialscout.match.facts import CHECKS, Finding, check_condition
from trialscout.model.criteria import Constraint, Criterion
from trialscout.model.match import CriterionResult, Eligibility, Evidence, Verdict
from trialscout.model.patient import PatientFacts

_OR_BETWEEN = re.compile(r"\b(or|either)\b|/", re.IGNORECASE)


def constraint_verdict(c: Constraint, criterion_type: str, finding: Finding) -> Verdict:
    """Turn 'does the statement hold' into pass/fail for this criterion's polarity.

    Inclusion: the statement must hold. Exclusion: it must not. A negated statement ("no brain
    metastases") flips it. A hypothetical one ("if of childbearing potential, ...") can pass but never fail:
    whether its condition applies is not known.
    """
    if finding.holds is None:
        return "unknown"
    statement = not finding.holds if c.negated else finding.holds
    ok = statement if criterion_type == "inclusion" else not statement
    if c.hypothetical and not ok:
        return "unknown"
    return "pass" if ok else "fail"


def evaluate_criterion(index: int, criterion: Criterion, block: str, facts: PatientFacts,
                       today: dt.date) -> CriterionResult:
    usable = _applicable(criterion.constraints, facts, today)
    evidence = [_evidence(c, criterion, block, facts, today) for c in usable]
    verdict = _combine(criterion, usable, evidence, block)
    computable = bool(usable)
    question = None
    if verdict == "unknown" and computable:
        question = next((e.reason for e in evidence if e.verdict == "unknown"), None)
    return CriterionResult(index=index, type=criterion.type, text=criterion.text, span=criterion.span,
                           computable=computable, verdict=verdict if computable else "unknown",
                           evidence=evidence, question=question)


def _applicable(constraints: list[Constraint], facts: PatientFacts, today: dt.date) -> list[Constraint]:
    """Computable constraints that apply: a limit 'in the presence of liver metastases' replaces the
    general limit for the same analyte when the patient has them, and is dropped otherwise."""
    usable = [c for c in constraints if c.computable and c.kind in CHECKS]
    conditional = [c for c in usable if c.kind == "lab" and c.applies_if]
    if not conditional:
        return usable
    keep = [c for c in usable if c not in conditional]
    for c in conditional:
        if _condition_present(c.applies_if or "", facts, today):
            keep = [k for k in keep if not (k.kind == "lab" and k.analyte == c.analyte)] + [c]
    return keep


def _condition_present(applies_if: str, facts: PatientFacts, today: dt.date) -> bool:
    site = applies_if.removesuffix("_metastases").removesuffix("_metastasis")
    if site != applies_if:
        probe = Constraint(kind="condition", span=(0, 0), metastasis_site=site)
        return check_condition(probe, facts, today).holds is True
    key = applies_if.replace("_syndrome", "")
    return any(key in (m.key or m.name.lower()) for m in facts.comorbidities)


def _evidence(c: Constraint, criterion: Criterion, block: str, facts: PatientFacts, today: dt.date) -> Evidence:
    finding = CHECKS[c.kind](c, facts, today)
    start, end = c.span
    words = block[start:end] if 0 <= start < end <= len(block) else criterion.text
    return Evidence(verdict=constraint_verdict(c, criterion.type, finding), reason=finding.reason,
                    constraint=c.to_contract(), criterion_text=words, fact=finding.fact, source=finding.source)


def _combine(criterion: Criterion, constraints: list[Constraint], evidence: list[Evidence], block: str) -> Verdict:
    """All constraints must pass, except alternatives: same-kind constraints joined by 'or' in an inclusion
    criterion ("breast or ovarian cancer") need only one to pass."""
    if not evidence:
        return "unknown"
    groups = _groups(criterion.type, constraints, block)
    verdicts = []
    for group in groups:
        members = [evidence[i].verdict for i in group]
        if "pass" in members and len(group) > 1:
            verdicts.append("pass")
        elif "unknown" in members and len(group) > 1:
            verdicts.append("unknown")
        else:
            verdicts.append("fail" if "fail" in members else ("unknown" if "unknown" in members else "pass"))
    if "fail" in verdicts:
        return "fail"
    return "unknown" if "unknown" in verdicts else "pass"


def _groups(criterion_type: str, constraints: list[Constraint], block: str) -> list[list[int]]:
    groups: list[list[int]] = []
    for i, c in enumerate(constraints):
        if groups and criterion_type == "inclusion":
            prev = constraints[groups[-1][-1]]
            between = block[prev.span[1]:c.span[0]] if prev.span[1] <= c.span[0] else ""
            if prev.kind == c.kind and _OR_BETWEEN.search(between) and len(between) < 60:
                groups[-1].append(i)
                continue
        groups.append([i])
    return groups


def trial_eligibility(results: list[CriterionResult]) -> Eligibility:
    computable = [r for r in results if r.computable]
    if any(r.verdict == "fail" for r in computable):
        return "ineligible"
    if computable and all(r.verdict == "pass" for r in computable):
        return "eligible"
    return "uncertain"


_ORDER = {"fail": 0, "unknown": 1, "pass": 2}


def ordered(results: list[CriterionResult]) -> list[CriterionResult]:
    """Failing criteria first, then unknowns (the questions to ask), then passes, then non-computable ones."""
    return sorted(results, key=lambda r: (not r.computable, _ORDER[r.verdict], r.index))


def evaluate(criteria: list[Criterion], block: str, facts: PatientFacts,
             today: dt.date | None = None) -> tuple[Eligibility, list[CriterionResult]]:
    when = facts.as_of or today or dt.date.today()
    results = [evaluate_criterion(i, c, block, facts, when) for i, c in enumerate(criteria)]
    return trial_eligibility(results), ordered(results)
