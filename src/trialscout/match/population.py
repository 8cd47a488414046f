"""Who a criterion is about: the parts of it that do not concern this patient (rules in `rules/population.json`)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from trialscout.model.criteria import Constraint, Criterion
from trialscout.model.patient import PatientFacts

_WORD = re.compile(r"[A-Za-z]+")


@cache
def _rules() -> dict[str, Any]:
    return json.loads(resources.files("trialscout.match").joinpath("rules/population.json").read_text("utf-8"))


@cache
def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(_rules()[name]["pattern"], re.IGNORECASE)


@dataclass
class Applicability:
    """The constraints that concern people other than this patient, each with why; `whole` when the criterion
    as a whole concerns them (its subject is that population), with why."""

    outside: dict[int, str] = field(default_factory=dict)
    """Index of the constraint in the criterion -> why it does not apply."""
    subject: list[int] = field(default_factory=list)
    """Constraints that only name the population the patient belongs to ('Postmenopausal *women*'): no verdict."""
    whole: str | None = None


def menopausal(facts: PatientFacts, today: dt.date) -> str | None:
    """`pre` or `post` for a woman (stated, else by age where the age leaves no doubt); None when open."""
    if facts.sex is None or facts.sex.value != "FEMALE":
        return None
    if facts.pregnancy is not None and facts.pregnancy.postmenopausal is not None:
        return "post" if facts.pregnancy.postmenopausal else "pre"
    years = facts.age_years(today)
    rule = _rules()["menopause_by_age"]
    if years is None:
        return None
    if years < rule["premenopausal_below"]:
        return "pre"
    return "post" if years >= rule["postmenopausal_from"] else None


def cannot_become_pregnant(facts: PatientFacts, today: dt.date) -> str | None:
    """Why this patient cannot become pregnant (`male patient`, `age 67`), or None when they might."""
    if facts.sex is not None and facts.sex.value == "MALE":
        return "male patient"
    years = facts.age_years(today)
    rule = _rules()["cannot_become_pregnant"]
    if years is not None and years < rule["min_age"]:
        return f"age {years:g}: before childbearing age"
    if facts.sex is None:
        return None
    if facts.pregnancy is not None and facts.pregnancy.postmenopausal:
        return "postmenopausal"
    if years is not None and years >= rule["max_age"]:
        return f"age {years:g}: past childbearing age"
    return None


def applicability(criterion: Criterion, ctype: str, block: str, facts: PatientFacts,
                  today: dt.date, traits: Any = None) -> Applicability:
    """Which parts of the criterion concern people other than this patient. `traits`: the criterion's
    `match.traits.Traits` when worked out already (a held trial), else each is worked out here."""
    out = Applicability()
    words = words_of(criterion, block)
    if traits.names_population if traits is not None else names_population(criterion):
        sex_condition = traits.conditional_sex if traits is not None else conditional_sex(words)
        _population_parts(out, criterion, ctype, block, words, facts, today, sex_condition)
    adult = _adult_matters(criterion, words, facts, today)
    if adult and not out.whole:
        out.whole = adult
    status = traits.menopause if traits is not None else menopause_condition(words)
    have = menopausal(facts, today) if status else None
    if status and have and have != status:
        out.whole = f"{have}menopausal patient: the criterion applies if {status}menopausal"
    return out


def names_population(criterion: Criterion) -> bool:
    """Whether a constraint of the criterion names a population (a sex, a pregnancy status): only then can a
    part of it concern other people than the patient."""
    return any(c.kind in ("pregnancy", "sex") for c in criterion.constraints)


def _population_parts(out: Applicability, criterion: Criterion, ctype: str, block: str, words: str,
                      facts: PatientFacts, today: dt.date, sex_condition: bool) -> None:
    """The constraints naming a sex or a pregnancy status that concern other people than the patient
    (`out.outside`, `out.subject`), and the whole criterion when its subject is such a population."""
    reproductive = set(_rules()["reproductive_statuses"])
    pregnant_no = cannot_become_pregnant(facts, today)
    sex_is_population = ctype == "exclusion" or sex_condition or any(
        c.kind == "pregnancy" and c.status in reproductive for c in criterion.constraints)
    for i, c in enumerate(criterion.constraints):
        if c.kind == "pregnancy" and c.status in reproductive and pregnant_no:
            out.outside[i] = f"{pregnant_no}: the criterion concerns people who could become pregnant"
        elif c.kind == "sex" and c.sex in ("FEMALE", "MALE") and sex_is_population and facts.sex is not None:
            if facts.sex.value != c.sex:
                out.outside[i] = f"{facts.sex.value.lower()} patient: the criterion concerns {c.sex.lower()} patients"
            elif len(criterion.constraints) > 1:
                out.subject.append(i)  # the patient is of the population named: the rest of the criterion decides
    subject = [i for i in out.outside if _in_subject_position(criterion, criterion.constraints[i], block)
               and not (criterion.constraints[i].kind == "pregnancy" and _names_own_sex(words, facts))]
    if subject:
        out.whole = out.outside[subject[0]]
    elif out.outside and len(out.outside) == len(criterion.constraints) and not criterion.unread:
        out.whole = next(iter(out.outside.values()))


def words_of(criterion: Criterion, block: str) -> str:
    """The criterion's words in the block (its own text when its span is not the block's)."""
    s, e = criterion.span
    return block[s:e] if 0 <= s < e <= len(block) else criterion.text


def _adult_matters(criterion: Criterion, text: str, facts: PatientFacts, today: dt.date) -> str | None:
    """Why a criterion wholly on adults' habits or circumstances does not concern this child, or None: every
    constraint of it names one ('alcoholism', 'smoking'), or it has none and its words do."""
    rule = _rules()["adult_matters"]
    years = facts.age_years(today)
    if years is None or years >= rule["max_age"]:
        return None
    found = [m.span() for m in _pattern("adult_matters").finditer(text)]
    start = criterion.span[0] if text is not criterion.text else 0
    spans = [(c.span[0] - start, c.span[1] - start) for c in criterion.constraints]
    if not found or not all(any(a < fe and fs < b for fs, fe in found) for a, b in spans):
        return None
    return f"age {years:g}: the criterion concerns adults' habits or circumstances"


def _names_own_sex(words: str, facts: PatientFacts) -> bool:
    """'Women of child-bearing potential and men must agree to …': the patient's own sex is named too."""
    pattern = _rules()["own_sex_words"].get(facts.sex.value) if facts.sex is not None else None
    return bool(pattern) and re.search(pattern, words, re.IGNORECASE) is not None


@lru_cache(maxsize=1 << 16)
def conditional_sex(words: str) -> bool:
    """Whether the criterion's words make a sex its condition ('women of childbearing potential must')."""
    return bool(_pattern("conditional_sex").search(words))


@lru_cache(maxsize=1 << 16)
def menopause_condition(text: str) -> str | None:
    """'pre' or 'post' when the criterion applies only to pre- or postmenopausal women, else None."""
    m = _pattern("menopause_condition").search(text)
    if not m:
        return None
    return "pre" if m.group("pre") else "post"


def _in_subject_position(criterion: Criterion, c: Constraint, block: str) -> bool:
    """Only subject words ('Patients who are', 'If') come between the criterion's start and the constraint."""
    start = criterion.span[0]
    if not (start <= c.span[0] <= len(block)):
        return False
    before = block[start:c.span[0]].lower()
    allowed = set(_rules()["subject_words"]["words"])
    return all(w in allowed for w in _WORD.findall(before))
