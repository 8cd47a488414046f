"""Criteria a trial states as structured fields (ages, sex) rather than in its criteria text."""

from __future__ import annotations

from functools import lru_cache

from trialscout.model import Study, age_in_years
from trialscout.model.compiled import HELD, CompiledCriterion, compile_criteria
from trialscout.model.criteria import Constraint, Criterion


def structured_criteria(study: Study) -> list[CompiledCriterion]:
    """The eligibility module's age range and sex as inclusion criteria (empty span: not from the text).

    Registries publish these even when a page carries no criteria text, and they decide eligibility as
    surely as any written criterion ("18 Years to 70 Years", "FEMALE").
    """
    em = study.eligibility
    if em is None:
        return []
    return list(record_criteria(em.minimumAge, em.maximumAge, em.sex.value if em.sex is not None else None))


@lru_cache(maxsize=4096)
def record_criteria(minimum_age: str | None, maximum_age: str | None, sex: str | None
                    ) -> tuple[CompiledCriterion, ...]:
    """The criteria of a record's age range (`18 Years`, `70 Years`) and sex (`FEMALE`, `MALE`, `ALL`), in their
    compiled form; cached: a registry has few distinct ranges, and the criteria are only read. They are shared by
    every trial with the same range, and held: what matching works out from them alone is worked out once (they
    depend on no trial's text)."""
    out: list[Criterion] = []
    lo, hi = age_in_years(minimum_age), age_in_years(maximum_age)
    if lo is not None or hi is not None:
        text = f"Age: {minimum_age or 'no minimum'} to {maximum_age or 'no maximum'} (trial record)"
        out.append(Criterion(type="inclusion", text=text, span=(0, 0), section="eligibility module",
                             constraints=[Constraint(kind="age", span=(0, 0), min_years=lo, max_years=hi)]))
    if sex is not None and sex != "ALL":
        out.append(Criterion(type="inclusion", text=f"Sex: {sex} (trial record)", span=(0, 0),
                             section="eligibility module",
                             constraints=[Constraint(kind="sex", span=(0, 0), sex=sex)]))
    compiled = tuple(CompiledCriterion(doc, "") for doc in compile_criteria(out, ""))
    for criterion in compiled:
        criterion.memo = HELD
    return compiled
