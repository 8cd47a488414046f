"""Eligibility criteria engine: split a block into criteria and extract typed, computable constraints."""

from __future__ import annotations

from typing import Any

from trialscout.criteria.coverage import unread
from trialscout.criteria.extract import MAX_CHARS, extract
from trialscout.criteria.groups import group_kind, inline_start
from trialscout.criteria.split import split_criteria, split_spans
from trialscout.criteria.text import normalize
from trialscout.model.criteria import Constraint, Criterion

__all__ = ["Constraint", "Criterion", "criteria_contract", "extract", "parse_criteria", "split_criteria"]


def parse_criteria(text: str) -> list[Criterion]:
    """Every criterion of an eligibility block with its type, span, nesting and constraints.

    Spans (of criteria and of constraints) are character offsets into `text`.
    """
    if not text or not text.strip():
        return []
    norm = normalize(text)
    out: list[Criterion] = []
    for p in split_spans(text):
        body = norm[p.start:p.end]
        constraints = extract(body, p.type, p.section, p.start)
        out.append(Criterion(
            type=p.type,  # type: ignore[arg-type]
            text=" ".join(text[p.start:p.end].split()),
            span=(p.start, p.end),
            constraints=constraints,
            unread=unread(body[:MAX_CHARS], p.type, constraints, p.start),
            section=p.section,
            level=p.level,
            parent=p.parent,
        ))
    _mark_groups(out)
    return out


def _mark_groups(criteria: list[Criterion]) -> None:
    """A lead-in with an alternatives cue is a group when it has sub-items or lists alternatives after its colon."""
    parents = {c.parent for c in criteria if c.parent is not None}
    for i, c in enumerate(criteria):
        if i in parents or inline_start(c.text) is not None:
            c.group = group_kind(c.text, c.type)


def criteria_contract(text: str) -> list[dict[str, Any]]:
    """The JSON contract: `[{"type", "text", "span", "computable", "constraints": [...]}, ...]`."""
    return [c.to_contract() for c in parse_criteria(text)]
