"""The compiled form of a trial's criteria: built once at ingest, stored small, read back without validation.

The stored document holds what matching needs and nothing else: the eligibility block, the record's age range
and sex, and each criterion with only the fields that differ from their defaults (no nulls), its text left out
when it is the block's own words at its span (no repeated text). `FORMAT` says which layout wrote it; the
store keeps beside it the fingerprint of the engine that parsed the criteria.

Reading it builds `CompiledCriterion` and `CompiledConstraint`: plain objects with the same attributes and
read-only methods as the pydantic `Criterion` and `Constraint`, so the matcher evaluates them alike, at a
fraction of the cost in time and memory. They are checked when they are written (they come from validated
models), not again when they are read.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from trialscout.model.criteria import Constraint, ConstraintReading, Criterion, criterion_contract

FORMAT = 2
"""Version of the stored layout (1 was the full `Criterion.model_dump`, nulls and all)."""


HELD: tuple[Any, ...] = ()
"""The memo of a held trial's criterion before matching has worked anything out from it (`match.traits`)."""


class _Plain:
    """Attributes from a dict of the fields that are set; every other field reads as its class default."""

    def __eq__(self, other: object) -> bool:  # as pydantic compares models: same class, same field values
        return type(other) is type(self) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # unhashable, as the pydantic models are

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


class CompiledConstraint(ConstraintReading, _Plain):
    """A `Constraint` as matching reads it (same attributes, `computable`, `kind_fields`, `to_contract`)."""

    kind: str
    span: tuple[int, int]

    def __init__(self, fields: dict[str, Any]) -> None:
        # the words a registry repeats in every trial ('lab', '>=', '10*9/L', 'platelets') are shared, not held
        # once per constraint
        own = {key: sys.intern(value) if type(value) is str else value for key, value in fields.items()}
        own["span"] = tuple(own["span"])
        self.__dict__ = own


_CONSTRAINT_DEFAULTS = {name: f.default for name, f in Constraint.model_fields.items() if not f.is_required()}
for _name, _default in _CONSTRAINT_DEFAULTS.items():
    setattr(CompiledConstraint, _name, _default)


class CompiledCriterion(_Plain):
    """A `Criterion` as matching reads it (same attributes, `computable`, `to_contract`). Beside them, `memo`:
    for a criterion of a trial held between matches, what matching works out from it alone (`match.traits`)."""

    __slots__ = ("memo",)
    memo: tuple[Any, ...] | None

    type: str
    span: tuple[int, int]
    constraints: list[CompiledConstraint]
    section: str | None = None
    level: int = 0
    parent: int | None = None
    unread: tuple[str, ...] = ()
    group: str | None = None

    def __init__(self, fields: dict[str, Any], block: str) -> None:
        own = dict(fields)
        own["span"] = tuple(own["span"])
        own["_block"] = block  # the text is the block's words at the span, unless stored: sliced when read
        own["constraints"] = [CompiledConstraint(c) for c in own.get("constraints", ())]
        self.__dict__ = own
        self.memo = None

    @property
    def text(self) -> str:
        fields = self.__dict__
        return fields["text"] if "text" in fields else self._block[self.span[0]:self.span[1]]

    def fields(self) -> dict[str, Any]:
        """The criterion's set fields, as the pydantic model takes them."""
        out = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        out["text"] = self.text
        out["constraints"] = [dict(c.__dict__) for c in self.constraints]
        return out

    @property
    def computable(self) -> bool:
        return any(c.computable for c in self.constraints)

    def to_contract(self) -> dict[str, Any]:
        return criterion_contract(self)


@dataclass(frozen=True)
class CompiledTrial:
    """What matching needs of a trial: its identity, its criteria block and criteria, its record's limits."""

    nct_id: str
    title: str | None
    block: str
    criteria: list[CompiledCriterion]
    minimum_age: str | None = None
    maximum_age: str | None = None
    sex: str | None = None


def compile_criteria(criteria: list[Criterion], block: str) -> list[dict[str, Any]]:
    """The stored form of parsed criteria: only the fields that are set, the text only when not the block's."""
    out = []
    for c in criteria:
        doc = c.model_dump(mode="json", exclude_defaults=True)
        doc["span"] = list(c.span)
        if block[c.span[0]:c.span[1]] == c.text:
            doc.pop("text", None)
        for stored, constraint in zip(doc.get("constraints", ()), c.constraints, strict=True):
            stored["span"] = list(constraint.span)
        out.append(doc)
    return out


def compile_trial(nct_id: str, title: str | None, block: str, criteria: list[Criterion], *,
                  minimum_age: str | None = None, maximum_age: str | None = None,
                  sex: str | None = None) -> dict[str, Any]:
    """The stored document of a trial's compiled criteria (see the module docstring)."""
    doc: dict[str, Any] = {"format": FORMAT, "nct_id": nct_id, "title": title, "block": block,
                           "criteria": compile_criteria(criteria, block)}
    limits = {"minimum_age": minimum_age, "maximum_age": maximum_age, "sex": sex}
    doc.update({k: v for k, v in limits.items() if v is not None})
    return doc


def is_compiled(doc: Any) -> bool:
    """Whether a stored document is in this layout (older stores hold a plain list of criteria)."""
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def load_trial(doc: dict[str, Any], *, remember: bool = False) -> CompiledTrial:
    """A stored document read back (no validation: it was written from validated models). With `remember`, for
    a trial held between matches, its criteria keep what matching works out from them alone (`match.traits`)."""
    block = doc["block"]
    trial = CompiledTrial(nct_id=doc["nct_id"], title=doc.get("title"), block=block,
                          criteria=[CompiledCriterion(c, block) for c in doc["criteria"]],
                          minimum_age=doc.get("minimum_age"), maximum_age=doc.get("maximum_age"),
                          sex=doc.get("sex"))
    if remember:
        for criterion in trial.criteria:
            criterion.memo = HELD
    return trial


def to_model(c: CompiledCriterion) -> Criterion:
    """The validated pydantic form of a compiled criterion (for display and the JSON contract)."""
    return Criterion.model_validate(c.fields())
