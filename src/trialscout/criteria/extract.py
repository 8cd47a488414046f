"""Criterion text -> constraints: run every extractor, then apply ConText negation/hypothetical/historical."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic import ValidationError

from trialscout.criteria import context, extract_dict, extract_numeric, rules, vocab
from trialscout.criteria.scoping import mentions_of, scopes_of
from trialscout.criteria.text import normalize
from trialscout.model.criteria import Constraint
from trialscout.vocab import clinical

MAX_CHARS = 4000
"""Extraction reads at most this much of one criterion (keeps time per record bounded)."""

_NON_PREFIX = re.compile(r"\bnon[- ]?$", re.IGNORECASE)
"""'non-' before a mention negates it: 'non-compliance', 'non-infectious disease' (a name with 'non' in it, such as
'non-small cell lung cancer', is one mention and never reaches here)."""
CANCER = "DOID:162"
"""The Disease Ontology's 'cancer': the concepts below it are what the `condition` kind reads."""
_MODIFIABLE = {"condition", "comorbidity", "concept", "prior_therapy", "pregnancy", "biomarker", "other",
               "consent_or_compliance"}


@cache
def _no_requirement_re() -> re.Pattern[str]:
    phrases = rules.load("patterns.json")["no_requirement"]["phrases"]
    alt = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"\b[A-Z][\w/-]*(?:\s+[a-z][\w/-]*){{0,3}}\s*:\s*(?i:{alt})\b")


def no_requirement(text: str) -> list[tuple[int, int]]:
    """Spans of PDQ labels that require nothing ('Biologic therapy: Not specified'): no constraint there."""
    if ":" not in text:  # the label's colon: the pattern cannot match without one
        return []
    return [(m.start(), m.end()) for m in _no_requirement_re().finditer(text)]


def find_all(text: str, ctype: str = "inclusion", section: str | None = None) -> list[dict[str, Any]]:
    """Every constraint found in one criterion, as dicts with spans relative to `text`."""
    text = normalize(text[:MAX_CHARS])
    mentions = list(mentions_of(text))
    found: list[dict[str, Any]] = []
    found += extract_numeric.ages(text, ctype, section)
    found += extract_numeric.performance(text, ctype, section)
    found += extract_numeric.life_expectancy(text, ctype, section)
    lab_found, conditional = extract_numeric.labs(text, ctype, mentions)
    pairs = extract_numeric.blood_pressure_pairs(text)
    lab_found = pairs + [f for f in lab_found if not any(_overlaps(f["span"], p["span"]) for p in pairs)]
    found += lab_found
    skip = conditional + [f["span"] for f in lab_found] + no_requirement(text)
    found += extract_dict.conditions(text, ctype, mentions, skip)
    found += extract_dict.biomarkers(text, mentions, skip)
    found += extract_dict.therapies(text, mentions, skip)
    found += extract_dict.section_therapy(text, section, found)
    found += extract_dict.comorbidities(text, mentions, skip)
    found += extract_dict.simple(text, mentions, "pregnancy", "pregnancy", "status", skip)
    found += extract_dict.simple(text, mentions, "consent_or_compliance", "consent_or_compliance", "aspect", skip)
    found += extract_dict.simple(text, mentions, "other", "other", "name", skip)
    found += extract_dict.sex(text, section)
    found = _prefer_concepts(found, extract_dict.concepts(text, found, skip, wider=True))
    return _apply_context(text, ctype, mentions, _ability_objects(text, found))


@cache
def _ability_res() -> tuple[re.Pattern[str], re.Pattern[str]]:
    rule = rules.load("patterns.json")["ability_object"]
    return re.compile(rule["pattern"], re.IGNORECASE), re.compile(rule["clause_end"], re.IGNORECASE)


def _ability_objects(text: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """'Able to undergo MRI': one compliance constraint from the verb to the end of the clause (a leading 'unable'
    negates it, as for any compliance), and the object's own constraints go (rule `ability_object`)."""
    out = list(found)
    ability, clause_end = _ability_res()
    for m in ability.finditer(text):
        end = clause_end.search(text, m.end())
        span = (m.start("verb"), end.start() if end else len(text))
        out = [o for o in out if not (span[0] <= o["span"][0] and o["span"][1] <= span[1])
               and not (o["kind"] == "consent_or_compliance" and _overlaps(o["span"], (m.start(), span[1])))]
        ability: dict[str, Any] = {"kind": "consent_or_compliance", "span": span, "aspect": "compliance"}
        if m.group().lower().startswith(("unable", "inability")):
            ability["negated"] = True  # said here: 'unable to tolerate' is also a therapy-response term
        out.append(ability)
    return out


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _prefer_concepts(found: list[dict[str, Any]], concepts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A concept that names more than a comorbidity inside it ('valvular heart disease' around 'heart disease') is
    the constraint; a setting word left without a cancer ('untreated Lyme disease') belongs to the concept (a
    cancer named only in general words, 'active/metastatic cancer', keeps it)."""
    def inside(f: dict[str, Any], c: dict[str, Any]) -> bool:
        return c["span"][0] <= f["span"][0] and f["span"][1] <= c["span"][1] and f["span"] != c["span"]

    diseases = [c for c in concepts if c.get("concept_kind") == "disease"
                and not any(clinical.subsumes(CANCER, i) for i in c["codes"])]

    def setting_of_disease(f: dict[str, Any]) -> bool:
        return f["kind"] == "condition" and set(f) <= {"kind", "span", "setting", "name"} and \
            any(0 <= c["span"][0] - f["span"][1] <= 3 for c in diseases)

    kept = [f for f in found if not (f["kind"] == "comorbidity" and any(inside(f, c) for c in concepts))
            and not setting_of_disease(f)]
    return kept + concepts


def _apply_context(text: str, ctype: str, mentions: list[vocab.Mention],
                   found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set negated/hypothetical/historical flags; drop what is only context or carved out ('except', 'due to',
    'is allowed' without a negation, the disease a negated therapy is for)."""
    if not any(f["kind"] in _MODIFIABLE for f in found):
        return found
    scopes = list(scopes_of(text, ctype))
    out = []
    for f in found:
        if f["kind"] in _MODIFIABLE:
            flags = context.flags_for(f["kind"], f["span"][0], f["span"][1], scopes)
            if _NON_PREFIX.search(text, max(0, f["span"][0] - 5), f["span"][0]):
                flags["negated"] = not flags.get("negated", False)  # 'non-compliance', 'non-infectious
            drop = flags.pop("drop", False) or (flags.pop("permitted", False) and not flags.get("negated")) \
                or (flags.pop("drop_if_negated", False) and flags.get("negated", False))
            if drop:
                continue
            f.update(flags)
        out.append(f)
    return out


def extract(text: str, ctype: str = "inclusion", section: str | None = None, offset: int = 0) -> list[Constraint]:
    """Constraints of one criterion; spans are shifted by `offset` (the criterion's start in the block)."""
    out: list[Constraint] = []
    for f in find_all(text, ctype, section):
        s, e = f.pop("span")
        try:
            out.append(Constraint(span=(s + offset, e + offset), **f))
        except ValidationError:
            continue
    out.sort(key=lambda c: c.span)
    return out
