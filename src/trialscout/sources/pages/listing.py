"""Layout 'listing': `Label: value` lines from a ClinicalTrials.gov mirror ('Trial Title:', 'Conditions:
Official terms:', 'Lead sponsor:' with 'Agency:' lines) ending in 'Record processing date'."""

from __future__ import annotations

from trialscout.sources.pages.engine import Reader
from trialscout.sources.pages.lines import PageText
from trialscout.sources.pages.record import Record

NAME = "listing"


def read(page: PageText, rec: Record) -> None:
    reader = Reader(rec)
    reader.feed(page.lines)
    reader.finish()
