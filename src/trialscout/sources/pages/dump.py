"""Layout 'dump': API-style field dumps ('Viewing Study NCT…', `Brief Title:`, `Status: NOT_YET_RECRUITING`,
`Has Oversight DMC: True`) with a space-separated 'Secondary ID Infos' table."""

from __future__ import annotations

import re

from trialscout.sources.pages.engine import Reader
from trialscout.sources.pages.lines import BLANK, Line, PageText
from trialscout.sources.pages.record import Record
from trialscout.sources.pages.vocab import vocab

NAME = "dump"
_VIEWING = re.compile(r"^Viewing Study (NCT\d{8})\b")
_ID_HEADER = re.compile(r"^Secondary ID\s+Type\s+Domain\b")
_ID_ROW = re.compile(r"^(?P<id>\S+)(?:\s+(?P<type>[A-Z][A-Z0-9_]{2,}))?(?:\s+(?P<domain>.*?))?"
                     r"(?:\s+(?P<link>https?://\S+))?(?:\s+View)?$")


def read(page: PageText, rec: Record) -> None:
    reader = Reader(rec)
    lines = page.lines
    nct_field = vocab().fields["nctId"]
    for line in lines[:5]:
        if m := _VIEWING.match(line.text):
            rec.put(nct_field, m.group(1), line)
            break
    reader.feed(_without_id_table(lines, rec))
    reader.finish()


def _without_id_table(lines: list[Line], rec: Record) -> list[Line]:
    """Read the 'Secondary ID  Type  Domain  Link  View' table and hand the other lines on."""
    out: list[Line] = []
    i = 0
    while i < len(lines):
        if not _ID_HEADER.match(lines[i].text):
            out.append(lines[i])
            i += 1
            continue
        i += 1
        while i < len(lines) and lines[i].kind != BLANK and ":" not in lines[i].text:
            _id_row(lines[i], rec)
            i += 1
    return out


def _id_row(line: Line, rec: Record) -> None:
    m = _ID_ROW.match(line.text)
    if not m:
        rec.unmapped.append((line.no, line.text))
        return
    rec.start_group("secondaryId")
    for sub in ("id", "type", "domain", "link"):
        if m.group(sub):
            rec.group_put("secondaryId", sub, "text", m.group(sub), line)
