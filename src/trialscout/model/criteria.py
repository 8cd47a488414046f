"""Eligibility criteria as data: Criterion (one criterion with its span) and Constraint (what it asks)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CriterionType = Literal["inclusion", "exclusion"]
Kind = Literal[
    "age",
    "sex",
    "performance_status",
    "lab",
    "condition",
    "biomarker",
    "prior_therapy",
    "life_expectancy",
    "pregnancy",
    "comorbidity",
    "concept",
    "consent_or_compliance",
    "other",
]
Op = Literal["<", "<=", ">", ">=", "=", "between"]
Span = tuple[int, int]
GroupKind = Literal["any_of", "none_of"]

KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "age": ("min_years", "max_years"),
    "sex": ("sex",),
    "performance_status": ("scale", "op", "value", "value_high", "op_inferred"),
    "lab": (
        "analyte", "op", "value", "value_high", "unit", "uln_multiple", "lln_multiple",
        "applies_if", "op_inferred", "unit_inferred",
    ),
    "life_expectancy": ("op", "months", "op_inferred"),
    "condition": (
        "name", "code", "stage", "setting", "metastasis_site", "measurable",
        "lesion_count_op", "lesion_count", "lesion_count_high", "size_op", "size_cm", "op_inferred",
    ),
    "biomarker": ("name", "status", "variant", "method", "score_type", "op", "value"),
    "prior_therapy": (
        "agent", "agent_class", "modality", "lines_op", "lines", "response",
        "window_op", "window_days", "concurrent", "therapy_setting",
    ),
    "pregnancy": ("status",),
    "comorbidity": ("name", "nyha_op", "nyha_class", "within_months", "qualifier", "codes"),
    "concept": ("name", "codes", "concept_kind", "within_months", "qualifier"),
    "consent_or_compliance": ("aspect",),
    "other": ("name",),
}
"""The fields each kind may carry besides `kind`, `span`, `negated`, `hypothetical`, `historical`.

Units: lab `unit` is the analyte's canonical UCUM unit (`10*9/L`, `g/dL`, `mg/dL`, `mL/min`, `U/L`, ...);
`uln_multiple`/`lln_multiple` are multiples of the upper/lower limit of normal (then `value`/`unit` are
absent); `applies_if` names the condition under which a lab limit applies (`liver_metastases`,
`gilbert_syndrome`, `bone_metastases`); `*_inferred` flags mark an operator guessed from a lost `≥`/`≤`
(a bare `=`) or a unit guessed from the value's magnitude. Ages are in years, life expectancy in months,
time windows in days (`window_op` compares the time since the therapy with `window_days`: `within 4 weeks`
is `<=` 28, `at least 6 months since` is `>=` 180), comorbidity windows in months, sizes in cm.
`concept` is any clinical concept the shared vocabulary (`vocab/clinical.py`: Disease Ontology, MeSH, drugs and
drug classes) names that no other kind took: `codes` are its concept ids (`DOID:5844`, `MESH:D004417`,
`RX:atenolol`, `CLS:beta_blockers`), `concept_kind` its kind (disease, finding, procedure, drug, drug_class,
behaviour, device).
"""

COMPUTABLE_WITHOUT_FIELDS = {"comorbidity"}
NEVER_COMPUTABLE = {"other"}
_CONSENT_COMPUTABLE = {"consent", "capacity", "compliance", "adherence"}
_PREGNANCY_COMPUTABLE = {"pregnant", "breastfeeding", "postmenopausal", "premenopausal"}


class ConstraintReading:
    """What a constraint says of itself, for the pydantic `Constraint` and its compiled form alike."""

    @property
    def computable(self) -> bool:
        """Whether a program can check this constraint against patient facts."""
        return _is_computable(self)

    def kind_fields(self) -> dict[str, Any]:
        return kind_fields_of(self)

    def to_contract(self) -> dict[str, Any]:
        return constraint_contract(self)


class Constraint(ConstraintReading, BaseModel):
    """One thing a criterion asks of a patient, with the character span (in the whole block) it came from."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    span: Span
    negated: bool = False
    hypothetical: bool = False
    historical: bool = False
    # kind fields (see KIND_FIELDS); None means "not stated"
    min_years: float | None = None
    max_years: float | None = None
    sex: Literal["FEMALE", "MALE", "ALL"] | None = None
    scale: Literal["ECOG", "KARNOFSKY", "LANSKY"] | None = None
    analyte: str | None = None
    op: Op | None = None
    value: float | None = None
    value_high: float | None = None
    unit: str | None = None
    uln_multiple: float | None = None
    lln_multiple: float | None = None
    applies_if: str | None = None
    op_inferred: bool | None = None
    unit_inferred: bool | None = None
    months: float | None = None
    name: str | None = None
    code: str | None = None
    stage: list[str] | None = None
    setting: list[str] | None = None
    metastasis_site: str | None = None
    measurable: bool | None = None
    lesion_count_op: Op | None = None
    lesion_count: float | None = None
    lesion_count_high: float | None = None
    size_op: Op | None = None
    size_cm: float | None = None
    status: str | None = None
    variant: str | None = None
    method: str | None = None
    score_type: str | None = None
    agent: str | None = None
    agent_class: str | None = None
    modality: str | None = None
    lines_op: Op | None = None
    lines: float | None = None
    response: str | None = None
    window_op: Op | None = None
    window_days: float | None = None
    concurrent: bool | None = None
    therapy_setting: str | None = None
    nyha_op: Op | None = None
    nyha_class: int | None = None
    within_months: float | None = None
    qualifier: list[str] | None = None
    aspect: str | None = None
    codes: list[str] | None = None
    concept_kind: str | None = None

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> Constraint:
        others = _OTHER_FIELDS[self.kind]
        if self.model_fields_set.isdisjoint(others):  # a field never given keeps its default, None
            return self
        stray = [f for f in others if getattr(self, f) is not None]
        if stray:
            raise ValueError(f"fields {stray} do not belong to kind {self.kind!r}")
        return self



KIND_FIELDS_ALL: tuple[str, ...] = tuple(sorted({f for fs in KIND_FIELDS.values() for f in fs}))
_OTHER_FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(f for f in KIND_FIELDS_ALL if f not in fields) for kind, fields in KIND_FIELDS.items()}
"""The kind fields a kind may not carry, in `KIND_FIELDS_ALL` order (what `_fields_fit_kind` names when set)."""


def kind_fields_of(c: Any) -> dict[str, Any]:
    """The kind's fields that are set, of a Constraint or its compiled form (`model.compiled`)."""
    return {f: v for f in KIND_FIELDS[c.kind] if (v := getattr(c, f)) is not None}


def constraint_contract(c: Any) -> dict[str, Any]:
    """The contract form of a Constraint or its compiled form."""
    out: dict[str, Any] = {
        "kind": c.kind,
        "span": [c.span[0], c.span[1]],
        "negated": c.negated,
        "hypothetical": c.hypothetical,
        "historical": c.historical,
    }
    out.update(kind_fields_of(c))
    return out


def _is_computable(c: Any) -> bool:
    if c.kind in NEVER_COMPUTABLE:
        return False
    if c.kind == "pregnancy":
        return c.status in _PREGNANCY_COMPUTABLE
    if c.kind == "consent_or_compliance":
        return c.aspect in _CONSENT_COMPUTABLE
    if c.kind == "comorbidity":
        return c.name is not None
    if c.kind == "concept":
        return bool(c.codes)
    if c.kind == "lab":
        return c.analyte is not None and (c.value is not None or c.uln_multiple is not None
                                          or c.lln_multiple is not None)
    if c.kind == "age":
        return c.min_years is not None or c.max_years is not None
    if c.kind == "biomarker":
        return c.name is not None and c.status is not None
    if c.kind == "prior_therapy":
        return any(v is not None for v in (c.agent, c.agent_class, c.modality))
    if c.kind == "condition":
        return any(v is not None for v in (c.code, c.stage, c.setting, c.metastasis_site, c.size_cm,
                                           c.lesion_count, c.measurable))
    return bool(c.kind_fields())


class Criterion(BaseModel):
    """One eligibility criterion: its text and span in the block, its type, and what it asks."""

    model_config = ConfigDict(extra="forbid")

    type: CriterionType
    text: str
    span: Span
    constraints: list[Constraint] = Field(default_factory=list)
    section: str | None = None
    """The nearest heading that is not an inclusion/exclusion heading (`Age`, `Hepatic`, `Disease characteristics`)."""
    level: int = 0
    parent: int | None = None
    """Index (in the same list) of the criterion this one is a sub-item of."""
    unread: list[str] = Field(default_factory=list)
    """Words of the criterion that no constraint, cue or filler accounts for (`criteria/rules/coverage.json`): a
    criterion with unread words was not fully understood, so it never fails a patient."""
    group: GroupKind | None = None
    """Set on a lead-in whose sub-items are alternatives ('one of the following:'): `any_of` — one must hold (in an
    exclusion: any one excludes); `none_of` — none may hold. Without sub-items, the alternatives are the criterion's
    own words after the lead-in's colon ('defined by one of the following: A; B; or C')."""

    @property
    def computable(self) -> bool:
        return any(c.computable for c in self.constraints)

    def to_contract(self) -> dict[str, Any]:
        return criterion_contract(self)


def criterion_contract(c: Any) -> dict[str, Any]:
    """The contract form of a Criterion or its compiled form; `group` and `parent` only when set (older readers
    may ignore them)."""
    out: dict[str, Any] = {
        "type": c.type,
        "text": c.text,
        "span": [c.span[0], c.span[1]],
        "computable": c.computable,
        "constraints": [k.to_contract() for k in c.constraints],
    }
    if c.unread:
        out["unread"] = list(c.unread)
    if c.group:
        out["group"] = c.group
    if c.parent is not None:
        out["parent"] = c.parent
    return out
