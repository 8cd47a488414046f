"""The ConText engine on small rule sets written here, the shared time cues' examples, and both callers' faces."""

from __future__ import annotations

import re
from typing import Any

import pytest

from trialscout import context
from trialscout.context import rule_set, time_rules
from trialscout.criteria import context as criteria_context
from trialscout.patient.context import Context

NOTE_RULES: dict[str, Any] = {"rules": [
    {"literal": "no", "category": "NEGATED", "direction": "forward", "max_tokens": 6},
    {"literal": "denies", "category": "NEGATED", "direction": "forward"},
    {"literal": "did not", "category": "NEGATED", "direction": "forward", "max_tokens": 4},
    {"literal": "was ruled out", "category": "NEGATED", "direction": "backward", "max_tokens": 5},
    {"literal": "was negative", "category": "NEGATED", "direction": "backward", "max_tokens": 5},
    {"literal": "negative for", "category": "NEGATED", "direction": "forward"},
    {"literal": "is not", "category": "NEGATED", "direction": "forward", "max_tokens": 3},
    {"literal": "not experiencing any", "category": "NEGATED", "direction": "forward", "max_tokens": 8},
    {"literal": "not tolerate", "category": "PSEUDO", "direction": "pseudo"},
    {"literal": "no change", "category": "PSEUDO", "direction": "pseudo"},
    {"literal": "mother", "category": "FAMILY", "direction": "bidirectional", "max_tokens": 6},
    {"literal": "scheduled for", "category": "HYPOTHETICAL", "direction": "forward", "max_tokens": 6},
    {"literal": "history of", "category": "HISTORICAL", "direction": "forward"},
    {"literal": "but", "category": "TERMINATE", "direction": "terminate"},
    {"literal": "and is", "category": "TERMINATE", "direction": "terminate"},
]}
CRITERIA_RULES: dict[str, Any] = {
    "default_kinds": ["condition", "prior_therapy"],
    "default_max_chars": 120,
    "list_openers": ["such as"],
    "cues": [
        {"literal": "no", "category": "NEGATED_EXISTENCE", "direction": "forward", "not_opening": ["exclusion"]},
        {"literal": "not have", "category": "NEGATED_EXISTENCE", "direction": "forward"},
        {"literal": "must not", "category": "NEGATED_EXISTENCE", "direction": "forward", "only_in": "inclusion"},
        {"literal": "without", "category": "NEGATED_EXISTENCE", "direction": "forward"},
        {"literal": "with or without", "category": "DROP", "direction": "forward", "max_chars": 40},
        {"literal": "prior", "category": "HISTORICAL", "direction": "forward", "kinds": ["prior_therapy"]},
        {"literal": "except", "category": "EXCEPTION", "direction": "forward"},
        {"literal": "allowed", "category": "PERMISSION", "direction": "backward", "max_chars": 50},
        {"literal": "no more than", "category": "PSEUDO", "direction": "none"},
    ],
}


def note_rules() -> context.RuleSet:
    return rule_set(NOTE_RULES)


def criteria_rules() -> context.RuleSet:
    return rule_set(CRITERIA_RULES, stoppers=frozenset({"TERMINATE", "EXCEPTION", "PERMISSION"}),
                    hard_stops=re.compile(r"[;:]|\.(?=\s|$)"), brackets=True, list_categories=frozenset({"EXCEPTION"}))


def cats(text: str, mention: str, rules: context.RuleSet | None = None, *, ctype: str | None = None,
         kind: str | None = None, sentences: bool = True) -> set[str]:
    start = text.index(mention)
    segments = context.sentences(text) if sentences else None
    found = context.scopes(text, rules or note_rules(), ctype=ctype, segments=segments)
    return context.categories(found, start, start + len(mention), kind)


# ------------------------------------------------------------------------------------------------ direction
def test_negation_forward_runs_through_a_list() -> None:
    assert cats("Denies chest pain, cough, fever.", "fever") == {"NEGATED"}


def test_negation_backward() -> None:
    assert cats("Pneumonia was ruled out.", "Pneumonia") == {"NEGATED"}
    assert not cats("The rash was ruled out.", "ruled")


def test_a_scope_stays_in_its_window() -> None:
    assert cats("No fever, cough, rash, or headache today.", "rash") == {"NEGATED"}
    assert not cats("No fever, cough, rash, or any headache today.", "headache")


def test_a_scope_stays_in_its_sentence() -> None:
    assert not cats("No fever. Cough since Monday.", "Cough")


def test_family_is_bidirectional() -> None:
    assert cats("Her mother had breast cancer.", "breast cancer") == {"FAMILY"}
    assert cats("Diabetes in her mother.", "Diabetes") == {"FAMILY"}


def test_hypothetical_and_historical() -> None:
    assert cats("She is scheduled for a mastectomy.", "mastectomy") == {"HYPOTHETICAL"}
    assert cats("History of asthma.", "asthma") == {"HISTORICAL"}


# ------------------------------------------------------------------------------------ pseudo, terminations
def test_pseudo_trigger_hides_the_cue_it_overlaps() -> None:
    assert not cats("He did not tolerate chemotherapy.", "chemotherapy")
    assert not cats("No change in the lesion.", "lesion")


def test_termination_ends_the_scope() -> None:
    assert not cats("No fever but a productive cough.", "cough")
    assert cats("No fever but a productive cough.", "fever") == {"NEGATED"}


def test_a_termination_overlapping_a_cue_leaves_it_standing() -> None:
    assert cats("She smokes and is not compliant with insulin.", "compliant") == {"NEGATED"}


def test_overlapping_cues_in_opposite_directions_both_count() -> None:
    text = "The biopsy was negative for carcinoma."
    assert cats(text, "carcinoma") == {"NEGATED"}
    assert cats(text, "biopsy") == {"NEGATED"}


def test_of_two_overlapping_cues_marking_the_same_the_longer_stands() -> None:
    assert cats("He is not experiencing any nausea, vomiting or pain.", "vomiting") == {"NEGATED"}


def test_the_mention_that_is_the_cue_is_not_modified() -> None:
    assert not cats("Denies fever.", "Denies")


# ------------------------------------------------------------------------------------ criteria-side options
def test_kind_filter() -> None:
    text = "Prior radiotherapy"
    assert cats(text, "radiotherapy", criteria_rules(), kind="prior_therapy", sentences=False) == {"HISTORICAL"}
    assert not cats(text, "radiotherapy", criteria_rules(), kind="condition", sentences=False)


def test_only_in_limits_a_cue_and_still_hides_what_it_overlaps() -> None:
    text = "Must not have received chemotherapy"
    assert cats(text, "chemotherapy", criteria_rules(), ctype="inclusion", sentences=False) == {"NEGATED"}
    assert not cats(text, "chemotherapy", criteria_rules(), ctype="exclusion", sentences=False)


def test_not_opening() -> None:
    assert not cats("No pregnancy", "pregnancy", criteria_rules(), ctype="exclusion", sentences=False)
    assert cats("No pregnancy", "pregnancy", criteria_rules(), ctype="inclusion", sentences=False) == {"NEGATED"}
    assert cats("Patients with no pregnancy", "pregnancy", criteria_rules(), ctype="exclusion",
                sentences=False) == {"NEGATED"}


def test_a_cue_inside_a_longer_cue_is_part_of_it() -> None:
    text = "Hepatitis C with or without cirrhosis"
    assert cats(text, "cirrhosis", criteria_rules(), ctype="inclusion", sentences=False) == {"DROP"}
    assert not cats("No more than 2 prior regimens", "regimens", criteria_rules(), ctype="inclusion",
                    kind="condition", sentences=False)


def test_hard_stops_and_list_openers() -> None:
    rules = criteria_rules()
    assert cats("No brain metastases; prior surgery", "surgery", rules, ctype="inclusion",
                sentences=False) == {"HISTORICAL"}
    assert cats("No infection such as: hepatitis", "hepatitis", rules, ctype="inclusion",
                sentences=False) == {"NEGATED"}


def test_brackets_bound_a_forward_scope() -> None:
    text = "Sarcoma (without metastases) or lymphoma"
    assert cats(text, "metastases", criteria_rules(), sentences=False) == {"NEGATED"}
    assert not cats(text, "lymphoma", criteria_rules(), sentences=False)


def test_exception_and_permission() -> None:
    rules = criteria_rules()
    text = "No other malignancy except basal cell carcinoma"
    assert cats(text, "basal cell carcinoma", rules, ctype="inclusion", sentences=False) == {"EXCEPTION"}
    assert cats(text, "malignancy", rules, ctype="inclusion", sentences=False) == {"NEGATED"}
    text = "No malignancy except: A. basal cell carcinoma. B. carcinoma in situ"
    assert "EXCEPTION" in cats(text, "carcinoma in situ", rules, ctype="inclusion", sentences=False)
    assert cats("Prior tamoxifen is allowed", "tamoxifen", rules, sentences=False) >= {"PERMISSION"}


def test_max_chars_become_tokens() -> None:
    rules = criteria_rules()
    assert rules.lookup("no")[0].window == 24
    assert rules.lookup("allowed")[0].window == 10
    assert rules.lookup("NO")[0].category == "NEGATED"


def test_unknown_category_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown ConText category"):
        rule_set({"rules": [{"literal": "x", "category": "MAYBE", "direction": "forward"}]})


# -------------------------------------------------------------------------------------- time cues and callers
def _time_examples() -> list[tuple[str, str, bool]]:
    return [tuple(ex) for r in time_rules() for ex in r.get("examples", [])]  # type: ignore[misc]


@pytest.mark.parametrize(("text", "concept", "historical"), _time_examples())
def test_time_examples(text: str, concept: str, historical: bool) -> None:
    start = text.index(concept)
    assert ("HISTORICAL" in Context(text).categories(start, start + len(concept))) is historical


def test_callers_keep_their_faces() -> None:
    text = "No history of brain metastases. Her father has diabetes."
    ctx = Context(text)
    assert ctx.categories(text.index("brain"), text.index(".")) == {"NEGATED"}
    assert ctx.categories(text.index("diabetes"), len(text) - 1) == {"FAMILY"}
    assert ctx.sentence_of(text.index("father")) == ctx.sentences[1]
    crit = "No prior chemotherapy"
    scopes = criteria_context.scopes(crit, [], "inclusion")
    flags = criteria_context.flags_for("prior_therapy", crit.index("chemo"), len(crit), scopes)
    assert flags == {"negated": True, "historical": True}
