"""What each page shows, as plain JSON-able dicts: the template renders one, `?format=json` returns it as is."""

from __future__ import annotations

from typing import Any

from trialscout.app import Trialscout
from trialscout.errors import QueryError
from trialscout.match.policy import policy as absence_policy
from trialscout.model.enums import Phase, Sex, Status, StudyType
from trialscout.model.match import CriterionResult, TrialMatch
from trialscout.model.patient import PatientFacts
from trialscout.search.related import related
from trialscout.search.request import SORT_FIELDS, SearchRequest, run
from trialscout.store import StudyFilters
from trialscout.web.highlight import criteria_view, result_view
from trialscout.web.labels import country_name, enum_words
from trialscout.web.patient import patient_view
from trialscout.web.record import sections, site_count

PAGE_SIZE = 20
MAX_RADIUS_CHOICES = (25, 50, 100, 250, 500, 1000)
SEARCH_FIELDS = ("q", "cond", "intr", "locn", "near", "radius", "sex", "age", "sort")
MULTI_FIELDS = ("status", "phase", "type", "country")


def search_form(params: dict[str, Any]) -> dict[str, Any]:
    """The search form's values as the user gave them (strings and lists of strings)."""
    form: dict[str, Any] = {k: (params.get(k) or "").strip() for k in SEARCH_FIELDS}
    form.update({k: [v for v in params.get(k) or [] if v] for k in MULTI_FIELDS})
    form["radius"] = form["radius"] or "100"
    return form


def search_request(form: dict[str, Any], page_token: str | None) -> SearchRequest:
    geo = f"distance({form['near']},{form['radius']}km)" if form["near"] else None
    age = _number(form["age"], "age")
    return SearchRequest(term=form["q"] or None, cond=form["cond"] or None, intr=form["intr"] or None,
                         locn=form["locn"] or None, statuses=form["status"], phases=form["phase"],
                         study_types=form["type"], countries=form["country"], sex=form["sex"] or None, age=age,
                         geo=geo, sort=form["sort"] or None, page_token=page_token, page_size=PAGE_SIZE)


def search_view(ts: Trialscout, form: dict[str, Any], page_token: str | None) -> dict[str, Any]:
    page = run(ts.store, search_request(form, page_token), facets=True)
    hits = [{"nct_id": h.nct_id, "title": h.title, "status": h.status, "status_text": enum_words(h.status),
             "phases": [enum_words(p) for p in h.phases], "study_type": enum_words(h.study_type),
             "conditions": h.conditions[:6], "last_update": h.last_update, "nearest_site": h.nearest_site,
             "nearest_km": h.nearest_km} for h in page.hits]
    return {"form": form, "total": page.total, "hits": hits, "next_page_token": page.next_page_token,
            "facets": _facets(page.facets or {}, form)}


def search_choices() -> dict[str, Any]:
    """Every value the filters accept, so a filter with no hits in the current results can still be chosen."""
    return {"status": [(s.value, enum_words(s.value)) for s in Status],
            "phase": [(p.value, enum_words(p.value)) for p in Phase],
            "type": [(t.value, enum_words(t.value)) for t in StudyType],
            "sex": [(s.value, enum_words(s.value)) for s in Sex],
            "sort": [("", "Relevance")] + [(f"{k}:desc", f"{k} (newest first)") for k in SORT_FIELDS
                                           if "Date" in k],
            "radius": MAX_RADIUS_CHOICES}


def _facets(facets: dict[str, dict[str, int]], form: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    names = {"overallStatus": "status", "phase": "phase", "studyType": "type", "country": "country"}
    out: dict[str, list[dict[str, Any]]] = {}
    for key, field in names.items():
        counts = facets.get(key, {})
        chosen = [v for v in form[field] if v not in counts]
        label = country_name if field == "country" else enum_words
        out[field] = [{"value": v, "label": label(v), "count": n, "checked": v in form[field]}
                      for v, n in counts.items()] + [{"value": v, "label": label(v), "count": 0, "checked": True}
                                                     for v in chosen]
    return out


def study_view(ts: Trialscout, nct_id: str, *, related_limit: int = 10) -> dict[str, Any]:
    doc = ts.store.get_json(nct_id)
    study = ts.study(nct_id)
    ps = study.protocolSection
    block = ps.eligibilityModule.eligibilityCriteria if ps.eligibilityModule else None
    criteria = ts.criteria(nct_id)
    ident, status = ps.identificationModule, ps.statusModule
    design = ps.designModule
    return {
        "nct_id": study.nct_id, "title": ident.briefTitle, "official_title": ident.officialTitle,
        "status": status.overallStatus if status else None,
        "status_text": enum_words(status.overallStatus if status else None),
        "phases": [enum_words(p) for p in (design.phases if design and design.phases else [])],
        "conditions": ps.conditionsModule.conditions if ps.conditionsModule else [],
        "eligibility": next((s for s in sections(doc) if s["id"] == "eligibilityModule"), None),
        "criteria": criteria_view(block or "", criteria) if block else [],
        "criteria_counts": {"total": len(criteria), "computable": sum(c.computable for c in criteria)},
        "sections": [s for s in sections(doc) if s["id"] != "eligibilityModule"], "sites": site_count(doc),
        "related": [{**r.model_dump(), "explanation": r.explanation(), "status_text": enum_words(r.status)}
                    for r in related(ts.store, study.nct_id, limit=related_limit)],
    }


def match_view(facts: PatientFacts, matches: list[TrialMatch], *, policy: str | None = None) -> dict[str, Any]:
    """The ranked trials, each with its summary, counts and first open points: failing criteria, the unknowns'
    questions, the points to confirm (criteria passed on the record's silence)."""
    ranked = [{"rank": rank, **_trial_head(m), **_open_points(m)} for rank, m in enumerate(matches, start=1)]
    return {"patient": patient_view(facts), "policy": absence_policy(policy).name, "trials": ranked}


def match_trial_view(ts: Trialscout, facts: PatientFacts, nct_id: str, *, filters: StudyFilters | None = None,
                     policy: str | None = None) -> dict[str, Any]:
    """Every criterion of one trial for the patient; the score is the ranked list's (relevance computed alike)."""
    m = ts.match_one(facts, nct_id, filters=filters, policy=policy)
    study = ts.study(nct_id)
    module = study.protocolSection.eligibilityModule
    block = module.eligibilityCriteria if module else None
    results = [result_view(block, r) for r in m.criteria]
    return {"patient": patient_view(facts, m.criteria), **_trial_head(m),
            "questions": list(dict.fromkeys(r["question"] for r in results if r["verdict"] == "unknown"
                                            and r["question"])),
            "criteria": results}


def _trial_head(m: TrialMatch) -> dict[str, Any]:
    return {"nct_id": m.nct_id, "title": m.title, "eligibility": m.eligibility, "summary": m.summary,
            "to_confirm": m.to_confirm, "policy": m.policy, "score": round(m.score, 4),
            "relevance": round(m.relevance, 4), "counts": m.counts}


def _open_points(m: TrialMatch, shown: int = 3) -> dict[str, Any]:
    """The first `shown` failing criteria, unknowns (with their questions) and points to confirm."""
    standing = [r for r in m.criteria if r.alternative_of is None]
    fails = [_point(r) for r in standing if r.verdict == "fail"]
    unknowns = [_point(r) for r in standing if r.verdict == "unknown"]
    presumed = [_point(r) for r in standing if r.verdict == "pass" and r.presumed]
    return {"fails": fails[:shown], "questions": unknowns[:shown], "confirm": presumed[:shown],
            "more": {"fails": max(0, len(fails) - shown), "questions": max(0, len(unknowns) - shown),
                     "confirm": max(0, len(presumed) - shown)}}


def _point(r: CriterionResult) -> dict[str, Any]:
    return {"verdict": r.verdict, "presumed": r.presumed, "type": r.type, "text": r.text, "question": r.question,
            "computable": r.computable,
            "reason": next((e.reason for e in r.evidence if e.verdict == r.verdict), None)}


def _number(text: str, field: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise QueryError(f"{field} {text[:20]!r} is not a number", where=field) from None
