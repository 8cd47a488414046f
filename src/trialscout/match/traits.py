"""What matching works out from a criterion alone, whoever the patient: worked out once for a held trial.

A trial held between matches (`app.held_trials`, `model.compiled.load_trial(..., remember=True)`) keeps, on each
criterion, a memo: its `Traits`, and the plan its constraints combine by when they all apply (`match.evaluate`).
Memos are shared between the criteria that have the same one (most criteria share a few shapes), so holding them
costs a pointer a criterion. A criterion read for one match keeps nothing, and each is worked out where it is
needed, as before.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from trialscout.criteria.coverage import pass_max_unread_share, unread_limit, unread_share
from trialscout.criteria.remarks import permits
from trialscout.match.facts import CHECKS
from trialscout.match.policy import record_cannot_tell
from trialscout.match.population import conditional_sex, menopause_condition, names_population, words_of
from trialscout.match.vocab import checkable_settings
from trialscout.model.compiled import CompiledCriterion
from trialscout.model.criteria import Constraint, Criterion


class Traits(NamedTuple):
    permits: bool
    """It only permits something (`criteria.remarks.permits`): every patient meets it."""
    cannot_tell: bool
    """It asks what a clinical record does not hold (`policy.record_cannot_tell`)."""
    partly_read: bool
    """Too many of its content words unread, or a limit's word among them, for a pass to stand."""
    names_population: bool
    """A constraint names a sex or a pregnancy status (`population.names_population`)."""
    conditional_sex: bool
    """Its words make a sex its condition (`population.conditional_sex`)."""
    menopause: str | None
    """The menopausal status it applies to (`population.menopause_condition`)."""
    usable: tuple[bool, ...]
    """For each constraint, whether the matcher can check it (`usable`)."""
    conditional_limits: bool
    """A usable lab limit applies only with a condition ('in the presence of liver metastases'): which limits
    apply depends on the patient."""


_SHARED: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def memo_of(criterion: Criterion) -> tuple[Any, ...] | None:
    """A held criterion's memo: `HELD` (nothing worked out yet), (traits,), or (traits, the polarity its plan
    was made for, the plan); None for any other criterion."""
    return criterion.memo if type(criterion) is CompiledCriterion else None  # type: ignore[attr-defined]


def remember(criterion: Criterion, *memo: Any) -> None:
    """Set a held criterion's memo, shared with every criterion that has the same."""
    criterion.memo = _SHARED.setdefault(memo, memo)  # type: ignore[attr-defined]


def traits_of(criterion: Criterion, block: str) -> Traits | None:
    """The criterion's traits, worked out on first use, for a held criterion; None for any other."""
    memo = memo_of(criterion)
    if memo is None:
        return None
    if not memo:
        remember(criterion, _work_out(criterion, block))
        memo = memo_of(criterion)
    return memo[0]  # type: ignore[index,no-any-return]


def known_traits(criterion: Criterion) -> Traits | None:
    """The traits already worked out for a held criterion (`traits_of`), else None."""
    memo = memo_of(criterion)
    return memo[0] if memo else None


def _work_out(criterion: Criterion, block: str) -> Traits:
    words = words_of(criterion, block)
    return Traits(permits=permits(criterion.text), cannot_tell=record_cannot_tell(criterion.text),
                  partly_read=partly_read(criterion), names_population=names_population(criterion),
                  conditional_sex=conditional_sex(words), menopause=menopause_condition(words),
                  usable=tuple(usable(c) for c in criterion.constraints),
                  conditional_limits=any(c.kind == "lab" and c.applies_if and usable(c) for c in criterion.constraints))


def partly_read(criterion: Criterion) -> bool:
    """Too many of the criterion's content words unread, or a word of a limit among them, for a pass to stand."""
    return unread_share(criterion.text, criterion.unread) > pass_max_unread_share() or unread_limit(criterion.unread)


def usable(c: Constraint) -> bool:
    """Whether the matcher can check the constraint: computable, of a kind it checks, and checkable."""
    return c.computable and c.kind in CHECKS and checkable(c)


def checkable(c: Constraint) -> bool:
    """False for a condition that says only how the disease was established ("histologically confirmed"): no
    record lists that, so the constraint is not computable for the matcher."""
    if c.kind != "condition":
        return True
    return any(v is not None for v in (c.code, c.stage, c.metastasis_site, c.size_cm, c.lesion_count, c.measurable)) \
        or bool(checkable_settings(c.setting))
