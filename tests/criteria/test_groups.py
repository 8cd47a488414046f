"""Alternatives cues (criteria/rules/groups.json): every example runs; real lead-ins from the sample are groups."""

from __future__ import annotations

import pytest

from trialscout.criteria import criteria_contract, parse_criteria, rules
from trialscout.criteria.groups import cue, group_kind, inline_alternatives, inline_start

GROUPS = rules.load("groups.json")


@pytest.mark.parametrize("text", GROUPS["any_of"]["examples"])
def test_any_of_examples(text: str) -> None:
    assert group_kind(text, "inclusion") == "any_of"


@pytest.mark.parametrize("text", GROUPS["any_of"]["not_examples"])
def test_not_alternatives_examples(text: str) -> None:
    assert cue(text) is None


@pytest.mark.parametrize("text", GROUPS["none_of"]["examples"] + GROUPS["negated_lead"]["examples"])
def test_none_of_examples(text: str) -> None:
    assert group_kind(text, "inclusion") == "none_of"
    assert group_kind(text, "exclusion") == "any_of"  # in an exclusion, 'may not' / 'none of' restate it


@pytest.mark.parametrize("text", GROUPS["negated_lead"]["not_examples"])
def test_not_negated_examples(text: str) -> None:
    assert group_kind(text, "inclusion") == "any_of"


@pytest.mark.parametrize(("text", "count"), GROUPS["inline"]["examples"])
def test_inline_examples(text: str, count: int) -> None:
    start = inline_start(text)
    assert start is not None and len(inline_alternatives(text, start)) == count


def test_lead_ins_without_sub_items_or_inline_list_are_no_group() -> None:
    assert parse_criteria("Inclusion Criteria:\n\n  -  Must meet one of the following\n")[0].group is None


# NCT00002517 (sample): a group nested inside a group.
NESTED = ("DISEASE CHARACTERISTICS:\n\n  -  Disease must be associated with at least 1 of the following:\n\n"
          "       -  More than 3% myeloperoxidase- or Sudan black-positive blasts\n\n"
          "       -  Immunological markers compatible with a myeloid differentiation, including 1 of the following "
          "criteria:\n\n"
          "            -  Blasts positive for myeloid-associated antigen and negative for B- or T-lymphocyte "
          "antigen\n\n"
          "            -  Blasts positive for at least 2 myeloid antigens (except CD3 and CD8)\n\n"
          "       -  A cytogenetic abnormality associated with AML\n")


def test_nested_groups_keep_their_parents() -> None:
    crit = parse_criteria(NESTED)
    assert [c.group for c in crit] == ["any_of", None, "any_of", None, None, None]
    assert [c.parent for c in crit] == [None, 0, 0, 2, 2, 0]
    contract = criteria_contract(NESTED)
    assert [c.get("group") for c in contract] == ["any_of", None, "any_of", None, None, None]
    assert [c.get("parent") for c in contract] == [None, 0, 0, 2, 2, 0]
