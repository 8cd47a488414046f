"""Related trials: the stored trials most like a given one, each with what the two share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from pydantic import BaseModel

from trialscout.model import Study
from trialscout.search.expand import rules
from trialscout.store import SqliteStore, StudyFilters
from trialscout.store.text import fold

CANDIDATES = 200
WEIGHTS = {"conditions": 0.45, "interventions": 0.30, "keywords": 0.10, "design": 0.10, "text": 0.05}


class Related(BaseModel):
    nct_id: str
    title: str | None
    status: str | None
    score: float
    shared: dict[str, list[str]]
    """What the trials have in common: conditions, interventions, keywords, design features."""

    def explanation(self) -> str:
        parts = [f"{k}: {', '.join(v)}" for k, v in self.shared.items() if v]
        return "; ".join(parts) or "similar text"


@dataclass
class _Profile:
    conditions: set[str] = field(default_factory=set)
    interventions: set[str] = field(default_factory=set)
    keywords: set[str] = field(default_factory=set)
    design: set[str] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)  # normalised term → as written, for explanations


@cache
def _generic() -> frozenset[str]:
    return frozenset(rules()["related_generic"]["words"])


def _norm(term: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", fold(term).lower())).strip()


def _profile(study: Study) -> _Profile:
    p = _Profile()

    def add(bucket: set[str], terms: list[str]) -> None:
        for t in terms:
            n = _norm(t)
            if n and n not in _generic():
                bucket.add(n)
                p.labels.setdefault(n, t)

    add(p.conditions, study.conditions + study.condition_mesh_terms())
    add(p.interventions, [iv.name for iv in study.interventions] + study.intervention_mesh_terms())
    add(p.keywords, study.keywords)
    design = [f"phase {ph.value.replace('EARLY_PHASE', 'early ').replace('PHASE', '')}" for ph in study.phases
              if ph.value != "NA"]
    if study.study_type:
        design.append(study.study_type.value.lower())
    info = study.protocolSection.designModule.designInfo if study.protocolSection.designModule else None
    if info and info.primaryPurpose:
        design.append(f"purpose {info.primaryPurpose.value.lower()}")
    if info and info.allocation:
        design.append(info.allocation.value.lower())
    p.design = set(design)
    p.labels.update({d: d for d in design})
    return p


def _overlap(a: set[str], b: set[str]) -> tuple[float, list[str]]:
    if not a or not b:
        return 0.0, []
    shared = sorted(a & b)
    return len(shared) / len(a | b), shared


def related(store: SqliteStore, nct_id: str, *, limit: int = 10) -> list[Related]:
    """Most similar stored trials, best first, each with the conditions, interventions, keywords and design
    features it shares with `nct_id` (candidates from full text, ranked by weighted overlap)."""
    study = store.get(nct_id)
    me = _profile(study)
    words = " ".join(me.labels[t] for t in sorted(me.conditions | me.interventions | me.keywords))
    words = words or (study.brief_title or "")
    from trialscout.search import fts_expression

    page = store.search(fts_expression(words, mode="any"), StudyFilters(), limit=CANDIDATES, count_total=False)
    best_text = max((h.score for h in page.hits), default=0.0) or 1.0
    out: list[Related] = []
    for hit in page.hits:
        if hit.nct_id == study.nct_id:
            continue
        other = _profile(store.get(hit.nct_id))
        score, shared = hit.score / best_text * WEIGHTS["text"], {}
        for name in ("conditions", "interventions", "keywords", "design"):
            sim, common = _overlap(getattr(me, name), getattr(other, name))
            score += WEIGHTS[name] * sim
            if common:
                shared[name] = [me.labels.get(c, c) for c in common]
        out.append(Related(nct_id=hit.nct_id, title=hit.title, status=hit.status, score=round(score, 4),
                           shared=shared))
    out.sort(key=lambda r: (-r.score, r.nct_id))
    return out[:limit]
