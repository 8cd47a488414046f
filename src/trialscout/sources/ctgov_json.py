"""ClinicalTrials.gov API v2 JSON: one study, a page of studies, NDJSON — read lazily."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from trialscout import json_limits
from trialscout.errors import RecordError, SourceError
from trialscout.sources import json_split
from trialscout.sources.base import SourceItem, study_item


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
            yield from _iter_stream(str(path), fh, "studies")
        elif kind == "array":
            yield from _iter_stream(str(path), fh, None)
        else:
            yield from parse_document(str(path), fh.read())


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


def _iter_stream(where: str, fh: IO[bytes], key: str | None) -> Iterator[SourceItem]:
    """Each element of the array, parsed on its own: a bad one is reported and the scan goes on after it."""
    for piece in json_split.iter_array(fh, key):
        label = f"{where}#{piece.index}"
        if piece.error:
            yield SourceItem(label, error=RecordError(piece.error, where=label))
            continue
        try:
            yield study_item(label, _loads(label, piece.data, piece.depth))
        except RecordError as exc:
            yield SourceItem(label, error=exc)


def _iter_ndjson(where: str, fh: IO[bytes]) -> Iterator[SourceItem]:
    for lineno, raw in enumerate(fh, start=1):
        if not raw.strip():
            continue
        line_where = f"{where}:{lineno}"
        try:
            data = _loads(line_where, raw)
        except RecordError as exc:
            yield SourceItem(line_where, error=exc)
            continue
        yield study_item(line_where, data)
