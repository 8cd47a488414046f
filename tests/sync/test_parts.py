"""The parts of sync on their own: the field-level diff, Retry-After, the token bucket, page bodies, --rate."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from tests.sync.ctgov_server import updated
from trialscout.errors import TrialscoutError
from trialscout.sync import diff_studies
from trialscout.sync.client import RawStudy, SyncError, TokenBucket, _Retry, parse_page, retry_after_seconds
from trialscout.sync_cli import parse_rate


def _fields(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {c.field: (c.old, c.new) for c in diff_studies(old, new)}


def _site(facility: str, status: str) -> dict[str, Any]:
    return {"facility": facility, "city": "Boston", "state": "Massachusetts", "country": "United States",
            "status": status}


def test_sites_added_removed_and_changed_status_are_named(records: list[dict[str, Any]]) -> None:
    old = updated(records[0], "2024-01-01")
    old["protocolSection"].setdefault("contactsLocationsModule", {})["locations"] = [
        _site("Dana-Farber", "RECRUITING"), _site("MGH", "RECRUITING"), _site("BIDMC", "RECRUITING")]
    new = json.loads(json.dumps(old))
    new["protocolSection"]["contactsLocationsModule"]["locations"] = [
        _site("Dana-Farber", "COMPLETED"), _site("BIDMC", "RECRUITING"), _site("Brigham", "NOT_YET_RECRUITING")]
    got = _fields(old, new)
    where = "Boston, Massachusetts, United States"
    assert got == {f"locations[Dana-Farber, {where}].status": ("RECRUITING", "COMPLETED"),
                   f"locations[MGH, {where}]": (_site("MGH", "RECRUITING"), None),
                   f"locations[Brigham, {where}]": (None, _site("Brigham", "NOT_YET_RECRUITING"))}


def test_contacts_dates_and_other_modules(records: list[dict[str, Any]]) -> None:
    old = updated(records[1], "2024-01-01")
    new = updated(old, "2024-03-01")
    ps = new["protocolSection"]
    ps.setdefault("contactsLocationsModule", {})["centralContacts"] = [{"name": "Study desk", "email": "a@b.org"}]
    ps["statusModule"]["completionDateStruct"] = {"date": "2031-12", "type": "ESTIMATED"}
    ps.setdefault("armsInterventionsModule", {})["armGroups"] = [{"label": "New arm"}]
    got = _fields(old, new)
    assert got["lastUpdatePostDate"] == ("2024-01-01", "2024-03-01")
    assert got["completionDate"][1] == "2031-12"
    assert got["centralContacts"][1] == [{"name": "Study desk", "email": "a@b.org"}]
    assert got["protocolSection.armsInterventionsModule"] == (None, None)
    assert "protocolSection.statusModule" not in got and "protocolSection.contactsLocationsModule" not in got
    assert _fields(old, json.loads(json.dumps(old))) == {}


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after_seconds(later) <= 30
    assert retry_after_seconds(format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)) == 0.0


def test_the_token_bucket_spaces_requests_at_the_rate_after_a_burst() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(30.0, 2, clock=lambda: now[0], sleep=sleep)  # one every 2 s, two at once
    for _ in range(5):
        bucket.take()
    assert waits == pytest.approx([2.0, 2.0, 2.0])
    now[0] += 60  # a long pause refills only up to the burst
    bucket.take()
    bucket.take()
    bucket.take()
    assert waits[3:] == pytest.approx([2.0])
    with pytest.raises(SyncError, match="above 0"):
        TokenBucket(0, 1)


def test_a_body_cut_short_is_retried_and_a_whole_one_is_cut_into_studies() -> None:
    body = b'{"studies":[{"a":1},{"b":[2]}],"nextPageToken":"abc","totalCount":12345}'
    page = parse_page(body)
    assert page.next_token == "abc" and page.total == 12345
    assert [s.data for s in page.studies] == [b'{"a":1}', b'{"b":[2]}']
    with pytest.raises(_Retry, match="not complete JSON"):
        parse_page(body[:-9])
    with pytest.raises(_Retry, match="not a page of studies"):
        parse_page(b'{"studies": 3}')
    assert parse_page(b'{"studies":[]}').studies == []
    deep = b'{"studies":[' + b"[" * 5000 + b"]" * 5000 + b',{"c":3}],"nextPageToken":"t2"}'
    page = parse_page(deep)  # too deep for the parser: still cut, and the token read from the end
    assert page.next_token == "t2" and page.studies[1] == RawStudy(b'{"c":3}', 1, None)


def test_rates() -> None:
    assert parse_rate("50") == 50 and parse_rate("50/min") == 50 and parse_rate("2/s") == 120
    assert parse_rate("600/h") == 10
    with pytest.raises(TrialscoutError, match="--rate"):
        parse_rate("fast")


def test_the_cli_default_host_is_the_library_default() -> None:
    from trialscout import sync_cli
    from trialscout.sync import DEFAULT_BASE_URL

    assert sync_cli.DEFAULT_BASE_URL == DEFAULT_BASE_URL  # spelled twice so that `--help` does not import httpx
