"""Layout 'generic': any page not recognised as a known layout, read through the label vocabulary alone."""

from __future__ import annotations

import re

from trialscout.sources.pages.engine import Reader
from trialscout.sources.pages.lines import BLANK, HEADING, Line, PageText
from trialscout.sources.pages.record import Record
from trialscout.sources.pages.vocab import vocab

NAME = "generic"
_NCT = re.compile(r"\bNCT\d{8}\b")


def read(page: PageText, rec: Record) -> None:
    reader = Reader(rec)
    reader.feed(page.lines)
    reader.finish()
    fallback_id(reader, rec)
    _heading_title(page.lines, reader, rec)


def fallback_id(reader: Reader, rec: Record) -> None:
    """No labelled NCT ID: take the one NCT ID the page names outside lists of other trials, if only one."""
    path = vocab().fields["nctId"].path[0]
    if rec.has(path) or len(reader.ncts) != 1:
        return
    (nct, line), = reader.ncts.items()
    rec.put(vocab().fields["nctId"], nct, line)
    rec.warnings.append(f"line {line.no}: NCT ID has no label; taken from the only one the page names")


def _heading_title(lines: list[Line], reader: Reader, rec: Record) -> None:
    """An HTML page whose first heading is the trial's title (and no labelled title)."""
    v = vocab()
    if rec.has(v.fields["briefTitle"].path[0]):
        return
    first = next((ln for ln in lines if ln.kind not in (BLANK, "title") and not v.is_chrome(ln.text)), None)
    if first is None or first.kind != HEADING or len(first.text.split()) < 4:
        return
    if reader.match(first) or v.is_section(first.text) or v.is_related(first.text):
        return
    own = rec.data.get("protocolSection", {}).get("identificationModule", {}).get("nctId")
    if any(n != own for n in _NCT.findall(first.text)) or re.search(r"clinical trials?$", first.text, re.I):
        return
    title = _NCT.sub("", first.text).strip(" -:|()")
    rec.put(v.fields["briefTitle"], title, first)
    rec.warnings.append(f"line {first.no}: brief title has no label; taken from the page's first heading")
