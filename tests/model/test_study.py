"""The Study model: lossless round trip of real API v2 records, strict enums, ages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from trialscout.model import Phase, Status, Study, age_in_years


def test_every_real_v2_record_round_trips_without_loss(v2_json_dir: Path) -> None:
    files = sorted(v2_json_dir.glob("*.json"))
    assert len(files) == 11
    for f in files:
        original = json.loads(f.read_text("utf-8"))
        study = Study.from_v2(original)
        assert study.to_v2() == original, f.name
        # and through text again, as a store or a pipe would carry it
        assert Study.from_v2(json.loads(json.dumps(study.to_v2()))).to_v2() == original


def test_typed_fields_are_read_and_unknown_fields_are_kept(v2_json_dir: Path) -> None:
    data = json.loads((v2_json_dir / "NCT02210780.json").read_text("utf-8"))
    study = Study.from_v2(data)
    assert study.nct_id == "NCT02210780"
    assert study.overall_status is Status.COMPLETED
    assert study.phases == [Phase.PHASE2]
    assert study.eligibility is not None and study.eligibility.minimumAge == "18 Years"
    assert "resultsSection" in study.to_v2()  # not modelled, still there


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("statusModule", "overallStatus"), "RECRUITING_NOW"),
        (("designModule", "phases"), ["PHASE7"]),
        (("eligibilityModule", "minimumAge"), "eighteen"),
        (("statusModule", "startDateStruct"), {"date": "May 2023"}),
        (("designModule", "enrollmentInfo"), {"count": "many"}),
    ],
)
def test_bad_values_are_rejected_naming_the_field(path: tuple[str, str], value: object) -> None:
    data = {"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}, path[0]: {path[1]: value}}}
    with pytest.raises(ValidationError) as exc:
        Study.from_v2(data)
    assert path[1] in str(exc.value)


def test_nct_id_must_be_well_formed() -> None:
    with pytest.raises(ValidationError):
        Study.from_v2({"protocolSection": {"identificationModule": {"nctId": "NCT123"}}})


@pytest.mark.parametrize(("age", "years"), [("18 Years", 18.0), ("6 Months", 0.5), ("1 Year", 1.0),
                                            ("28 Days", 28 / 365.25), (None, None), ("junk", None)])
def test_age_in_years(age: str | None, years: float | None) -> None:
    assert age_in_years(age) == (pytest.approx(years) if years is not None else None)
