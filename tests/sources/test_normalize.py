"""Registry spellings into API v2 values."""

from __future__ import annotations

import pytest

from trialscout.model.enums import AgencyClass, InterventionModel, Masking, Phase, Status
from trialscout.sources.normalize import to_age, to_bool, to_date, to_enum, to_int, to_phases, to_status


@pytest.mark.parametrize(("text", "status"), [
    ("Not yet recruiting", Status.NOT_YET_RECRUITING), ("NOT_YET_RECRUITING", Status.NOT_YET_RECRUITING),
    ("Enrolling by invitation", Status.ENROLLING_BY_INVITATION), ("Withdrawn", Status.WITHDRAWN),
    ("Active, not recruiting", Status.ACTIVE_NOT_RECRUITING), ("Unknown status", Status.UNKNOWN),
    ("Approved for marketing", Status.APPROVED_FOR_MARKETING), ("nonsense", None), ("", None)])
def test_status(text: str, status: Status | None) -> None:
    assert to_status(text) == status


@pytest.mark.parametrize(("text", "phases"), [
    ("PHASE2", [Phase.PHASE2]), ("Phase 2", [Phase.PHASE2]), ("N/A", [Phase.NA]),
    ("Phase 2/Phase 3", [Phase.PHASE2, Phase.PHASE3]), ("Phase 1/Phase 2", [Phase.PHASE1, Phase.PHASE2]),
    ("Early Phase 1", [Phase.EARLY_PHASE1]), ("Phase III", [Phase.PHASE3]), ("", [])])
def test_phases(text: str, phases: list[Phase]) -> None:
    assert to_phases(text) == phases


@pytest.mark.parametrize(("text", "date"), [
    ("May 2023", "2023-05"), ("November 1, 2027", "2027-11-01"), ("2025-12-19", "2025-12-19"),
    ("October 2024", "2024-10"), ("2025-12", "2025-12"), ("1 March 2020", "2020-03-01"),
    ("N/A", None), ("soon", None), ("February 30, 2020", None), ("February 29, 2024", "2024-02-29")])
def test_dates(text: str, date: str | None) -> None:
    assert to_date(text) == date


@pytest.mark.parametrize(("text", "age"), [
    ("18 Years", "18 Years"), ("18 years", "18 Years"), ("N/A", None), ("6 Months", "6 Months"),
    ("18", "18 Years"), ("1 year", "1 Year")])
def test_ages(text: str, age: str | None) -> None:
    assert to_age(text) == age


def test_flags_counts_and_design_words() -> None:
    assert (to_bool("Yes"), to_bool("False"), to_bool("N/A")) == (True, False, None)
    assert (to_int("1,200"), to_int("120 (Estimated)"), to_int("None")) == (1200, 120, None)
    assert to_enum(InterventionModel, "Parallel Assignment") is InterventionModel.PARALLEL
    assert to_enum(Masking, "None (Open Label)") is Masking.NONE
    assert to_enum(AgencyClass, "U.S. Fed") is AgencyClass.FED
