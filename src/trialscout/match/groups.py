"""Alternatives: a lead-in's sub-items ('one of the following:') settle it together, not one by one."""

from __future__ import annotations

from trialscout.criteria.groups import inline_alternatives, inline_start
from trialscout.model.criteria import Constraint, Criterion
from trialscout.model.match import CriterionResult, Evidence, GroupResult, Verdict

_FLIP = {"inclusion": "exclusion", "exclusion": "inclusion"}


def any_of(verdicts: list[Verdict]) -> Verdict:
    """One passing is enough; all must fail to fail."""
    if "pass" in verdicts:
        return "pass"
    return "fail" if verdicts and all(v == "fail" for v in verdicts) else "unknown"


def all_of(verdicts: list[Verdict]) -> Verdict:
    """One failing is enough to fail; all must pass to pass."""
    if "fail" in verdicts:
        return "fail"
    return "unknown" if "unknown" in verdicts or not verdicts else "pass"


def leads(criteria: list[Criterion]) -> dict[int, list[int]]:
    """Group lead-ins with sub-items, each with the indices of its sub-items (its alternatives)."""
    out: dict[int, list[int]] = {}
    for j, c in enumerate(criteria):
        p = c.parent
        if p is not None and 0 <= p < j and criteria[p].group:
            out.setdefault(p, []).append(j)
    return out


def polarity(criteria: list[Criterion], index: int) -> str:
    """The type a criterion is read with: its own, flipped under each `none_of` lead-in above it ('No history
    of any of the following:' makes its sub-items exclusions)."""
    ctype = criteria[index].type
    seen, p = {index}, criteria[index].parent
    while p is not None and 0 <= p < len(criteria) and p not in seen:
        if criteria[p].group == "none_of":
            ctype = _FLIP[ctype]
        seen.add(p)
        p = criteria[p].parent
    return ctype


def inline_units(criterion: Criterion, ctype: str, constraints: list[Constraint], block: str) -> list[list[int]]:
    """An inclusion `any_of` criterion without sub-items, listing its alternatives after its colon: the indices of
    the constraints of each alternative (cut at ';' and list markers; else each constraint is one). An alternative
    with no usable constraint is an empty unit: it cannot be checked, so the choice cannot fail."""
    if criterion.group != "any_of" or ctype != "inclusion" or not constraints:
        return []
    s, e = criterion.span
    words = block[s:e] if 0 <= s < e <= len(block) else ""
    start = inline_start(words) if words else None
    if start is None:
        return []
    stretches = [(s + a, s + b) for a, b in inline_alternatives(words, start)]
    after = [i for i, c in enumerate(constraints) if c.span[0] >= s + start]
    if len(stretches) < 2:
        return [[i] for i in after]
    return [[i for i in after if a <= constraints[i].span[0] < b] for a, b in stretches]


def combine_groups(criteria: list[Criterion], results: list[CriterionResult]) -> list[CriterionResult]:
    """Each lead-in's verdict joined with its alternatives' combined verdict (innermost groups first); every
    criterion under a lead-in points to it with `alternative_of`."""
    groups = leads(criteria)
    if not groups:
        return results
    out = list(results)
    for lead in sorted(groups, reverse=True):
        for j in _subtree(criteria, lead)[1:]:
            if out[j].alternative_of is None:
                out[j] = out[j].model_copy(update={"alternative_of": lead})
        out[lead] = _settle(criteria, out, lead, groups[lead])
    return out


def _subtree(criteria: list[Criterion], root: int) -> list[int]:
    inside, out = {root}, [root]
    for j in range(root + 1, len(criteria)):
        if criteria[j].parent in inside:
            inside.add(j)
            out.append(j)
    return out


def _unit(criteria: list[Criterion], results: list[CriterionResult], m: int) -> tuple[bool, Verdict]:
    """An alternative with its own sub-items (not a group itself): all of them must pass."""
    if criteria[m].group:
        return results[m].computable, results[m].verdict
    parts = [results[j] for j in _subtree(criteria, m) if results[j].computable]
    return bool(parts), all_of([r.verdict for r in parts])


def _settle(criteria: list[Criterion], results: list[CriterionResult], lead: int,
            members: list[int]) -> CriterionResult:
    own = results[lead]
    choose = polarity(criteria, members[0]) == "inclusion"
    units = {m: _unit(criteria, results, m) for m in members}
    computable = [m for m in members if units[m][0]]
    if not computable:
        return own
    if choose:
        verdict = any_of([units[m][1] if units[m][0] else "unknown" for m in members])
    else:
        verdict = all_of([units[m][1] for m in computable])
    decided = _decided_by(units, members, verdict, choose)
    group = GroupResult(kind=criteria[lead].group or "any_of", alternatives=members, verdict=verdict,
                        decided_by=decided, reason=_reason(criteria, units, members, verdict, choose, decided))
    final = all_of([own.verdict, verdict]) if own.computable else verdict
    evidence = own.evidence + _evidence(criteria, results, units, members, verdict, decided)
    question = own.question if own.computable and own.verdict == "unknown" else None
    if final == "unknown" and question is None:
        question = next((results[m].question for m in members if results[m].question), group.reason)
    return own.model_copy(update={"verdict": final, "computable": True, "group": group, "evidence": evidence,
                                  "question": question if final == "unknown" else None})


def _decided_by(units: dict[int, tuple[bool, Verdict]], members: list[int], verdict: Verdict,
                choose: bool) -> int | None:
    wanted = "pass" if choose else "fail"
    if verdict != wanted:
        return None
    return next(m for m in members if units[m][0] and units[m][1] == wanted)


def _label(criteria: list[Criterion], m: int) -> str:
    text = criteria[m].text
    return f"'{text[:80]}…'" if len(text) > 80 else f"'{text}'"


def _reason(criteria: list[Criterion], units: dict[int, tuple[bool, Verdict]], members: list[int], verdict: Verdict,
            choose: bool, decided: int | None) -> str:
    n = len(members)
    unknown = [_label(criteria, m) for m in members if not units[m][0] or units[m][1] == "unknown"]
    if decided is not None:
        which = _label(criteria, decided)
        return f"met by alternative {which} (one of {n} is enough)" if choose else f"{which} holds (one of {n} listed)"
    if verdict == "fail":
        return f"none of the {n} alternatives is met"
    if verdict == "pass":
        return f"none of the {n} listed holds"
    head = "no alternative is known to be met" if choose else "none of the listed is known to hold"
    return f"{head}; not known: {', '.join(unknown)}"


def _evidence(criteria: list[Criterion], results: list[CriterionResult], units: dict[int, tuple[bool, Verdict]],
              members: list[int], verdict: Verdict, decided: int | None) -> list[Evidence]:
    """The alternatives' evidence that decided the group, each reason saying which alternative it is."""
    shown = [decided] if decided is not None else [m for m in members if units[m][0] and units[m][1] == verdict]
    out = []
    for m in shown:
        for j in [m] if criteria[m].group else _subtree(criteria, m):
            for e in results[j].evidence:
                if e.verdict == verdict:
                    out.append(e.model_copy(update={"reason": f"alternative {_label(criteria, m)}: {e.reason}"}))
    return out
