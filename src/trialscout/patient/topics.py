"""Read TREC Clinical Trials topic files (`<topics><topic number="1">note</topic>...`) lazily."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from trialscout.patient.errors import PatientError


def read_topics(path: str | Path) -> Iterator[tuple[str, str]]:
    """(topic number, note text) for each topic, in file order."""
    try:
        for _, elem in etree.iterparse(str(path), tag="topic"):
            yield elem.get("number") or "", (elem.text or "").strip()
            elem.clear()
    except etree.XMLSyntaxError as exc:
        raise PatientError(f"not a valid topics file: {exc}", where=str(path)) from None
