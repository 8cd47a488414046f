"""Related trials: the stored trials most like a given one, each with what the two share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from pydantic import BaseModel

from trialscout.search.expand import rules
from trialscout.store import Hit, SqliteStore, StudyFilters
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


@lru_cache(maxsize=200_000)
def _norm(term: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", fold(term).lower())).strip()


def _at(doc: dict[str, Any], *path: str) -> Any:
    for key in path:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def _profile(doc: dict[str, Any]) -> _Profile:
    """What a trial is about, read from its stored v2 JSON (validating 200 candidates as Study objects would cost
    more than the whole comparison)."""
    p = _Profile()
    ps = doc.get("protocolSection") or {}

    def add(bucket: set[str], terms: list[Any]) -> None:
        for t in terms:
            n = _norm(t) if isinstance(t, str) else ""
            if n and n not in _generic():
                bucket.add(n)
                p.labels.setdefault(n, t)

    def mesh(module: str) -> list[Any]:
        return [m.get("term") for m in _at(doc, "derivedSection", module, "meshes") or [] if isinstance(m, dict)]

    add(p.conditions, [*(_at(ps, "conditionsModule", "conditions") or []), *mesh("conditionBrowseModule")])
    add(p.interventions, [*(i.get("name") for i in _at(ps, "armsInterventionsModule", "interventions") or []
                            if isinstance(i, dict)), *mesh("interventionBrowseModule")])
    add(p.keywords, _at(ps, "conditionsModule", "keywords") or [])
    design = [f"phase {ph.replace('EARLY_PHASE', 'early ').replace('PHASE', '')}"
              for ph in _at(ps, "designModule", "phases") or [] if isinstance(ph, str) and ph != "NA"]
    for value, prefix in ((_at(ps, "designModule", "studyType"), ""),
                          (_at(ps, "designModule", "designInfo", "primaryPurpose"), "purpose "),
                          (_at(ps, "designModule", "designInfo", "allocation"), "")):
        if isinstance(value, str):
            design.append(f"{prefix}{value.lower()}")
    p.design = set(design)
    p.labels.update({d: d for d in design})
    return p


def _overlap(a: set[str], b: set[str]) -> tuple[float, list[str]]:
    if not a or not b:
        return 0.0, []
    shared = sorted(a & b)
    return len(shared) / len(a | b), shared


def _candidates(store: SqliteStore, me: _Profile, doc: dict[str, Any], limit: int) -> list[Hit]:
    """Trials naming any of this one's conditions, interventions or keywords as a phrase (2-10x faster than
    any of their words at 570k studies); any of the words when the phrases find too few (small stores)."""
    from trialscout.search import fts_expression

    terms = sorted(me.conditions | me.interventions | me.keywords)
    if terms:
        phrases = " OR ".join(f'"{t}"' for t in terms)
        hits = store.search(f"{{title conditions keywords interventions}} : ({phrases})", StudyFilters(),
                            limit=CANDIDATES, count_total=False).hits
        if len(hits) > limit:
            return hits
    words = " ".join(me.labels[t] for t in terms)
    words = words or (_at(doc, "protocolSection", "identificationModule", "briefTitle") or "")
    return store.search(fts_expression(words, mode="any"), StudyFilters(), limit=CANDIDATES, count_total=False).hits


def related(store: SqliteStore, nct_id: str, *, limit: int = 10) -> list[Related]:
    """Most similar stored trials, best first, each with the conditions, interventions, keywords and design
    features it shares with `nct_id` (candidates from full text, ranked by weighted overlap)."""
    doc = store.get_json(nct_id)
    me, own_id = _profile(doc), _at(doc, "protocolSection", "identificationModule", "nctId")
    hits = _candidates(store, me, doc, limit)
    best_text = max((h.score for h in hits), default=0.0) or 1.0
    out: list[Related] = []
    for hit in hits:
        if hit.nct_id == own_id:
            continue
        other = _profile(store.get_json(hit.nct_id))
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
