"""Registry and aggregator web pages (saved as text or HTML) read into v2-shaped Study items."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from trialscout.errors import RecordError
from trialscout.sources.base import SourceItem, read_bytes
from trialscout.sources.pages.lines import BLANK, decode_page, page_lines
from trialscout.sources.pages.parse import (
    PageExplanation,
    PageRecordError,
    detect,
    explain,
    format_explanation,
)
from trialscout.sources.pages.parse import parse_page as _parse_page
from trialscout.sources.pages.vocab import vocab

__all__ = ["PageExplanation", "PageRecordError", "explain", "format_explanation", "iter_items", "looks_like",
           "parse_page"]

PAGE_SUFFIXES = (".txt", ".html", ".htm", ".xhtml", ".text", ".md")


MAX_PAGE_BYTES = 8 << 20
"""Largest page read (reading takes about 1.7 s a MB; real registry pages are well under 1 MB of text)."""


def parse_page(where: str, data: bytes) -> SourceItem:
    """One page's bytes → a SourceItem holding the Study or a RecordError (never raises for bad input)."""
    if len(data) > MAX_PAGE_BYTES:
        return SourceItem(where, error=RecordError(
            f"page of {len(data):,} bytes is larger than the limit of {MAX_PAGE_BYTES:,}", where=where))
    return _parse_page(where, data)


def iter_items(path: Path) -> Iterator[SourceItem]:
    """Every page under `path` (a page file, or a directory of .txt/.html/.htm/extension-less files)."""
    path = Path(path)
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and not p.name.startswith(".") and (p.suffix.lower() in PAGE_SUFFIXES or not p.suffix):
                yield parse_page(str(p), read_bytes(p))
        return
    yield parse_page(str(path), read_bytes(path))


_LABELLED = re.compile(r"^\s*([A-Za-z][^:|]{1,60}?)\s*[:|]")


def looks_like(head: bytes) -> bool:
    """Cheap sniff: a registry page (text or HTML with trial labels), not JSON and not <clinical_study> XML."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped or stripped[:1] in (b"{", b"[") or b"<clinical_study" in head[:4096]:
        return False
    try:
        text, is_html = decode_page("sniff", head)
    except RecordError:
        try:
            text, is_html = decode_page("sniff", head[:-3])  # a multi-byte character cut at the end
        except RecordError:
            return False
    if stripped.startswith(b"<?xml") and not is_html:
        return False
    try:
        lines = page_lines(text, is_html).lines
    except RecordError:
        return False
    if detect(lines) != "generic":
        return True
    v = vocab()
    known = 0
    for ln in lines:
        if ln.kind == BLANK:
            continue
        m = _LABELLED.match(ln.text)
        if (m and v.lookup(m.group(1))) or (len(ln.text) <= 40 and v.lookup(ln.text)):
            known += 1
    return known >= 3
