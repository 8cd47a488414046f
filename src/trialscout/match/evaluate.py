"""Criteria × patient facts → a verdict per criterion (with evidence) and a verdict per trial."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from trialscout.criteria import rules
from trialscout.criteria.remarks import permits
from trialscout.match.absence import (
    cannot_tell,
    has_record,
    link_source,
    presumption_key_of,
    unstructured,
    with_grounds,
)
from trialscout.match.facts import CHECKS, Finding, check_condition
from trialscout.match.groups import all_of, any_of, combine_groups, inline_units, polarity
from trialscout.match.links import criterion_links
from trialscout.match.policy import (
    Policy,
    life_expectancy_presumed_months,
    presumed_reason,
    presumption_key,
)
from trialscout.match.policy import policy as absence_policy
from trialscout.match.population import applicability
from trialscout.match.traits import memo_of, partly_read, remember, traits_of
from trialscout.match.traits import usable as is_usable
from trialscout.model.criteria import Constraint, Criterion
from trialscout.model.match import CriterionResult, Eligibility, Evidence, Verdict
from trialscout.model.patient import Age, PatientFacts, Pregnancy, Sex

_OR_BETWEEN = re.compile(r"\b(or|either)\b|/", re.IGNORECASE)
_COMMA_ONLY = re.compile(r"^[^.;:()\n]*,[^.;:()]*$")
"""A comma list's separator: a comma, perhaps with words of the next item, not across a sentence or a bracket."""
_SENTENCE_END = re.compile(r"[.;:]\s|\n\s*\n|\n\s*[-*•]")
_OR_TAIL = re.compile(r"^(?:(?!\band\b)[^()])*,?\s*\bor\b", re.IGNORECASE)
_EXAMPLES_OPEN = re.compile(r"\(\s*(?:including|includes|incl\.|e\.g\.?|such\s+as|i\.e\.?|for\s+example)",
                            re.IGNORECASE)
_LIST_KINDS = frozenset({"condition", "biomarker", "comorbidity", "concept"})
_LIST_INTRO = re.compile(r"(?::|\bsuch\s+as|\be\.g\.?|\bincluding|\bone\s+or\s+more(?:\s+of)?|\bany\s+of)\s*"
                         r"[^.;:]*$", re.IGNORECASE)
"""What opens a list of examples or choices ('pelvic congestion: A, B, C', 'risk factors, such as A, B'): its
members are alternatives even without an 'or'."""
_CONDITION_KINDS = frozenset({"comorbidity", "concept"})
_CRITERION_START = re.compile(r"\n\s*\n|\n\s*(?:[-*•]|\d+[.)])\s")


def constraint_verdict(c: Constraint, criterion_type: str, finding: Finding, policy: Policy | None = None,
                      key: str | None = None) -> tuple[Verdict, bool]:
    """Turn 'does the statement hold' into pass/fail for this criterion's polarity, and whether the pass is
    presumed.

    Inclusion: the statement must hold. Exclusion: it must not. A negated statement ("no brain
    metastases") flips it. A hypothetical one ("if of childbearing potential, ...") can pass but never fail:
    whether its condition applies is not known. A washout ("at least 3 years since chemotherapy") is met by a
    patient who never had the therapy, whichever the criterion's type. When the record says nothing
    (`finding.missing`), the absence policy may presume the thing absent: that can pass a patient (presumed,
    to confirm), never fail one.
    """
    holds, presumed = finding.holds, False
    key = key or presumption_key(c)
    if holds is None and finding.missing and policy is not None and policy.presumes(key):
        holds, presumed = _presumed_holds(c, key), True
        if holds is None:
            return "unknown", False
    if holds is None:
        return "unknown", False
    if (finding.absent or presumed) and _washout(c):
        return "pass", presumed
    statement = not holds if c.negated else holds
    ok = statement if criterion_type == "inclusion" else not statement
    if not ok and (c.hypothetical or presumed or (c.historical and finding.found_now)):
        return "unknown", False  # a 'history of' criterion is not failed by what is only found today
    return ("pass", presumed) if ok else ("fail", False)


def _presumed_holds(c: Constraint, key: str) -> bool | None:
    """What the record's silence presumes of a constraint's statement: the thing is absent. For a life
    expectancy the thing a record would mention is a short one: a minimum of a few months is presumed met, a
    longer one is not presumed at all. For consent, compliance and adherence it is a refusal, an incapacity or a
    failure to follow treatment: the patient is presumed able and willing (to confirm)."""
    if key == "consent":
        return True
    if key != "life_expectancy":
        return False
    if c.months is None or c.months > life_expectancy_presumed_months():
        return None
    return c.op in (">=", ">", None)


def _washout(c: Constraint) -> bool:
    return c.kind == "prior_therapy" and c.window_op in (">=", ">") and not c.negated and c.lines is None


def evaluate_criterion(index: int, criterion: Criterion, block: str, facts: PatientFacts,
                       today: dt.date, ctype: str | None = None, policy: Policy | None = None) -> CriterionResult:
    """One criterion's verdict; `ctype` overrides its polarity (a sub-item of 'No history of any of the
    following:' is read as an exclusion); `policy` is the absence policy (None: the default)."""
    ctype = ctype or criterion.type
    policy = policy or absence_policy()
    traits = traits_of(criterion, block)
    if traits.permits if traits is not None else _permits(criterion.text):
        return _permission(index, criterion)
    scope = applicability(criterion, ctype, block, facts, today, traits)
    if scope.whole:
        return _not_applicable(index, criterion, scope.whole, facts)
    kept = [c for i, c in enumerate(criterion.constraints) if i not in scope.outside and i not in scope.subject
            and (traits is None or traits.usable[i])]
    usable = _applicable(kept, facts, today, checked=traits is not None)
    named = any(c.kind in _CONDITION_KINDS for c in usable)
    evidence = [_evidence(c, ctype, criterion, block, facts, today, policy, named) for c in usable]
    whole = traits is not None and not (scope.outside or scope.subject or traits.conditional_limits)
    plan = _plan(criterion, ctype, usable, block, whole)
    evidence = _defined_by_limits(usable, evidence, plan.limits)
    verdict = _combine_inline(plan, evidence)
    if not usable:
        return unstructured(index, criterion, ctype, facts, policy, set_aside=bool(scope.outside))
    question = None
    likely_fail = verdict == "fail" and bool(criterion.unread)
    if likely_fail:
        verdict = "unknown"
        question = f"not fully understood ({', '.join(criterion.unread[:6])}): read the criterion and decide"
    elif verdict == "pass" and ctype == "inclusion" and not all(c.negated for c in usable) and \
            (traits.partly_read if traits is not None else partly_read(criterion)):
        verdict = "unknown"
        question = f"only partly understood ({', '.join(criterion.unread[:6])} not read): check the rest"
    presumed = verdict == "pass" and any(e.presumed for e in evidence if e.verdict == "pass")
    if presumed:
        verdict, question, evidence = _confirm_presumption(criterion, ctype, facts, policy, evidence)
        presumed = any(e.presumed for e in evidence if e.verdict == "pass")  # a denial in the record confirms it
    elif verdict == "unknown" and question is None:
        question = next((e.reason for e in evidence if e.verdict == "unknown"), None)
    return CriterionResult(index=index, type=criterion.type, text=criterion.text, span=criterion.span,
                           computable=True, verdict=verdict, presumed=verdict == "pass" and presumed,
                           evidence=evidence, question=question, unread=criterion.unread, likely_fail=likely_fail)




@lru_cache(maxsize=1 << 16)
def _permits(text: str) -> bool:
    """`permits`, cached for trials that are not held: the same words recur across trials and calls."""
    return permits(text)


def _permission(index: int, criterion: Criterion) -> CriterionResult:
    evidence = Evidence(verdict="pass", reason="a permission: it asks nothing of the patient",
                        constraint={"kind": "permission"}, criterion_text=criterion.text)
    return CriterionResult(index=index, type=criterion.type, text=criterion.text, span=criterion.span,
                           computable=True, verdict="pass", evidence=[evidence])


def _not_applicable(index: int, criterion: Criterion, why: str, facts: PatientFacts) -> CriterionResult:
    fact = _population_fact(why, facts)
    evidence = Evidence(verdict="not_applicable", reason=why, constraint={"kind": "population"},
                        criterion_text=criterion.text, fact=fact.provenance.text if fact else None,
                        source=fact.provenance.model_dump(exclude_none=True) if fact else None)
    return CriterionResult(index=index, type=criterion.type, text=criterion.text, span=criterion.span,
                           computable=True, verdict="not_applicable", evidence=[evidence], unread=criterion.unread)


def _population_fact(why: str, facts: PatientFacts) -> Age | Sex | Pregnancy | None:
    """The patient fact that puts a criterion outside its population: sex, menopause, or age."""
    if why.startswith("male") and facts.sex is not None:
        return facts.sex
    if "menopaus" in why and facts.pregnancy is not None:
        return facts.pregnancy
    return facts.age


def _confirm_presumption(criterion: Criterion, ctype: str, facts: PatientFacts, policy: Policy,
                         evidence: list[Evidence]) -> tuple[Verdict, str | None, list[Evidence]]:
    """A presumed pass holds only while the record is silent on the criterion: a note sentence sharing its words
    makes it a question to look at (unknown), unless every shared word is negated there (then it is confirmed)."""
    if cannot_tell(criterion):
        return "unknown", "a clinical record does not say this: ask the patient or the team", \
            [e.model_copy(update={"verdict": "unknown", "presumed": False}) if e.presumed else e for e in evidence]
    # the patient's own cancer, read as a diagnosis, is no reason to question a presumed absence ('no other
    # malignancy'): a criterion on the cancer itself is decided through the diagnosis, not presumed
    own = [d.provenance.span for d in facts.diagnoses if d.provenance.span]
    found = criterion_links(criterion.text, ctype, facts, own)
    if found and all(link.negated for link in found):
        said = found[0]
        confirmed = [e.model_copy(update={"presumed": False, "fact": said.text, "reason": f"the record says: "
                                          f"'{said.text.strip()}'", "source": link_source(said, facts)})
                     if e.presumed else e for e in evidence]
        return "pass", None, confirmed
    if found:
        said = found[0]
        related = Evidence(verdict="unknown", reason=f"the record mentions {', '.join(said.words)}: "
                           f"'{said.text.strip()}'", constraint={"kind": "link"}, criterion_text=criterion.text,
                           fact=said.text, source=link_source(said, facts))
        return "unknown", f"the record speaks of {', '.join(said.words)}: does the criterion apply?", \
            [*evidence, related]
    key = next((presumption_key_of(e) for e in evidence if e.presumed), "unlinked_exclusion")
    return "pass", policy.question(key, criterion.text), evidence


def _applicable(constraints: list[Constraint], facts: PatientFacts, today: dt.date,
                checked: bool = False) -> list[Constraint]:
    """Computable constraints that apply: a limit 'in the presence of liver metastases' replaces the
    general limit for the same analyte when the patient has them, and is dropped otherwise. `checked`: the
    constraints are known to be usable (`traits.usable`) already."""
    usable = constraints if checked else [c for c in constraints if is_usable(c)]
    conditional = [c for c in usable if c.kind == "lab" and c.applies_if]
    if not conditional:
        return usable
    keep = [c for c in usable if c not in conditional]
    for c in conditional:
        if _condition_present(c.applies_if or "", facts, today):
            keep = [k for k in keep if not (k.kind == "lab" and k.analyte == c.analyte)] + [c]
    return keep


def _condition_present(applies_if: str, facts: PatientFacts, today: dt.date) -> bool:
    site = applies_if.removesuffix("_metastases").removesuffix("_metastasis")
    if site != applies_if:
        probe = Constraint(kind="condition", span=(0, 0), metastasis_site=site)
        return check_condition(probe, facts, today).holds is True
    key = applies_if.replace("_syndrome", "")
    return any(key in (m.key or m.name.lower()) for m in facts.comorbidities)


@dataclass(frozen=True)
class _Plan:
    """How a criterion's usable constraints combine, which depends on the trial alone (worked out once for a
    compiled criterion): the lab limits defining each condition, the alternatives after a lead-in's colon
    (`inline_units`), and the groups of alternatives of its head and of each unit (`_groups`)."""

    limits: tuple[tuple[int, tuple[int, ...]], ...]
    units: tuple[tuple[int, ...], ...]
    head: tuple[int, ...]
    head_groups: tuple[tuple[int, ...], ...]
    unit_groups: tuple[tuple[tuple[int, ...], ...], ...]


def _plan(criterion: Criterion, ctype: str, usable: list[Constraint], block: str, whole: bool = False) -> _Plan:
    """The criterion's plan for these usable constraints, worked out now; or, for a held criterion whose usable
    constraints are all of them (`whole`: no part concerns other people, no limit applies only with a
    condition, as for most patients), kept from the first time."""
    memo = memo_of(criterion) if whole else None
    if memo is not None and len(memo) == 3 and memo[1] == ctype:
        return memo[2]  # type: ignore[no-any-return]
    limits = ((i, tuple(_defining_limits(i, usable, block))) for i, c in enumerate(usable)
              if c.kind in _CONDITION_KINDS)
    units = tuple(tuple(u) for u in inline_units(criterion, ctype, usable, block))
    alternative = {i for unit in units for i in unit}
    head = tuple(i for i in range(len(usable)) if i not in alternative)
    plan = _Plan(tuple((i, found) for i, found in limits if found), units, head,
                 _groups(ctype, [usable[i] for i in head], block),
                 tuple(_groups(ctype, [usable[i] for i in u], block) for u in units))
    if memo is not None:
        remember(criterion, memo[0], ctype, plan)
    return plan


def _defined_by_limits(constraints: list[Constraint], evidence: list[Evidence],
                       defining: tuple[tuple[int, tuple[int, ...]], ...]) -> list[Evidence]:
    """A condition followed at once by the lab limits that define it ('hypertension of > 160/95 mm Hg', 'renal
    impairment (creatinine > 3 mg/dL)') is decided by those limits: having the condition is not enough to meet
    the criterion, and a limit the record meets settles it. With the limits unknown, a patient who has the
    condition is unknown; one who has not is decided as before."""
    out = list(evidence)
    for i, limits in defining:
        decided = [evidence[j] for j in limits if evidence[j].verdict in ("pass", "fail") and not evidence[j].presumed]
        if decided and len(decided) == len(limits) or any(e.verdict == "fail" for e in decided):
            verdict: Verdict = "fail" if any(e.verdict == "fail" for e in decided) else "pass"
            why = "; ".join(e.reason for e in decided)
            out[i] = evidence[i].model_copy(update={"verdict": verdict, "presumed": False, "reason":
                                                    f"{evidence[i].reason.split(';')[0]}, as its limit defines it: "
                                                    f"{why}"})
        elif evidence[i].verdict == "fail":
            out[i] = evidence[i].model_copy(update={"verdict": "unknown", "reason": f"{evidence[i].reason}; whether "
                                                    "it meets the limit the criterion defines it by is not recorded"})
            for j in limits:  # the condition is there: its limit's silence presumes nothing
                if evidence[j].presumed:
                    out[j] = evidence[j].model_copy(update={"verdict": "unknown", "presumed": False,
                                                            "reason": evidence[j].reason.split(" (presumed")[0]})
    return out


@cache
def _defined_by() -> re.Pattern[str]:
    return re.compile(rules.load("patterns.json")["defined_by_limit"]["pattern"], re.IGNORECASE)


def _defining_limits(i: int, constraints: list[Constraint], block: str) -> list[int]:
    """Indexes of the lab limits that directly follow constraint `i` and define it (rule `defined_by_limit`)."""
    end = constraints[i].span[1]
    first = min((c.span[0] for c in constraints if c.kind == "lab" and c.span[0] >= end), default=None)
    if first is None or not _defined_by().fullmatch(block[end:first]):
        return []
    return [j for j, c in enumerate(constraints) if c.kind == "lab" and c.span[0] >= first
            and (c.span[0] == first or not re.search(r"[.;]|\band\b", block[first:c.span[0]]))]


def _evidence(c: Constraint, ctype: str, criterion: Criterion, block: str, facts: PatientFacts,
              today: dt.date, policy: Policy | None = None, condition_named: bool = False) -> Evidence:
    """One constraint's verdict and why. A lab limit in a criterion that names a condition ('severe renal
    impairment (creatinine > 3 mg/dL)') defines that condition: its silence is the condition's."""
    finding = CHECKS[c.kind](c, facts, today)
    start, end = c.span
    words = block[start:end] if 0 <= start < end <= len(block) else criterion.text
    key = "lab_of_condition" if c.kind == "lab" and condition_named else None
    verdict, presumed = constraint_verdict(c, ctype, finding, policy, key)
    reason = f"{finding.reason} ({presumed_reason(key or presumption_key(c))})" if presumed else finding.reason
    return Evidence(verdict=verdict, reason=reason, constraint=c.to_contract(),
                    criterion_text=words,
                    fact=finding.fact, source=finding.source, presumed=presumed,
                    grounds=list(finding.also) or None)


def _combine_inline(plan: _Plan, evidence: list[Evidence]) -> Verdict:
    """An inclusion lead-in listing its alternatives after its colon ('defined by one of the following: A; B')
    needs its words before the colon and one alternative; any other criterion needs all its constraints."""
    units, head = plan.units, plan.head
    if not units:
        return _combine(plan.head_groups, evidence)
    verdicts = [_combine(plan.head_groups, [evidence[i] for i in head])] if head else []
    choices = [_combine(groups, [evidence[i] for i in u]) for u, groups in zip(units, plan.unit_groups, strict=True)]
    # an empty unit (an alternative nothing was extracted from) is "unknown" by _combine
    verdicts.append(any_of(choices))
    if "pass" in choices:
        met = units[choices.index("pass")]
        words = " / ".join(evidence[i].criterion_text for i in met)
        for i in met:
            reason = f"alternative met ('{words}'): {evidence[i].reason}"
            evidence[i] = evidence[i].model_copy(update={"reason": reason})
    return all_of(verdicts)


def _combine(groups: tuple[tuple[int, ...], ...], evidence: list[Evidence]) -> Verdict:
    """All constraints must pass, except alternatives (`groups`, see `_groups`): same-kind constraints joined by
    'or' in an inclusion criterion ("breast or ovarian cancer") need only one to pass."""
    if not evidence:
        return "unknown"
    verdicts = []
    for group in groups:
        members = [evidence[i].verdict for i in group]
        if "pass" in members and len(group) > 1:
            verdicts.append("pass")
        elif "unknown" in members and len(group) > 1:
            verdicts.append("unknown")
        else:
            verdicts.append("fail" if "fail" in members else ("unknown" if "unknown" in members else "pass"))
    if "fail" in verdicts:
        return "fail"
    return "unknown" if "unknown" in verdicts else "pass"


def _groups(criterion_type: str, constraints: list[Constraint], block: str) -> tuple[tuple[int, ...], ...]:
    """Alternatives in an inclusion: same-kind constraints joined by 'or' ("glioblastoma or anaplastic astrocytoma"),
    lists of conditions or biomarkers joined by commas whose last item comes with 'or' ("AML, ALL, CML, or MDS"),
    and a condition with the subtypes it lists in brackets ("sarcoma (including liposarcoma, leiomyosarcoma)")."""
    regions = _example_regions(constraints, block)
    groups: list[list[int]] = []
    for i, c in enumerate(constraints):
        prev = constraints[groups[-1][-1]] if groups else None
        if prev and criterion_type == "inclusion" and (_joined(prev, c, block) or _subtype(prev, c, regions)):
            groups[-1].append(i)
        else:
            groups.append([i])
    out: list[list[int]] = []
    for g in groups:
        listed = any(_inside(constraints[i], regions) for i in g)
        out += [g] if listed or _disjunctive(g, constraints, block) else [[i] for i in g]
    return tuple(tuple(g) for g in out)


def _example_regions(constraints: list[Constraint], block: str) -> list[tuple[int, int]]:
    """Brackets that list examples or subtypes ('(including …)', '(e.g. …)') within the constraints' stretch."""
    if len(constraints) < 2:
        return []
    lo, hi = min(c.span[0] for c in constraints), max(c.span[1] for c in constraints)
    out = []
    for m in _EXAMPLES_OPEN.finditer(block, lo, hi):
        depth, end = 1, len(block)
        for j in range(m.end(), min(len(block), hi + 2)):
            depth += {"(": 1, ")": -1}.get(block[j], 0)
            if depth == 0:
                end = j
                break
        out.append((m.start(), end))
    return out


def _inside(c: Constraint, regions: list[tuple[int, int]]) -> bool:
    return any(a <= c.span[0] < b for a, b in regions)


def _subtype(prev: Constraint, c: Constraint, regions: list[tuple[int, int]]) -> bool:
    """`c` is a condition listed in brackets right after (or with) the condition `prev`."""
    return prev.kind == c.kind == "condition" and any(a <= c.span[0] < b and prev.span[0] < b for a, b in regions)


def _between(a: Constraint, b: Constraint, block: str) -> str:
    return block[a.span[1]:b.span[0]] if a.span[1] <= b.span[0] else ""


def _same_family(a: Constraint, b: Constraint) -> bool:
    """Constraints that can stand in one list of alternatives: the same kind, or both named conditions."""
    return a.kind == b.kind or {a.kind, b.kind} <= _CONDITION_KINDS


def _joined(prev: Constraint, c: Constraint, block: str) -> bool:
    """Alternatives: any two constraints with 'or' between them ('respiratory rate >= 20 or PaCO2 <= 32 or
    mechanical ventilation'); a comma list of the same family of constraints."""
    between = _between(prev, c, block)
    if len(between) >= 60:
        return False
    if _OR_BETWEEN.search(between):
        return _same_family(prev, c) or not _SENTENCE_END.search(between)
    if not _COMMA_ONLY.match(between):
        return False
    listed = bool(_LIST_INTRO.search(_before(block, prev.span[0], 100)))
    return listed or (_same_family(prev, c) and c.kind in _LIST_KINDS)


def _disjunctive(group: list[int], constraints: list[Constraint], block: str) -> bool:
    """A joined run is a choice when 'or' joins two of its members, or the comma list ends in 'or' ("…, or X")."""
    if len(group) < 2:
        return True
    members = [constraints[i] for i in group]
    if any(_OR_BETWEEN.search(_between(a, b, block)) for a, b in zip(members, members[1:], strict=False)):
        return True
    tail = _SENTENCE_END.split(block[members[-1].span[1]:members[-1].span[1] + 120], maxsplit=1)[0]
    if _OR_TAIL.match(tail):
        return True
    return bool(_LIST_INTRO.search(_before(block, members[0].span[0], 60)))


def _before(block: str, pos: int, reach: int) -> str:
    """Up to `reach` characters before `pos`, not back across the criterion's start (a blank line or a bullet): a
    heading's colon ('Inclusion Criteria:') opens no list."""
    return _CRITERION_START.split(block[max(0, pos - reach):pos])[-1]


def trial_eligibility(results: list[CriterionResult]) -> Eligibility:
    """From the criteria that stand for themselves (an alternative counts through its group's lead-in): one fail
    makes the patient ineligible; eligible needs every criterion met (perhaps presumed) or not applicable, and
    at least one met."""
    standing = [r for r in results if r.alternative_of is None]
    if any(r.verdict == "fail" for r in standing):
        return "ineligible"
    met = [r for r in standing if r.verdict == "pass"]
    if met and all(r.verdict in ("pass", "not_applicable") for r in standing):
        return "eligible"
    return "uncertain"


_ORDER = {"fail": 0, "unknown": 1, "pass": 2, "not_applicable": 3}


def ordered(results: list[CriterionResult]) -> list[CriterionResult]:
    """Failing criteria first, then unknowns (the questions to ask), then passes, then non-computable ones; the
    alternatives of a group right after its lead-in."""
    by_index = {r.index: r for r in results}

    def head(r: CriterionResult) -> CriterionResult:
        seen: set[int] = set()
        while r.alternative_of is not None and r.alternative_of in by_index and r.index not in seen:
            seen.add(r.index)
            r = by_index[r.alternative_of]
        return r

    def key(r: CriterionResult) -> tuple[bool, int, int, int]:
        h = head(r)
        return (not h.computable, _ORDER[h.verdict], h.index, r.index)

    return sorted(results, key=key)


def evaluate(criteria: list[Criterion], block: str, facts: PatientFacts, today: dt.date | None = None,
             policy: Policy | str | None = None, *, explain: bool = True) -> tuple[Eligibility, list[CriterionResult]]:
    """The trial's verdict and each criterion's, failing ones first. Without `explain` the verdicts are the same
    but the results are left in criterion order and presumed passes lack the record statements they rest on
    (enough to rank a trial; a trial that is shown is evaluated again with them)."""
    when = facts.as_of or today or dt.date.today()
    rules = policy if isinstance(policy, Policy) else absence_policy(policy)
    if not has_record(facts):  # an empty record is not silent about anything: nothing is presumed
        rules = absence_policy("strict")
    results = [evaluate_criterion(i, c, block, facts, when, polarity(criteria, i), rules)
               for i, c in enumerate(criteria)]
    results = combine_groups(criteria, results)
    if not explain:
        return trial_eligibility(results), results
    known: dict[str, list[dict[str, Any]]] = {}
    results = [with_grounds(r, facts, known) for r in results]
    return trial_eligibility(results), ordered(results)
