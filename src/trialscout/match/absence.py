"""Criteria nothing of which could be checked: what the record's silence, or what it says, makes of them."""

from __future__ import annotations

import re
from typing import Any

from trialscout.match.facts import structured
from trialscout.match.links import Link, criterion_links
from trialscout.match.policy import Policy, grounds_of, presumption_key, record_cannot_tell
from trialscout.match.traits import known_traits
from trialscout.model.criteria import Criterion
from trialscout.model.match import CriterionResult, Evidence
from trialscout.model.patient import PatientFacts

_WHOLE = {"kind": "criterion"}
_NEGATED_INCLUSION = re.compile(r"^\W*(?:\d+[.)]\s*)?(?:no|not|without|free\s+of|absence\s+of|must\s+not|"
                                r"should\s+not|may\s+not|cannot)\b", re.IGNORECASE)
"""An inclusion that opens with a negation ('No metallic pelvic prosthesis') asks for an absence: an exclusion."""


def link_source(link: Link, facts: PatientFacts) -> dict[str, Any]:
    """The provenance of a note sentence, as evidence carries it."""
    out: dict[str, Any] = {"source": "note", "span": list(link.span), "text": link.text}
    if len(facts.notes) > 1:
        out["ref"] = f"note {link.note + 1}"
    return out


def presumption_key_of(e: Evidence) -> str:
    """The presumption key of the constraint an evidence item is about, read from its contract dict (validating
    the constraint again for every patient cost a sixth of a match)."""
    return presumption_key(e.constraint)


def silence_grounds(key: str, facts: PatientFacts) -> list[dict[str, Any]]:
    """Where the record states what a pass presumed under `key` rests on: the provenance of the facts of the
    groups `grounds` in rules/policy.json names, in record order, each statement once."""
    groups, limit = grounds_of(key)
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for group in groups:
        value = getattr(facts, group, None)
        for fact in value if isinstance(value, list) else [value] if value is not None else []:
            p = getattr(fact, "provenance", None)
            if p is None or (p.span is None and p.path is None):
                continue
            where = {"source": p.source, "ref": p.ref, "path": p.path, "span": list(p.span) if p.span else None,
                     "text": p.text}
            seen.setdefault((p.source, p.ref, p.path, p.span), {k: v for k, v in where.items() if v is not None})
    ordered = sorted(seen.values(), key=lambda w: (w.get("ref") or "", (w.get("span") or [0])[0], w.get("path") or ""))
    return ordered[:limit]


def with_grounds(result: CriterionResult, facts: PatientFacts,
                 known: dict[str, list[dict[str, Any]]] | None = None) -> CriterionResult:
    """A result whose presumed passes carry the record statements they rest on; `known` keeps the grounds already
    found per presumption key (they depend on the key and the record only)."""
    if not any(e.presumed and e.grounds is None for e in result.evidence):
        return result
    known = {} if known is None else known

    def grounds(e: Evidence) -> list[dict[str, Any]]:
        key = presumption_key_of(e)
        if key not in known:
            known[key] = silence_grounds(key, facts)
        return known[key]

    evidence = [e.model_copy(update={"grounds": grounds(e)}) if e.presumed and e.grounds is None else e
                for e in result.evidence]
    return result.model_copy(update={"evidence": evidence})


def has_record(facts: PatientFacts) -> bool:
    """Whether there is a record to be silent: a note, or a structured record (whose lists are complete)."""
    return bool(facts.notes) or structured(facts)


def unstructured(index: int, criterion: Criterion, ctype: str, facts: PatientFacts, policy: Policy,
                 set_aside: bool = False) -> CriterionResult:
    """A criterion none of whose constraints could be checked. It concerns other patients when what was set aside
    as such was all it said; the record speaks to it when a note sentence shares its words (an exclusion whose
    every shared word is negated there is met; else the sentence is shown and the question stays open); an
    exclusion the record is silent on is presumed met under the `unlinked_exclusion` policy; else unknown."""
    result = CriterionResult(index=index, type=criterion.type, text=criterion.text, span=criterion.span,
                             computable=False, verdict="unknown", unread=criterion.unread)
    if set_aside and not criterion.unread:
        why = "the criterion concerns other patients (see its population)"
        return result.model_copy(update={"verdict": "not_applicable", "computable": True, "evidence": [
            Evidence(verdict="not_applicable", reason=why, constraint={"kind": "population"},
                     criterion_text=criterion.text)]})
    found = criterion_links(criterion.text, ctype, facts)
    if found:
        said = found[0]
        words = ", ".join(said.words)
        if ctype == "exclusion" and all(link.negated for link in found):
            evidence = Evidence(verdict="pass", reason=f"the record says the patient does not have it: "
                                f"'{said.text.strip()}'", constraint=_WHOLE, criterion_text=criterion.text,
                                fact=said.text, source=link_source(said, facts))
            return result.model_copy(update={"verdict": "pass", "evidence": [evidence]})
        evidence = Evidence(verdict="unknown", reason=f"the record mentions {words}: '{said.text.strip()}'",
                            constraint=_WHOLE, criterion_text=criterion.text, fact=said.text,
                            source=link_source(said, facts))
        return result.model_copy(update={"evidence": [evidence],
                                         "question": f"the record speaks of {words}: does the criterion apply?"})
    if cannot_tell(criterion):
        return result.model_copy(update={"question": "a clinical record does not say this: ask the patient or the "
                                                     "team"})
    excludes = ctype == "exclusion" or bool(_NEGATED_INCLUSION.match(criterion.text))
    if excludes and policy.presumes("unlinked_exclusion") and has_record(facts):
        evidence = Evidence(verdict="pass", reason="the record says nothing about this (presumed absent)",
                            constraint=_WHOLE, criterion_text=criterion.text, presumed=True)
        return result.model_copy(update={"verdict": "pass", "presumed": True, "evidence": [evidence],
                                         "question": policy.question("unlinked_exclusion", criterion.text)})
    return result.model_copy(update={"question": "not understood: read the criterion and ask"})


def cannot_tell(criterion: Criterion) -> bool:
    """`record_cannot_tell` of the criterion's words (from its traits when a held trial's)."""
    traits = known_traits(criterion)
    return traits.cannot_tell if traits is not None else record_cannot_tell(criterion.text)
