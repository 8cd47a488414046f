"""How a Study becomes store rows: the indexed columns, side tables and full-text fields."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from trialscout.geo import country_code, geocode
from trialscout.model import Study, age_in_years
from trialscout.model.study import Location
from trialscout.store.text import fold


@dataclass(frozen=True)
class StudyRows:
    nct_id: str
    columns: dict[str, Any]
    conditions: list[str]
    interventions: list[tuple[str, str | None]]
    sites: list[tuple[Any, ...]]
    fts: tuple[str, ...]  # the studies_fts columns, in order (FTS_COLUMNS)


def canonical_json(study: Study) -> str:
    return json.dumps(study.to_v2(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def study_rows(study: Study, source: str | None) -> StudyRows:
    doc = canonical_json(study)
    ps = study.protocolSection
    sm, em, dm = ps.statusModule, ps.eligibilityModule, ps.designModule
    columns = {
        "nct_id": study.nct_id,
        "json": doc,
        "content_hash": hashlib.sha256(doc.encode("utf-8")).hexdigest(),
        "last_update": study.last_update,
        "brief_title": study.brief_title,
        "official_title": study.official_title,
        "acronym": ps.identificationModule.acronym,
        "overall_status": _value(study.overall_status),
        "study_type": _value(study.study_type),
        "phases": " " + " ".join(p.value for p in study.phases) + " " if study.phases else "",
        "sex": _value(em.sex) if em else None,
        "min_age_years": age_in_years(em.minimumAge) if em else None,
        "max_age_years": age_in_years(em.maximumAge) if em else None,
        "healthy_volunteers": None if not em or em.healthyVolunteers is None else int(em.healthyVolunteers),
        "start_date": _date(sm, "startDateStruct"),
        "primary_completion_date": _date(sm, "primaryCompletionDateStruct"),
        "completion_date": _date(sm, "completionDateStruct"),
        "first_post_date": _date(sm, "studyFirstPostDateStruct") or (sm.studyFirstSubmitDate if sm else None),
        "lead_sponsor": study.lead_sponsor,
        "enrollment": dm.enrollmentInfo.count if dm and dm.enrollmentInfo else None,
        "source": source,
    }
    interventions = [(iv.name, _value(iv.type)) for iv in study.interventions]
    sites = [_site(loc) for loc in study.locations]
    return StudyRows(study.nct_id, columns, study.conditions, interventions, sites, _fts_fields(study))


def _site(loc: Location) -> tuple[Any, ...]:
    """A site row; a site without coordinates is placed by city with the offline gazetteer when it can be."""
    lat = lon = None
    geocoded = 0
    if loc.geoPoint is not None:
        lat, lon = loc.geoPoint.lat, loc.geoPoint.lon
    elif loc.city and (place := geocode(loc.city, loc.state, loc.country)):
        lat, lon, geocoded = place.lat, place.lon, 1
    return (loc.facility, loc.city, loc.state, loc.country, _value(loc.status), lat, lon,
            country_code(loc.country), geocoded)


FTS_COLUMNS = ("title", "conditions", "keywords", "interventions", "summary", "eligibility", "outcomes",
               "sponsors", "locations")


def _fts_fields(study: Study) -> tuple[str, ...]:
    ps = study.protocolSection
    ident, desc = ps.identificationModule, ps.descriptionModule
    title = " ".join(t for t in (ident.briefTitle, ident.officialTitle, ident.acronym) if t)
    conditions = " ; ".join(study.conditions + study.condition_mesh_terms())
    interventions = " ; ".join(
        [iv.name for iv in study.interventions]
        + [n for iv in study.interventions for n in (iv.otherNames or [])]
        + study.intervention_mesh_terms())
    summary = " ".join(t for t in ((desc.briefSummary, desc.detailedDescription) if desc else ()) if t)
    om = ps.outcomesModule
    outcomes = " ; ".join(f"{o.measure} {o.description or ''} {o.timeFrame or ''}"
                          for o in ((om.primaryOutcomes or []) + (om.secondaryOutcomes or []) + (om.otherOutcomes or [])
                                    if om else []))
    sc = ps.sponsorCollaboratorsModule
    sponsors = " ; ".join(x.name for x in ([sc.leadSponsor] if sc and sc.leadSponsor else [])
                          + (sc.collaborators or [] if sc else []))
    locations = " ; ".join(" ".join(filter(None, (loc.facility, loc.city, loc.state, loc.country)))
                           for loc in study.locations)
    return (fold(title), fold(conditions), fold(" ; ".join(study.keywords)), fold(interventions), fold(summary),
            fold(study.eligibility_text or ""), fold(outcomes), sponsors, locations)


def _value(enum_or_none: Any) -> str | None:
    return enum_or_none.value if enum_or_none is not None else None


def _date(sm: Any, attr: str) -> str | None:
    struct = getattr(sm, attr, None) if sm else None
    return struct.date if struct else None
