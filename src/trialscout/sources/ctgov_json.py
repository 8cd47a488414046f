"""ClinicalTrials.gov API v2 JSON: one study, a page of studies, NDJSON — read lazily."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from trialscout import json_limits
from trialscout.errors import RecordError, SourceError
from trialscout.sources import json_split
from trialscout.sources.base import RawRecord, SourceItem, study_item


def looks_like(head: bytes) -> bool:
    """JSON starts with an object or an array (after a BOM and whitespace)."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def iter_file(path: Path) -> Iterator[SourceItem]:
    """Every study in a JSON file: a study object, a page `{"studies": [...]}`, a JSON array, or NDJSON."""
    for piece in iter_file_raw(path):
        if isinstance(piece, SourceItem):
            yield piece
        elif piece.kind == "json-value":
            yield parse_value(piece.where, piece.data, piece.depth)
        else:
            yield from parse_document(piece.where, piece.data)


def iter_file_raw(path: Path) -> Iterator[SourceItem | RawRecord]:
    """`iter_file` before parsing: each record's bytes as cut out of the file (a whole document for a single study),
    or the item reporting what could not be cut out. The parsing is `parse_value` / `parse_document`."""
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
            yield from _iter_stream(str(path), fh, "studies")
        elif kind == "array":
            yield from _iter_stream(str(path), fh, None)
        else:
            yield RawRecord(str(path), fh.read(), "ctgov-json")


def parse_value(where: str, data: bytes, depth: int | None = None) -> SourceItem:
    """One study cut out of a page, an array or an NDJSON line (`depth`: its nesting, when already measured)."""
    try:
        return study_item(where, _loads(where, data, depth))
    except RecordError as exc:
        return SourceItem(where, error=exc)


def parse_document(where: str, data: bytes) -> Iterator[SourceItem]:
    """A whole JSON document held in memory (a ZIP member, a small file): a study, page or array."""
    try:
        doc = _loads(where, data)
    except RecordError as exc:
        yield SourceItem(where, error=exc)
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


def _loads(where: str, data: bytes, depth: int | None = None) -> Any:
    """One JSON document under the limits of `json_limits`; every failure a RecordError naming `where`."""
    return json_limits.loads(data, where, RecordError, depth=depth)


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
        except (ValueError, RecursionError):
            pass
    for key in json_split.top_level_keys(head):
        if key == "studies":
            return "page"
        if key == "protocolSection":
            return "study"
    return "study"  # the strict parser reports any error with its position


def _iter_stream(where: str, fh: IO[bytes], key: str | None) -> Iterator[SourceItem | RawRecord]:
    """Each element of the array, cut out on its own: a bad one is reported and the scan goes on after it."""
    for piece in json_split.iter_array(fh, key):
        label = f"{where}#{piece.index}"
        if piece.error:
            yield SourceItem(label, error=RecordError(piece.error, where=label))
        else:
            yield RawRecord(label, piece.data, "json-value", piece.depth)


def _iter_ndjson(where: str, fh: IO[bytes]) -> Iterator[RawRecord]:
    for lineno, raw in enumerate(fh, start=1):
        if raw.strip():
            yield RawRecord(f"{where}:{lineno}", raw, "json-value")
