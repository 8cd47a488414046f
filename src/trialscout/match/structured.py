"""Criteria a trial states as structured fields (ages, sex) rather than in its criteria text."""

from __future__ import annotations

from trialscout.model import Study, age_in_years
from trialscout.model.criteria import Constraint, Criterion


def structured_criteria(study: Study) -> list[Criterion]:
    """The eligibility module's age range and sex as inclusion criteria (empty span: not from the text).

    Registries publish these even when a page carries no criteria text, and they decide eligibility as
    surely as any written criterion ("18 Years to 70 Years", "FEMALE").
    """
    em = study.eligibility
    if em is None:
        return []
    out: list[Criterion] = []
    lo, hi = age_in_years(em.minimumAge), age_in_years(em.maximumAge)
    if lo is not None or hi is not None:
        text = f"Age: {em.minimumAge or 'no minimum'} to {em.maximumAge or 'no maximum'} (trial record)"
        out.append(Criterion(type="inclusion", text=text, span=(0, 0), section="eligibility module",
                             constraints=[Constraint(kind="age", span=(0, 0), min_years=lo, max_years=hi)]))
    if em.sex is not None and em.sex.value != "ALL":
        out.append(Criterion(type="inclusion", text=f"Sex: {em.sex.value} (trial record)", span=(0, 0),
                             section="eligibility module",
                             constraints=[Constraint(kind="sex", span=(0, 0), sex=em.sex.value)]))
    return out
