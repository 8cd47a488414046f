"""Layout 'pipes': `Label | value |` rows with markdown-style tables (locations, sponsors, outcomes) and a
table of other trials at the end; the acronym sits before 'Official title:' and the summary has no label."""

from __future__ import annotations

import re

from trialscout.sources.pages.engine import Reader
from trialscout.sources.pages.lines import TEXT, Line, PageText
from trialscout.sources.pages.record import Record
from trialscout.sources.pages.vocab import vocab

NAME = "pipes"
_GLUED = re.compile(r"^(?P<before>.*?)(?P<label>Official title|Brief title|Acronym)\s*:\s*(?P<value>.*)$", re.I)
_ACRONYM = re.compile(r"^[\u2014\u2013-]\s*(?P<acronym>[^\s|]{2,40})$")


def read(page: PageText, rec: Record) -> None:
    reader = Reader(rec)
    summary_taken = False
    min_words = vocab().raw["unlabelled_summary_min_words"]
    summary = vocab().fields["briefSummary"]

    def unlabelled(line: Line) -> bool:
        nonlocal summary_taken
        if summary_taken or line.kind != TEXT or len(line.text.split()) < min_words:
            return False
        if rec.has(summary.path[0]):
            return True
        summary_taken = rec.put(summary, line.verbatim, line)
        return summary_taken

    reader.on_unlabelled = unlabelled
    reader.feed([_unglue(line, rec) for line in page.lines])
    reader.finish()


def _unglue(line: Line, rec: Record) -> Line:
    """'— NATARSOfficial title:' → acronym NATARS, and the line becomes 'Official title:'."""
    m = _GLUED.match(line.text)
    if not m or not m.group("before").strip():
        return line
    before = m.group("before").strip()
    if a := _ACRONYM.match(before):
        rec.put(vocab().fields["acronym"], a.group("acronym"), line)
    elif not before.startswith(("—", "–", "-")):
        return line
    rest = f"{m.group('label')}: {m.group('value')}".strip()
    return Line(line.no, rest, TEXT, (), rest)
