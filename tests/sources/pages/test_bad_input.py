"""Bad pages: empty, not a trial, binary, wrongly encoded, truncated — a clear error or a flagged partial record."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sources.pages.conftest import SEED_NAMES, as_html, seed_path, seed_text
from trialscout.errors import RecordError
from trialscout.sources.pages import explain, format_explanation, iter_items, looks_like, parse_page

S0, S1, S2, S3, S4 = SEED_NAMES


def _error(data: bytes) -> str:
    item = parse_page("page", data)
    assert not item.ok
    assert isinstance(item.error, RecordError)
    return item.error.why


def test_empty_pages() -> None:
    assert "empty" in _error(b"")
    assert "empty" in _error(b"  \r\n\n\t\n")
    assert "empty" in _error(b"<html><head><title>x</title></head><body>  </body></html>")


def test_page_that_is_not_a_trial_record() -> None:
    blog = b"Welcome to our blog!\n\nToday we talk about cancer screening and why it matters.\nRead more.\n"
    assert "not a trial record" in _error(blog)
    news = b"<html><body><h1>News</h1><p>Researchers launched NCT01234567 last week.</p></body></html>"
    assert "not a trial record" in _error(news)


def test_binary_and_wrongly_encoded_bytes() -> None:
    assert "binary" in _error(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    assert "binary" in _error(bytes(range(256)) * 8)
    why = _error("Study NCT ID: NCT01234567\nBrief Title: Café au lait\nStatus: Recruiting\n".encode("latin-1"))
    assert "not UTF-8" in why


def test_declared_html_charset_is_honoured() -> None:
    page = ("<html><head><meta charset='iso-8859-1'></head><body><p>NCT ID: NCT01234567</p>"
            "<p>Brief Title: Étude café</p><p>Status: Recruiting</p><p>Phase: Phase 2</p></body></html>")
    item = parse_page("latin1.html", page.encode("latin-1"))
    assert item.ok, item.error
    assert item.study.brief_title == "Étude café"


def test_text_truncated_mid_table_is_partial_with_a_warning() -> None:
    lines = seed_text(S1).split("\n")
    cut = "\n".join(["NCT ID | NCT01234567 |"] + lines[:23] + [lines[23][:30]])
    expl = explain("cut.txt", cut.encode())
    assert expl.study is not None
    assert any("truncated" in w for w in expl.warnings)
    locations = expl.record["protocolSection"]["contactsLocationsModule"]["locations"]
    assert [loc["facility"] for loc in locations] == ["Beijing Friendship Hospital", "Peking University First Hospital",
                                                      "The Affiliated Hospital of Qingdao University"]
    assert "collaborators" not in expl.record["protocolSection"].get("sponsorCollaboratorsModule", {})


def test_html_truncated_is_partial_with_a_warning() -> None:
    page = as_html(seed_text(S2))
    cut = page[: page.index("Eligible Sex")]
    expl = explain("cut.html", cut.encode())
    assert expl.study is not None
    assert any("truncated" in w for w in expl.warnings)
    assert expl.record["protocolSection"]["eligibilityModule"]["maximumAge"] == "70 Years"
    assert "sex" not in expl.record["protocolSection"]["eligibilityModule"]


def test_looks_like_pages_not_json_or_xml() -> None:
    for name in SEED_NAMES:
        text = seed_text(name)
        assert looks_like(text.encode()[:4096]), name
        assert looks_like(as_html(text).encode()[:4096]), name
    assert not looks_like(b'{"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}}}')
    assert not looks_like(b'[{"protocolSection": {}}]')
    assert not looks_like(b'<?xml version="1.0"?>\n<clinical_study rank="1"><id_info><nct_id>NCT0')
    assert not looks_like(b"")
    assert not looks_like(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert not looks_like(b"Just some notes about my day.\nNothing about trials here.\n")


def test_iter_items_reads_a_file_or_a_directory(tmp_path: Path) -> None:
    for name in SEED_NAMES:
        (tmp_path / name).write_bytes(seed_path(name).read_bytes())
    (tmp_path / "page-without-extension").write_text(seed_text(S3), "utf-8")
    (tmp_path / "saved.html").write_text(as_html(seed_text(S2)), "utf-8")
    (tmp_path / "record.json").write_text(json.dumps({"x": 1}), "utf-8")
    items = list(iter_items(tmp_path))
    assert len(items) == 7
    assert sum(1 for i in items if i.ok) == 6
    assert {i.study.nct_id for i in items if i.ok} == {"NCT07295132", "NCT04199520", "NCT06609434", "NCT07132502"}
    (single,) = list(iter_items(tmp_path / S0))
    assert single.ok and single.where.endswith("[NCT07295132]")


def test_format_explanation_is_readable() -> None:
    text = format_explanation(explain(S3, seed_path(S3).read_bytes()))
    assert "layout: listing" in text
    assert "protocolSection.statusModule.overallStatus = 'NOT_YET_RECRUITING'" in text
    assert "<- line 24: Overall status: Not yet recruiting" in text
    assert "labelled lines not mapped:" in text and "line 71: Record processing date" in text
    bad = format_explanation(explain("x", b""))
    assert "error: empty page" in bad


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_crash(data: bytes) -> None:
    item = parse_page("fuzz", data)
    assert item.ok or isinstance(item.error, RecordError)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(seed_text(S3).split("\n") + seed_text(S1).split("\n")[:45] + ["<p>", "</td>", "|"]),
                max_size=40))
def test_random_page_fragments_never_crash(lines: list[str]) -> None:
    data = "\n".join(lines).encode()
    item = parse_page("fuzz", data)
    assert item.ok or isinstance(item.error, RecordError)
    explain("fuzz", data)
