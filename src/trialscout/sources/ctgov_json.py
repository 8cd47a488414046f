"""ClinicalTrials.gov API v2 JSON: one study, a page of studies, NDJSON — read lazily."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import ijson

from trialscout.errors import RecordError, SourceError
from trialscout.sources.base import SourceItem, decode_text, study_item


def looks_like(head: bytes) -> bool:
    """JSON starts with an object or an array (after a BOM and whitespace)."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def iter_file(path: Path) -> Iterator[SourceItem]:
    """Every study in a JSON file: a study object, a page `{"studies": [...]}`, a JSON array, or NDJSON."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot read file ({exc.strerror})", where=str(path)) from exc
    with fh:
        kind = _sniff_layout(fh)
        fh.seek(0)
        if kind == "empty":
            yield SourceItem(str(path), error=RecordError("empty file: no JSON found", where=str(path)))
        elif kind == "ndjson":
            yield from _iter_ndjson(str(path), fh)
        elif kind == "page":
            yield from _iter_stream(str(path), fh, "studies.item")
        elif kind == "array":
            yield from _iter_stream(str(path), fh, "item")
        else:
            yield from parse_document(str(path), fh.read())


def parse_document(where: str, data: bytes) -> Iterator[SourceItem]:
    """A whole JSON document held in memory (a ZIP member, a small file): a study, page or array."""
    try:
        doc = json.loads(decode_text(where, data))
    except RecordError as exc:
        yield SourceItem(where, error=exc)
        return
    except json.JSONDecodeError as exc:
        yield SourceItem(where, error=RecordError(f"malformed JSON at line {exc.lineno} column {exc.colno}: "
                                                  f"{exc.msg}", where=where))
        return
    if isinstance(doc, dict) and "studies" in doc and "protocolSection" not in doc:
        doc = doc["studies"]
        if not isinstance(doc, list):
            yield SourceItem(where, error=RecordError('"studies" is not a list', where=where))
            return
    if isinstance(doc, list):
        for i, data_i in enumerate(doc):
            yield study_item(f"{where}#{i}", data_i)
    else:
        yield study_item(where, doc)


def _sniff_layout(fh: IO[bytes]) -> str:
    """'study' | 'page' | 'array' | 'ndjson' | 'empty', from the first top-level tokens."""
    head = fh.read(1 << 16).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return "empty"
    if head[:1] == b"[":
        return "array"
    first_line, _, rest = head.partition(b"\n")
    if rest.strip()[:1] == b"{":
        try:
            json.loads(first_line)
            return "ndjson"
        except ValueError:
            pass
    fh.seek(0)
    try:
        for prefix, event, value in ijson.parse(fh):
            if prefix == "" and event == "map_key":
                if value == "studies":
                    return "page"
                if value == "protocolSection":
                    return "study"
    except (ijson.JSONError, ValueError):
        return "study"  # let the strict parser report the error with its position
    return "study"


def _iter_stream(where: str, fh: IO[bytes], prefix: str) -> Iterator[SourceItem]:
    i = -1
    try:
        for i, data in enumerate(ijson.items(fh, prefix, use_float=True)):
            yield study_item(f"{where}#{i}", data)
    except (ijson.JSONError, ValueError) as exc:
        # A truncated or broken page: everything before the damage has been yielded.
        yield SourceItem(f"{where}#{i + 1}", error=RecordError(f"malformed JSON after record {i + 1}: {exc}",
                                                               where=f"{where}#{i + 1}"))


def _iter_ndjson(where: str, fh: IO[bytes]) -> Iterator[SourceItem]:
    for lineno, raw in enumerate(fh, start=1):
        if not raw.strip():
            continue
        line_where = f"{where}:{lineno}"
        try:
            data = json.loads(decode_text(line_where, raw))
        except RecordError as exc:
            yield SourceItem(line_where, error=exc)
            continue
        except json.JSONDecodeError as exc:
            yield SourceItem(line_where, error=RecordError(f"malformed JSON at column {exc.colno}: {exc.msg}",
                                                           where=line_where))
            continue
        yield study_item(line_where, data)
