"""Match results: a verdict per criterion with its evidence, a verdict and score per trial."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Verdict = Literal["pass", "fail", "unknown", "not_applicable"]
"""`pass`: met (perhaps only presumed, see `presumed`); `fail`: not met, on a full reading of the criterion;
`unknown`: the record cannot tell; `not_applicable`: the criterion concerns patients this one is not (women who
could become pregnant, for a man)."""
Eligibility = Literal["eligible", "ineligible", "uncertain"]


class Evidence(BaseModel):
    """Why one constraint got its verdict: the criterion words, the patient fact, and the reasoning."""

    verdict: Verdict
    reason: str
    """One sentence a person can check (`platelets 85 10*9/L, criterion needs >= 100 10*9/L`)."""
    constraint: dict[str, Any]
    """The constraint in the criteria JSON contract (kind, span, fields)."""
    criterion_text: str
    """The words of the criterion the constraint came from (its span)."""
    fact: str | None = None
    """The patient fact used, as written in the patient's record."""
    source: dict[str, Any] | None = None
    """The fact's provenance (source kind, file/resource, field path or note span)."""
    presumed: bool = False
    """A pass taken from the record's silence (the absence policy): to be confirmed."""
    grounds: list[dict[str, Any]] | None = None
    """The record's other statements the verdict rests on (provenance dicts like `source`): for a presumed pass,
    where the record states the patient's history, treatments or consent and does not name the thing; for a
    concept the record names, its other mentions."""

    def to_contract(self) -> dict[str, Any]:
        out = self.model_dump(exclude_none=True)
        if not self.presumed:
            out.pop("presumed")
        return out


class GroupResult(BaseModel):
    """How the sub-items of a lead-in ('one of the following:') settled it, as alternatives."""

    kind: Literal["any_of", "none_of"]
    alternatives: list[int]
    """Indices of the sub-items (criteria) that are the alternatives."""
    verdict: Verdict
    """The alternatives' combined verdict (an inclusion: one passing is enough; an exclusion: one failing is)."""
    decided_by: int | None = None
    """The alternative that settled it: the one met, or the one that excludes."""
    reason: str


class CriterionResult(BaseModel):
    index: int
    """Position of the criterion in the trial's criteria list."""
    type: Literal["inclusion", "exclusion"]
    text: str
    span: tuple[int, int]
    computable: bool
    verdict: Verdict
    presumed: bool = False
    """A pass that rests on the record's silence, not on a fact: the absence policy presumes that a full record
    would mention it (a history of dementia, a pregnancy). Its `question` says what to confirm."""
    evidence: list[Evidence] = Field(default_factory=list)
    question: str | None = None
    """For an unknown criterion: what to ask or look up to settle it; for a presumed pass: what to confirm."""
    unread: list[str] = Field(default_factory=list)
    """Words of the criterion that nothing understood. A criterion with unread words never fails a patient."""
    likely_fail: bool = False
    """An unknown that would have been a fail had the whole criterion been read ("likely not met")."""
    group: GroupResult | None = None
    """On a lead-in whose sub-items are alternatives: how they settled it (its `verdict` includes theirs)."""
    alternative_of: int | None = None
    """On a sub-item of such a lead-in: the lead-in's index. Its own verdict stays its own; the trial verdict
    counts the group through the lead-in."""

    def to_contract(self) -> dict[str, Any]:
        return {"type": self.type, "text": self.text, "verdict": self.verdict,
                **({"presumed": True} if self.presumed else {}),
                "evidence": [e.to_contract() for e in self.evidence],
                "computable": self.computable, "span": list(self.span),
                **({"question": self.question} if self.question else {}),
                **({"unread": self.unread} if self.unread else {}),
                **({"likely_fail": True} if self.likely_fail else {}),
                **({"group": self.group.model_dump(exclude_none=True)} if self.group else {}),
                **({"alternative_of": self.alternative_of} if self.alternative_of is not None else {})}


class TrialMatch(BaseModel):
    nct_id: str
    title: str | None = None
    eligibility: Eligibility
    score: float
    relevance: float = 0.0
    """How closely the trial targets the patient's disease and setting (0–1)."""
    counts: dict[str, int] = Field(default_factory=dict)
    """Criteria by verdict: pass (of which `presumed` were presumed), fail, unknown, not_applicable, and
    not_computable (unknown, and nothing of the criterion was understood); the sub-items of a "one of the
    following" group are not among them (their lead-in counts the group once) but under `alternative`."""
    policy: str = "default"
    """The absence policy the verdicts were given under (`default` presumes what a full record would mention;
    `strict` presumes nothing)."""
    pruned: bool = False
    """Decided before any written criterion was read: the patient is outside the trial record's own age range or
    sex. The verdict (ineligible) is the one full evaluation gives; `criteria` and `counts` hold the record's
    criteria only."""

    @property
    def to_confirm(self) -> int:
        """How many passes rest on the record's silence ("eligible, 3 points to confirm")."""
        return self.counts.get("presumed", 0)

    @property
    def summary(self) -> str:
        """The trial verdict in words, with the points to confirm: `eligible, 3 points to confirm`."""
        n = self.to_confirm
        return f"{self.eligibility}, {n} point{'s' if n != 1 else ''} to confirm" if n else self.eligibility
    criteria: list[CriterionResult] = Field(default_factory=list)
    """Failing criteria first, then unknowns (the questions to ask), then passes, then the rest."""

    def to_contract(self) -> dict[str, Any]:
        return {"nct_id": self.nct_id, "eligibility": self.eligibility, "score": round(self.score, 6),
                "title": self.title, "relevance": round(self.relevance, 6), "counts": self.counts,
                "to_confirm": self.to_confirm, "summary": self.summary, "policy": self.policy,
                "criteria": [c.to_contract() for c in self.criteria], **({"pruned": True} if self.pruned else {})}
