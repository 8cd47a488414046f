"""Readers: every form a trial record comes in, read lazily into SourceItems (a Study or an error).

`iter_items(paths)` is the one entry point: it takes files, directories and ZIPs in any of the
supported formats, detects each file's format, and yields one item per record found. It is `iter_raw` (read and
cut each record's bytes, in order) followed by `parse_raw` (parse them), so that ingest can parse in other processes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from trialscout.errors import RecordError, SourceError
from trialscout.sources import ctgov_json
from trialscout.sources.base import RawRecord, SourceItem, iter_zip_members, peek

FORMATS = ("auto", "ctgov-json", "ctgov-xml", "page")

__all__ = ["FORMATS", "RawRecord", "SourceItem", "iter_items", "iter_path", "iter_raw", "parse_raw"]


def iter_items(paths: Iterable[str | Path], fmt: str = "auto") -> Iterator[SourceItem]:
    """Every record in every path, in order. Unreadable paths raise SourceError; bad records are items."""
    for piece in iter_raw(paths, fmt):
        if isinstance(piece, SourceItem):
            yield piece
        else:
            yield from parse_raw(piece)


def iter_raw(paths: Iterable[str | Path], fmt: str = "auto") -> Iterator[SourceItem | RawRecord]:
    """`iter_items` in two halves: this one reads and cuts, in order, each record's bytes (or reports what could not
    be read as an item); `parse_raw` turns each RawRecord into its items, here or in another process."""
    if fmt not in FORMATS:
        raise SourceError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    for p in paths:
        yield from _iter_path(Path(p), fmt)


def parse_raw(raw: RawRecord) -> Iterator[SourceItem]:
    """The items of records cut out by `iter_raw` (a document may hold many: a page of studies in a ZIP)."""
    if raw.kind == "json-value":
        yield ctgov_json.parse_value(raw.where, raw.data, raw.depth)
    else:
        yield from _parse_bytes(raw.where, raw.data, raw.kind)


def iter_path(path: Path, fmt: str = "auto") -> Iterator[SourceItem]:
    """Every record in one file, directory or ZIP."""
    return iter_items([path], fmt)


def _iter_path(path: Path, fmt: str) -> Iterator[SourceItem | RawRecord]:
    if not path.exists():
        raise SourceError("no such file or directory", where=str(path))
    if path.is_dir():
        yield from _iter_directory(path, fmt)
    elif zipfile.is_zipfile(path) or path.suffix.lower() == ".zip":
        yield from iter_zip_members(path, (".xml", ".json", ".ndjson", ".jsonl", ".txt", ".html", ".htm"),
                                    lambda where, data: iter([RawRecord(where, data, fmt)]))
    else:
        yield from _iter_file(path, fmt)


def _iter_directory(path: Path, fmt: str) -> Iterator[SourceItem | RawRecord]:
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        yield SourceItem(str(path), error=RecordError("directory holds no files", where=str(path)))
    for f in files:
        try:
            yield from _iter_path(f, fmt)
        except SourceError as exc:
            yield SourceItem(str(f), error=RecordError(exc.why, where=str(f)))


def _iter_file(path: Path, fmt: str) -> Iterator[SourceItem | RawRecord]:
    head = peek(path)
    kind = fmt if fmt != "auto" else _detect(head, path.name)
    if kind is None:
        yield SourceItem(str(path), error=_unrecognised(str(path), head))
    elif kind == "ctgov-json":
        yield from ctgov_json.iter_file_raw(path)
    else:
        yield RawRecord(str(path), path.read_bytes(), kind)


def _parse_bytes(where: str, data: bytes, fmt: str) -> Iterator[SourceItem]:
    kind = fmt if fmt != "auto" else _detect(data[:4096], where)
    if kind is None:
        yield SourceItem(where, error=_unrecognised(where, data[:4096]))
        return
    yield from _parser(kind)(where, data)


def _parser(kind: str) -> Callable[[str, bytes], Iterator[SourceItem]]:
    if kind == "ctgov-json":
        return ctgov_json.parse_document
    if kind == "ctgov-xml":
        from trialscout.sources import ctgov_xml

        return lambda where, data: iter([ctgov_xml.parse_record(where, data)])
    from trialscout.sources import pages

    return lambda where, data: iter([pages.parse_page(where, data)])


def _detect(head: bytes, name: str) -> str | None:
    """The format of a file from its first bytes (and, for pages, its name)."""
    if ctgov_json.looks_like(head):
        return "ctgov-json"
    from trialscout.sources import ctgov_xml

    if ctgov_xml.looks_like(head):
        return "ctgov-xml"
    from trialscout.sources import pages

    if pages.looks_like(head):
        return "page"
    return None


def _unrecognised(where: str, head: bytes) -> RecordError:
    if not head.strip():
        return RecordError("empty file", where=where)
    return RecordError("not a trial record: neither ClinicalTrials.gov JSON, legacy XML nor a registry page",
                       where=where)
