"""How a watch sees the store now: for each trial it finds (and each it found before), whether it matches and the
fields that decide it. Patient watches judge only trials whose record (or the matching engine) changed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from trialscout.app import MATCH_PACKAGES, Trialscout, compiled_trial, engine_version
from trialscout.errors import TrialscoutError
from trialscout.search import build_filters
from trialscout.search.request import SearchRequest, match_expression
from trialscout.store import SqliteStore, StudyFilters
from trialscout.watch.model import WatchError, WatchSpec

MAX_SITES_KEPT = 50
"""Sites within the radius remembered per trial (enough to tell which one is new)."""


@dataclass(frozen=True)
class Seen:
    """A trial as a watch last saw it (a `watch_state` row)."""

    matched: bool
    content_hash: str | None
    state: dict[str, Any]


@dataclass(frozen=True)
class Looked:
    """A trial as the watch sees it now."""

    nct_id: str
    matched: bool
    content_hash: str | None
    state: dict[str, Any]
    study_id: int | None = None
    ingested_at: str | None = None


@dataclass
class RunContext:
    """What the watches of one run share: the store, one application object, sites near each place asked for."""

    store: SqliteStore
    ts: Trialscout = field(init=False)
    _sites: dict[tuple[float, float, float], dict[str, list[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ts = Trialscout(store=self.store, hold=False)

    def sites(self, geo: tuple[float, float, float]) -> dict[str, list[str]]:
        if geo not in self._sites:
            self._sites[geo] = self.store.sites_within(*geo)
        return self._sites[geo]


def spec_filters(spec: WatchSpec) -> StudyFilters:
    """The watch's filters, validated as the search command's are (a clear error naming the bad value)."""
    return build_filters(statuses=spec.statuses, phases=spec.phases, study_types=spec.study_types, sex=spec.sex,
                         age=spec.age, countries=spec.countries, geo=spec.geo_text())


def check_spec(spec: WatchSpec, kind: str) -> StudyFilters:
    filters = spec_filters(spec)
    if kind == "search" and not (spec.query or spec.cond) and filters.is_empty():
        raise WatchError("a saved search needs words (--query, --cond), a filter or a place (--near)", where="query")
    unknown = [v for v in spec.verdicts if v not in ("eligible", "uncertain", "ineligible")]
    if unknown or not spec.verdicts:
        raise WatchError(f"verdicts must be among eligible, uncertain, ineligible (got {spec.verdicts})",
                         where="verdicts")
    return filters


def look(ctx: RunContext, kind: str, spec: WatchSpec, document: str | None, seen: dict[str, Seen]) -> list[Looked]:
    """Every trial the watch matches now, and every trial it matched before (now matching or not)."""
    if kind == "patient":
        if document is None:
            raise WatchError("the patient document of this watch is missing from the store", where="patient")
        return _look_patient(ctx, spec, document, seen)
    return _look_search(ctx, spec, seen)


def _look_search(ctx: RunContext, spec: WatchSpec, seen: dict[str, Seen]) -> list[Looked]:
    req = SearchRequest(term=spec.query, cond=spec.cond)
    match, _ = match_expression(req)
    filters = spec_filters(spec)
    sites = ctx.sites(filters.geo) if filters.geo else None
    found = [_looked(r, True, _state(r, sites)) for r in ctx.store.rows_where(match, filters)]
    return found + _gone(ctx, {x.nct_id for x in found}, seen, sites)


def _look_patient(ctx: RunContext, spec: WatchSpec, document: str, seen: dict[str, Seen]) -> list[Looked]:
    from trialscout.match import match_trial
    from trialscout.patient import load_patient

    try:
        facts = load_patient(document)
    except TrialscoutError as exc:  # never quote the document: say only that it no longer reads
        raise WatchError(f"the stored patient document cannot be read ({type(exc).__name__})",
                         where="patient") from None
    filters = spec_filters(spec)
    relevance = {h.nct_id: h.score for h in ctx.ts.candidates(facts, filters, limit=spec.top)}
    wanted = set(relevance) | {n for n, s in seen.items() if s.matched}
    sites = ctx.sites(filters.geo) if filters.geo else None
    engine = engine_version(MATCH_PACKAGES)
    found: list[Looked] = []
    rows = ctx.store.rows_where(None, replace(filters, nct_ids=sorted(wanted))) if wanted else []
    for r in rows:
        before = seen.get(r["nct_id"])
        if before and before.content_hash == r["content_hash"] and before.state.get("engine") == engine:
            verdict, counts = before.state.get("verdict"), before.state.get("counts", {})
        else:
            m = match_trial(compiled_trial(ctx.store, r["nct_id"]), facts,
                            relevance=relevance.get(r["nct_id"], 0.0), policy=spec.policy, explain=False)
            verdict, counts = m.eligibility, {k: v for k, v in m.counts.items() if k in ("pass", "fail", "unknown")}
        state = {**_state(r, sites), "verdict": verdict, "counts": counts, "engine": engine}
        found.append(_looked(r, verdict in spec.verdicts, state))
    return found + _gone(ctx, {x.nct_id for x in found}, seen, sites)


def _gone(ctx: RunContext, found: set[str], seen: dict[str, Seen], sites: dict[str, list[str]] | None
          ) -> list[Looked]:
    """Trials matched before that the watch no longer finds, as they are now (or as last seen, if no longer
    stored)."""
    missing = sorted(n for n, s in seen.items() if s.matched and n not in found)
    if not missing:
        return []
    rows = {r["nct_id"]: r for r in ctx.store.rows_where(None, StudyFilters(nct_ids=missing))}
    out = []
    for nct_id in missing:
        r = rows.get(nct_id)
        if r is None:
            out.append(Looked(nct_id, False, None, {**seen[nct_id].state, "status": None, "removed": True}))
        else:
            state = _state(r, sites)
            if "verdict" in seen[nct_id].state:
                state |= {k: seen[nct_id].state[k] for k in ("verdict", "counts", "engine") if k in seen[nct_id].state}
            out.append(_looked(r, False, state))
    return out


def _state(row: Any, sites: dict[str, list[str]] | None) -> dict[str, Any]:
    state: dict[str, Any] = {"title": row["brief_title"], "status": row["overall_status"]}
    if sites is not None:
        state["sites"] = sites.get(row["nct_id"], [])[:MAX_SITES_KEPT]
    return state


def _looked(row: Any, matched: bool, state: dict[str, Any]) -> Looked:
    return Looked(row["nct_id"], matched, row["content_hash"], state, row["id"], row["ingested_at"])


def dump_state(state: dict[str, Any]) -> str:
    return json.dumps(state, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
