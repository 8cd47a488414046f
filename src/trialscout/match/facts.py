"""Does a constraint's statement hold for the patient? One check per constraint kind, answering
True / False / None (the facts do not say), with the fact used and a sentence saying why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trialscout.criteria.vocab import cancer_codes
from trialscout.match.population import menopausal
from trialscout.match.vocab import (
    biomarker_polarity,
    checkable_settings,
    comorbidity_codes,
    comorbidity_matches,
    concept_codes_of,
    concept_within,
    ecog_from_karnofsky,
    fact_qualifiers,
    karnofsky_range_from_ecog,
    narrowing_qualifiers,
    reference_limit,
    response_contradicts,
    same_biomarker,
    setting_holds,
    stage_matches,
    therapy_matches,
)
from trialscout.model.criteria import Constraint
from trialscout.model.patient import PatientFacts, Provenance
from trialscout.vocab import criterion_scope, is_within


@dataclass(frozen=True)
class Finding:
    holds: bool | None
    reason: str
    fact: str | None = None
    source: dict[str, Any] | None = None
    absent: bool = False
    """The record says the fact is absent (or lists such facts completely and it is not among them)."""
    missing: bool = False
    """The record says nothing at all about it (`holds` is None): the absence policy decides what that means."""
    found_now: bool = False
    """It holds on a finding of today only (not said to be a history), which never fails a 'history of' criterion."""
    also: tuple[dict[str, Any], ...] = ()
    """Where else the record says the same (other mentions of the concept or of kinds of it)."""


_MORE_MENTIONS = 8
"""How many other mentions of a concept the evidence cites beside the first."""


def _src(p: Provenance | None) -> dict[str, Any] | None:
    return p.model_dump(exclude_none=True) if p else None


def compare(x: float, op: str | None, v: float | None, high: float | None = None) -> bool | None:
    if v is None:
        return None
    match op:
        case "<":
            return x < v
        case "<=":
            return x <= v
        case ">":
            return x > v
        case ">=" | None:
            return x >= v
        case "=":
            return abs(x - v) < 1e-9
        case "between":
            return v <= x <= (high if high is not None else v)
    return None


def compare_censored(x: float, comparator: str, op: str | None, v: float | None,
                     high: float | None = None) -> bool | None:
    """A result known only as beyond a limit ('> 100', what 'tachycardic' states): True or False when every value
    beyond it gives the same answer, else None."""
    far = 1e12 if comparator in (">", ">=") else -1e12
    near, outer = compare(x, op, v, high), compare(far, op, v, high)
    return near if near == outer else None


def _op_text(op: str | None, v: float | None, high: float | None = None, unit: str = "") -> str:
    if op == "between":
        return f"between {v:g} and {high:g}{unit}"
    return f"{op or '>='} {v:g}{unit}"


def structured(facts: PatientFacts) -> bool:
    """Whether the facts come from a structured record (JSON/FHIR), whose lists we take as complete."""
    for p in _provenances(facts):
        return p.source != "note"
    return False


def _provenances(facts: PatientFacts):
    if facts.age:
        yield facts.age.provenance
    if facts.sex:
        yield facts.sex.provenance
    for group in (facts.diagnoses, facts.labs, facts.biomarkers, facts.prior_therapies, facts.comorbidities):
        for f in group:
            yield f.provenance


def check_age(c: Constraint, facts: PatientFacts, today: dt.date) -> Finding:
    years = facts.age_years(today)
    if years is None:
        return Finding(None, "the patient's age is not known", missing=True)
    ok = (c.min_years is None or years >= c.min_years) and (c.max_years is None or years <= c.max_years)
    bounds = f"{c.min_years:g}" if c.min_years is not None else "no minimum"
    bounds += f" to {c.max_years:g}" if c.max_years is not None else " and over"
    return Finding(ok, f"age {years:.0f} years; criterion: {bounds} years", f"{years:.0f} years",
                   _src(facts.age.provenance if facts.age else None))


def check_sex(c: Constraint, facts: PatientFacts, today: dt.date) -> Finding:
    if c.sex in (None, "ALL"):
        return Finding(True, "open to all sexes")
    if facts.sex is None:
        return Finding(None, "the patient's sex is not known", missing=True)
    return Finding(facts.sex.value == c.sex, f"sex {facts.sex.value}; criterion: {c.sex}", facts.sex.value,
                   _src(facts.sex.provenance))


def check_performance(c: Constraint, facts: PatientFacts, today: dt.date) -> Finding:
    scale = c.scale or "ECOG"
    ps = facts.latest_performance(scale)
    if ps is not None:
        ok = compare(ps.value, c.op, c.value, c.value_high)
        return Finding(ok, f"{scale} {ps.value}; criterion: {scale} {_op_text(c.op, c.value, c.value_high)}",
                       f"{scale} {ps.value}", _src(ps.provenance))
    other = facts.latest_performance()
    if other is None:
        return Finding(None, f"no {scale} performance status recorded", missing=True)
    if scale == "ECOG" and other.scale in ("KARNOFSKY", "LANSKY"):
        ecog = ecog_from_karnofsky(other.value)
        ok = compare(ecog, c.op, c.value, c.value_high)
        return Finding(ok, f"{other.scale} {other.value} ≈ ECOG {ecog}; criterion: ECOG "
                           f"{_op_text(c.op, c.value, c.value_high)}", f"{other.scale} {other.value}",
                       _src(other.provenance))
    if scale in ("KARNOFSKY", "LANSKY") and other.scale == "ECOG":
        lo, hi = karnofsky_range_from_ecog(other.value)
        at_lo, at_hi = compare(lo, c.op, c.value, c.value_high), compare(hi, c.op, c.value, c.value_high)
        ok = at_lo if at_lo == at_hi else None  # the ECOG grade spans the threshold: cannot tell
        return Finding(ok, f"ECOG {other.value} ≈ {scale} {lo}–{hi}; criterion: {scale} "
                           f"{_op_text(c.op, c.value, c.value_high)}", f"ECOG {other.value}", _src(other.provenance))
    return Finding(None, f"performance status on another scale ({other.scale}) cannot be converted to {scale}")


def check_lab(c: Constraint, facts: PatientFacts, today: dt.date) -> Finding:
    lab = facts.latest_lab(c.analyte or "")
    if lab is None:
        return Finding(None, f"no {c.analyte} result recorded", missing=True)
    fact = f"{c.analyte} {lab.value:g} {lab.unit or ''}".strip()
    src = _src(lab.provenance)
    for multiple, which in ((c.uln_multiple, "uln"), (c.lln_multiple, "lln")):
        if multiple is None:
            continue
        limit, limit_unit, assumed = getattr(lab, which), lab.unit, False
        value = lab.value
        if limit is None:
            limit, limit_unit = reference_limit(c.analyte or "", which), lab.unit_std
            value, assumed = lab.value_std, True
        if limit is None or value is None:
            return Finding(None, f"{fact}: the {which.upper()} for this result is not known", fact, src)
        ok = compare(value, c.op or "<=", multiple * limit)
        note = " (reference range assumed: the record gives none)" if assumed else ""
        return Finding(ok, f"{fact}; criterion: {_op_text(c.op or '<=', multiple)} × {which.upper()} "
                           f"= {multiple * limit:g} {limit_unit or ''}{note}", fact, src)
    if lab.value_std is None or (c.unit and lab.unit_std and c.unit != lab.unit_std):
        return Finding(None, f"{fact}: unit not understood, cannot compare with {c.unit}", fact, src)
    if lab.comparator:
        ok = compare_censored(lab.value_std, lab.comparator, c.op, c.value, c.value_high)
        said = lab.provenance.text
        return Finding(ok, f"{c.analyte} {lab.comparator} {lab.value_std:g} {lab.unit_std or ''} (as '{said}' states "
                           f"it); criterion: {_op_text(c.op, c.value, c.value_high, ' ' + (c.unit or ''))}", fact, src)
    ok = compare(lab.value_std, c.op, c.value, c.value_high)
    return Finding(ok, f"{c.analyte} {lab.value_std:g} {lab.unit_std or ''}; criterion: "
                       f"{_op_text(c.op, c.value, c.value_high, ' ' + (c.unit or ''))}", fact, src)


def check_life_expectancy(c: Constraint, facts: PatientFacts, today: dt.date) -> Finding:
    return Finding(None, "life expectancy is a clinician's estimate: ask the treating physician", missing=True)


def check_pregnancy(c: Constraint, facts: PatientFacts, today: dt.date) -> Finding:
    if c.status in ("postmenopausal", "premenopausal"):
        return _menopause(c.status, facts, today)
    if c.status not in ("pregnant", "breastfeeding"):
        return Finding(None, "contraception and fertility plans are not in the record")
    if facts.sex is not None and facts.sex.value == "MALE":
        return Finding(False, f"male patient: cannot be {c.status}", "MALE", _src(facts.sex.provenance))
    p = facts.pregnancy
    value = None if p is None else (p.pregnant if c.status == "pregnant" else p.breastfeeding)
    if value is None:
        if p is not None and p.postmenopausal and c.status == "pregnant":
            return Finding(False, "postmenopausal", "postmenopausal", _src(p.provenance))
        return Finding(None, f"whether the patient is {c.status} is not recorded", missing=True)
    return Finding(value, f"{'is' if value else 'is not'} {c.status}", c.status, _src(p.provenance if p else None))


def _menopause(status: str, facts: PatientFacts, today: dt.date) -> Finding:
    """Menopausal status: as the record states it, else from the age where it leaves no doubt."""
    if facts.sex is not None and facts.sex.value == "MALE":
        return Finding(False, f"male patient: not {status}", "MALE", _src(facts.sex.provenance))
    have = menopausal(facts, today)
    if have is None:
        return Finding(None, "menopausal status is not recorded", missing=True)
    stated = facts.pregnancy is not None and facts.pregnancy.postmenopausal is not None
    source = facts.pregnancy.provenance if stated and facts.pregnancy else (facts.age.provenance if facts.age
                                                                             else None)
    how = "as recorded" if stated else f"from the age, {facts.age_years(today):.0f} years"
    return Finding(status.startswith(have), f"{have}menopausal ({how}); criterion: {status}", f"{have}menopausal",
                   _src(source))


def check_comorbidity(c: Constraint, facts: PatientFacts, today: dt.date) -> Finding:
    found = [m for m in facts.comorbidities if comorbidity_matches(c.name or "", m.key, m.name)]
    narrower = _narrower_than_key(c, found)
    if narrower is not None:
        return narrower
    for m in found:
        if c.within_months is not None and m.date is not None:
            months = (today - m.date).days / 30.44
            if months > c.within_months:
                continue
        if c.nyha_class is not None and m.nyha_class is not None and not compare(m.nyha_class, c.nyha_op,
                                                                                 c.nyha_class):
            continue
        if m.active is False and c.within_months is None and not c.historical:
            continue
        open_question = _comorbidity_open(c, m)
        if open_question:
            return Finding(None, open_question, m.name, _src(m.provenance))
        return Finding(True, f"has {m.name}", m.name, _src(m.provenance), also=_other_mentions(c, m, found, facts))
    if found:
        return Finding(False, f"{found[0].name} does not meet the time window or class", found[0].name,
                       _src(found[0].provenance))
    codes = list(dict.fromkeys([*(c.codes or []), *comorbidity_codes(c.name or "")]))
    if codes:
        named = _concept_finding(c, list(codes), facts, c.name or "", today)
        if named is not None:
            return named
    return _absent(facts, c.name or "", "condition", f"no {c.name} recorded", "any_condition")


def _other_mentions(c: Constraint, first: Any, found: list[Any], facts: PatientFacts) -> tuple[dict[str, Any], ...]:
    """Where else the record names a comorbidity: its other mentions, and the concepts of its codes or below."""
    codes = list(dict.fromkeys([*(c.codes or []), *comorbidity_codes(c.name or "")]))
    others = [m for m in found if m is not first] + [p for p in facts.concepts if codes and
                                                    concept_within(p.codes, codes)]
    spans = {tuple(first.provenance.span or ())}
    out = []
    for x in others:
        src = _src(x.provenance)
        if src is not None and tuple(x.provenance.span or ()) not in spans:
            spans.add(tuple(x.provenance.span or ()))
            out.append(src)
    return tuple(out[:_MORE_MENTIONS])


def check_concept(c: Constraint, facts: PatientFacts, today: dt.date) -> Finding:
    """A clinical concept: the record names it or something below it (a note's 'myocardial infarction' for a
    criterion's 'cardiovascular disease'); names something above it (open); denies it; or says nothing."""
    name = c.name or "it"
    found = _concept_finding(c, c.codes or [], facts, name, today)
    if found is not None:
        return found
    denied = _denied(c.codes or [], facts)
    if denied is not None:
        return Finding(False, f"the record says no {denied.name}", f"no {denied.name}", _src(denied.provenance),
                       absent=True)
    # 'no past medical history' denies diseases, not what brings the patient in today (a finding, a shock)
    anything = "any_medication" if c.concept_kind in ("drug", "drug_class") else (
        "any_condition" if c.concept_kind == "disease" else None)
    return _absent(facts, "", "condition", f"no {name} recorded", anything)


def _concept_finding(c: Constraint, codes: list[str], facts: PatientFacts, name: str,
                     today: dt.date) -> Finding | None:
    """What the record's concepts say of `codes`: present (perhaps open on a qualifier or a time window), only a
    broader concept named (open), or None when it names nothing related."""
    have = [p for p in facts.concepts if concept_within(p.codes, codes)]
    if have:
        p = sorted(have, key=lambda x: x.historical)[0]
        wanted = narrowing_qualifiers(c.qualifier)
        if wanted and not set(wanted) & set(p.qualifiers):
            return Finding(None, f"has {p.name}; whether it is {' or '.join(wanted)} is not recorded", p.name,
                           _src(p.provenance))
        if c.within_months is not None and p.date is not None:
            months = (today - p.date).days / 30.44
            if months > c.within_months:
                return Finding(False, f"{p.name} {months:.1f} months ago; criterion: within {c.within_months:g} "
                                      f"months", p.name, _src(p.provenance))
        elif c.within_months is not None and p.historical:
            return Finding(None, f"had {p.name}; when is not recorded (criterion: within {c.within_months:g} "
                                 f"months)", p.name, _src(p.provenance))
        kind_of = f" (a kind of {name})" if p.name.lower() != name.lower() else ""
        also = tuple(src for x in have if x is not p and (src := _src(x.provenance)) is not None)
        return Finding(True, f"the record names {p.name}{kind_of}", p.name, _src(p.provenance),
                       found_now=not p.historical and p.date is None, also=also[:_MORE_MENTIONS])
    broader = [p for p in facts.concepts if concept_within(codes, p.codes)]
    if broader:
        p = broader[0]
        return Finding(None, f"has {p.name}; whether it is {name} is not recorded", p.name, _src(p.provenance))
    return None


def _denied(codes: list[str], facts: PatientFacts) -> Any:
    """A denial in the record that covers `codes` (it names them or something above them)."""
    return next((n for n in facts.negated if n.codes and concept_within(codes, n.codes)), None)


def _narrower_than_key(c: Constraint, found: list[Any]) -> Finding | None:
    """A criterion's own words may name a narrower condition than its comorbidity key ('type 1 diabetes' under the
    key 'diabetes'): a patient's comorbidity of another kind of it does not meet it, one named only broadly leaves
    it open. None when the words say no more than the key."""
    wanted = list(c.codes or [])
    key_codes = list(comorbidity_codes(c.name or ""))
    if not found or not wanted or concept_within(key_codes, wanted):
        return None
    for m in found:
        have = list(comorbidity_codes(m.key or "")) or concept_codes_of(m.name)
        if not have or concept_within(have, wanted):
            return None  # the same (or narrower) condition, or one we cannot place: the key decides
    m = found[0]
    have = list(comorbidity_codes(m.key or "")) or concept_codes_of(m.name)
    if concept_within(wanted, have):
        return Finding(None, f"has {m.name}; whether it is the narrower condition the criterion names is not "
                             f"recorded", m.name, _src(m.provenance))
    return Finding(False, f"has {m.name}, not the kind the criterion names", m.name, _src(m.provenance))


def _comorbidity_open(c: Constraint, m: Any) -> str | None:
    """Why a patient's matching comorbidity does not settle the criterion: the criterion narrows it ("uncontrolled
    hypertension") and the fact does not say the same, or it asks for a time window and the fact has no date."""
    wanted = narrowing_qualifiers(c.qualifier)
    if wanted and not set(wanted) & set(fact_qualifiers(m)):
        return f"has {m.name}; whether it is {' or '.join(wanted)} is not recorded"
    if c.within_months is not None and m.date is None and m.active is not True:
        return f"has {m.name}; when is not recorded (criterion: within {c.within_months:g} months)"
    return None


def _absent(facts: PatientFacts, key: str, kind: str, what: str, anything: str | None = None) -> Finding:
    """A fact not found: False when the record says it is absent, or denies the whole class (`anything`: 'no past
    medical history', 'takes no medications'); else missing (the absence policy decides)."""
    for n in facts.negated:
        if key and (n.key == key or key.replace("_", " ") in n.name.lower()):
            return Finding(False, f"the record says no {n.name}", f"no {n.name}", _src(n.provenance), absent=True)
    for n in facts.negated:
        if anything and n.key == anything:
            return Finding(False, f"{what}: the record says '{n.name}'", n.name, _src(n.provenance), absent=True)
    if structured(facts):
        return Finding(None, f"{what} (a structured record lists such facts completely)", missing=True)
    return Finding(None, what, missing=True)


def check_condition(c: Constraint, facts: PatientFacts, today: dt.date) -> Finding:
    if not facts.diagnoses:
        return Finding(None, "no cancer diagnosis recorded", missing=True)
    parts: list[Finding] = []
    if c.code:
        parts.append(_diagnosis_code(c.code, facts))
    if c.stage:
        parts.append(_best(facts, lambda d: stage_matches(_stage(d), c.stage or []), "stage",
                           f"stage {'/'.join(c.stage)}"))
    settings = checkable_settings(c.setting)
    if settings:
        parts.append(_best(facts, lambda d: _setting_holds(d, settings), "setting", " or ".join(settings)))
    if c.metastasis_site:
        parts.append(_metastasis(c.metastasis_site, facts))
    if not parts:
        return Finding(None, "lesion size, count and measurability are not in the record")
    return _all(parts)


def _patient_code(d: Any) -> str:
    """The diagnosis's code, site-specific when the record's code is only the histology of a name written
    'histology of the site' ('adenocarcinoma of the sigmoid colon' coded ADNOS is a colon adenocarcinoma)."""
    codes = cancer_codes(d.name)
    return codes[1] if codes and codes[0] == d.oncotree_code else d.oncotree_code


def _diagnosis_code(code: str, facts: PatientFacts) -> Finding:
    code = criterion_scope(code)
    coded = [(d, _patient_code(d)) for d in facts.diagnoses if d.oncotree_code]
    for d, have in coded:
        if is_within(have, code):
            return Finding(True, f"diagnosis {d.name} ({have}) is within {code}", d.name, _src(d.provenance))
    for d, have in coded:
        if is_within(code, have):
            return Finding(None, f"diagnosis {d.name} ({have}) is broader than {code}: subtype unknown",
                           d.name, _src(d.provenance))
    if coded:
        d, have = coded[0]
        return Finding(False, f"diagnosis {d.name} ({have}) is not {code}", d.name, _src(d.provenance))
    return Finding(None, f"diagnosis {facts.diagnoses[0].name} could not be coded to compare with {code}")


def _stage(d: Any) -> str | None:
    """The recorded stage; a cancer recorded as metastatic (or with distant metastases) is stage IV."""
    if d.stage:
        return str(d.stage)
    return "IV" if "metastatic" in d.setting or d.metastatic_sites else None


def _setting_holds(d: Any, wanted: list[str]) -> bool | None:
    have = set(d.setting) | ({"metastatic"} if d.metastatic_sites else set())
    return setting_holds(wanted, have)


def _metastasis(site: str, facts: PatientFacts) -> Finding:
    for d in facts.diagnoses:
        if site in d.metastatic_sites:
            return Finding(True, f"{site} metastases recorded", f"{d.name}: {site} metastases", _src(d.provenance))
    return _absent(facts, f"{site}_metastases", "condition", f"no {site} metastases recorded")


def _best(facts: PatientFacts, test: Callable[[Any], bool | None], what: str, wanted: str) -> Finding:
    unknown = None
    for d in facts.diagnoses:
        ok = test(d)
        if ok:
            return Finding(True, f"{what} of {d.name} matches {wanted}", d.name, _src(d.provenance))
        if ok is False:
            return Finding(False, f"{what} of {d.name} does not match {wanted}", d.name, _src(d.provenance))
        unknown = d
    return Finding(None, f"{what} of {unknown.name if unknown else 'the cancer'} is not recorded")


def _all(parts: list[Finding]) -> Finding:
    for p in parts:
        if p.holds is False:
            return p
    for p in parts:
        if p.holds is None:
            return p
    return Finding(True, "; ".join(p.reason for p in parts), parts[0].fact, parts[0].source)


def check_biomarker(c: Constraint, facts: PatientFacts, today: dt.date) -> Finding:
    results = [b for b in facts.biomarkers if same_biomarker(b.name, c.name or "")]
    if not results:
        return _absent_unknown(facts, c.name or "")
    b = results[-1]
    fact = f"{b.name} {b.status or ''} {b.variant or ''} {'' if b.score is None else b.score}".split()
    fact_text, src = " ".join(fact), _src(b.provenance)
    if c.value is not None and b.score is not None:
        ok = compare(b.score, c.op, c.value)
        return Finding(ok, f"{fact_text}; criterion: {c.name} {_op_text(c.op, c.value)}", fact_text, src)
    want, have = biomarker_polarity(c.status), biomarker_polarity(b.status)
    if want is None or have is None:
        return Finding(None, f"{fact_text}; criterion asks {c.name} {c.status}: not comparable", fact_text, src)
    if c.variant and b.variant and c.variant.lower() != b.variant.lower() and want == have == "positive":
        return Finding(False, f"{fact_text}; criterion asks variant {c.variant}", fact_text, src)
    return Finding(want == have, f"{fact_text}; criterion: {c.name} {c.status}", fact_text, src)


def _absent_unknown(facts: PatientFacts, name: str) -> Finding:
    for n in facts.negated:
        if same_biomarker(n.key or n.name, name):
            return Finding(None, f"record says negative for {n.name}; status detail unclear", n.name,
                           _src(n.provenance))
    return Finding(None, f"no {name} result recorded", missing=True)


def check_prior_therapy(c: Constraint, facts: PatientFacts, today: dt.date) -> Finding:
    matches = [t for t in facts.prior_therapies if therapy_matches(c, t) is True]
    if matches and all(response_contradicts(c.response, t.response) for t in matches):
        t = matches[0]
        return Finding(False, f"had {t.agent or t.modality} with response {t.response}; criterion: "
                              f"{(c.response or '').replace('_', ' ')}", t.agent or t.modality, _src(t.provenance))
    label = c.agent or c.agent_class or c.modality or "therapy"
    if c.lines is not None:
        lines = max([t.line or 0 for t in facts.prior_therapies] + [0]) or None
        if lines is None:
            return Finding(None, "the number of prior lines of therapy is not recorded")
        return Finding(compare(lines, c.lines_op, c.lines), f"{lines} prior line(s); criterion: "
                                                            f"{_op_text(c.lines_op, c.lines)}", f"{lines} lines")
    if not matches:
        unsure = [t for t in facts.prior_therapies if therapy_matches(c, t) is None]
        if unsure:
            t = unsure[0]
            return Finding(None, f"had {t.agent or t.modality}: whether it is {label.replace('_', ' ')} is not known",
                           t.agent or t.modality, _src(t.provenance))
        anything = "any_medication" if _drug_therapy(c) else None
        return _absent(facts, label, "therapy", f"no prior {label.replace('_', ' ')} recorded", anything)
    if c.concurrent:
        return _concurrent(matches, label)
    if c.window_days is None:
        t = matches[0]
        return Finding(True, f"had {t.agent or t.modality}", t.agent or t.modality, _src(t.provenance))
    dated = [t for t in matches if (t.end or t.start) is not None or t.current]
    if not dated:
        t = matches[0]
        return Finding(None, f"had {t.agent or t.modality}, date not recorded", t.agent or t.modality,
                       _src(t.provenance))
    for t in dated:
        days = 0 if t.current else (today - (t.end or t.start)).days  # type: ignore[operator]
        if compare(days, c.window_op or "<=", c.window_days):
            return Finding(True, f"{t.agent or t.modality} {days} days ago; criterion: "
                                 f"{_op_text(c.window_op or '<=', c.window_days)} days", t.agent or t.modality,
                           _src(t.provenance))
    t = dated[0]
    return Finding(False, f"{t.agent or t.modality} outside the window of {c.window_days:g} days",
                   t.agent or t.modality, _src(t.provenance))


_CONSENT_ASPECTS = {"consent": "consent", "capacity": "consent", "compliance": "comply", "adherence": "adherent"}


def check_consent(c: Constraint, facts: PatientFacts, today: dt.date) -> Finding:
    """Consent (and the capacity to give it) and compliance with a trial's protocol, as the record states them."""
    field = _CONSENT_ASPECTS.get(c.aspect or "")
    if field is None:
        return Finding(None, f"{(c.aspect or 'this').replace('_', ' ')} is not in the record", missing=True)
    stated = facts.consent
    value = getattr(stated, field) if stated is not None else None
    what = {"consent": "give informed consent", "comply": "comply with the trial's protocol",
            "adherent": "follow prescribed medical treatment"}[field]
    if value is None or stated is None:
        return Finding(None, f"the record does not say whether the patient will {what}", missing=True)
    said = stated.provenance.text or what
    return Finding(value, f"the record says the patient {'will' if value else 'will not'} {what}: '{said}'",
                   said, _src(stated.provenance))


def _drug_therapy(c: Constraint) -> bool:
    """A criterion on a drug or drug class (not on surgery or radiotherapy)."""
    return bool(c.agent or c.agent_class) or c.modality in ("systemic_therapy", "chemotherapy", "immunotherapy",
                                                            "biologic_therapy")


def _concurrent(matches: list[Any], label: str) -> Finding:
    """A criterion on concurrent therapy: only a therapy the record says is current holds; one it says is past
    does not; one it does not date leaves it open."""
    now = [t for t in matches if t.current is True]
    if now:
        t = now[0]
        return Finding(True, f"currently on {t.agent or t.modality}", t.agent or t.modality, _src(t.provenance))
    open_ = [t for t in matches if t.current is None and t.end is None]
    if open_:
        t = open_[0]
        return Finding(None, f"had {t.agent or t.modality}; whether it is still given is not recorded",
                       t.agent or t.modality, _src(t.provenance))
    t = matches[0]
    return Finding(False, f"{t.agent or t.modality} is a past therapy, not a concurrent "
                          f"{label.replace('_', ' ')}", t.agent or t.modality, _src(t.provenance))


CHECKS: dict[str, Callable[[Constraint, PatientFacts, dt.date], Finding]] = {
    "age": check_age,
    "sex": check_sex,
    "performance_status": check_performance,
    "lab": check_lab,
    "life_expectancy": check_life_expectancy,
    "pregnancy": check_pregnancy,
    "comorbidity": check_comorbidity,
    "condition": check_condition,
    "biomarker": check_biomarker,
    "prior_therapy": check_prior_therapy,
    "consent_or_compliance": check_consent,
    "concept": check_concept,
}
