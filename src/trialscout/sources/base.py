"""What every reader yields: one item per record found, a Study or the reason it could not be read."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from trialscout.errors import RecordError, SourceError
from trialscout.model import Study

MAX_MEMBER_BYTES = 1 << 30
"""Largest ZIP member unpacked into memory (a page of 1,000 studies with results is about 100 MB)."""


@dataclass(frozen=True)
class SourceItem:
    """A record read from `where` (file, zip member, line): either a Study or a RecordError."""

    where: str
    study: Study | None = None
    error: RecordError | None = None

    @property
    def ok(self) -> bool:
        return self.study is not None


@dataclass(frozen=True)
class RawRecord:
    """The bytes of a record (or of a whole document of records) as cut out of a file, a ZIP or a stream, not yet
    parsed. Cutting is cheap and happens in order; parsing (`trialscout.sources.parse_raw`) is the costly part and
    may run anywhere, in another process: a RawRecord is plain data and pickles as such.

    `kind` is a format of `trialscout.sources.FORMATS` ("auto": detect it from the bytes), or "json-value": one
    JSON value cut out of a page, an array or an NDJSON line, whose nesting (`depth`) may be known already."""

    where: str
    data: bytes
    kind: str
    depth: int | None = None


def describe_validation_error(exc: ValidationError, limit: int = 3) -> str:
    """One line naming the fields that failed and why (`protocolSection.statusModule.overallStatus: ...`)."""
    parts = []
    for err in exc.errors()[:limit]:
        loc = ".".join(str(p) for p in err["loc"])
        value = err.get("input")
        shown = f" (got {value!r:.60})" if isinstance(value, str | int | float | bool) else ""
        parts.append(f"{loc}: {err['msg']}{shown}")
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def study_item(where: str, data: Any) -> SourceItem:
    """Validate one v2-shaped dict into a SourceItem, turning every failure into a RecordError."""
    if not isinstance(data, dict):
        return SourceItem(where, error=RecordError(f"expected a JSON object, got {type(data).__name__}", where=where))
    protocol = data.get("protocolSection")
    if not isinstance(protocol, dict):
        got = "nothing" if protocol is None else type(protocol).__name__
        return SourceItem(where, error=RecordError(f"protocolSection must be an object, got {got}", where=where))
    ident = protocol.get("identificationModule")
    nct_id = ident.get("nctId") if isinstance(ident, dict) else None
    if not nct_id or not isinstance(nct_id, str):
        return SourceItem(where, error=RecordError("record has no NCT ID (protocolSection.identificationModule.nctId)",
                                                   where=where))
    label = f"{where} [{nct_id[:40]}]"
    try:
        return SourceItem(label, study=Study.from_v2(data))
    except ValidationError as exc:
        return SourceItem(label, error=RecordError(describe_validation_error(exc), where=label))
    except (ValueError, TypeError, RecursionError) as exc:  # anything else a model validator raises on odd input
        return SourceItem(label, error=RecordError(f"unreadable record ({type(exc).__name__}: {str(exc)[:200]})",
                                                   where=label))


def iter_zip_members(
    path: Path, suffixes: tuple[str, ...], parse: Callable[[str, bytes], Iterator[SourceItem]]
) -> Iterator[SourceItem]:
    """Stream the members of a ZIP one at a time; a damaged member is reported, the rest still read.

    A ZIP cut off before its central directory (an interrupted download) is read from its local headers:
    every complete member still comes through, and the damage is reported as a final error item.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield from _salvage_zip(path, exc, suffixes, parse)
        return
    with zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.lower().endswith(suffixes):
                continue
            where = f"{path}!{info.filename}"
            if info.file_size > MAX_MEMBER_BYTES:
                yield SourceItem(where, error=RecordError(
                    f"member of {info.file_size:,} bytes is larger than the limit of {MAX_MEMBER_BYTES:,}",
                    where=where))
                continue
            try:
                data = zf.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error, zipfile.LargeZipFile) as exc:
                yield SourceItem(where, error=RecordError(f"damaged ZIP member ({exc})", where=where))
                continue
            yield from parse(where, data)


_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")


def _salvage_zip(path: Path, cause: Exception, suffixes: tuple[str, ...],
                 parse: Callable[[str, bytes], Iterator[SourceItem]]) -> Iterator[SourceItem]:
    where = str(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below; a generator cannot hold a `with` across yields
    except OSError as exc:
        raise SourceError(f"cannot read file ({exc.strerror})", where=where) from exc
    try:
        head = fh.read(_LOCAL_HEADER.size)
        if len(head) < _LOCAL_HEADER.size or head[:4] != b"PK\x03\x04":
            raise SourceError(f"not a readable ZIP archive ({cause})", where=where)
        count, reason = 0, "the archive ends"
        while len(head) == _LOCAL_HEADER.size and head[:4] == b"PK\x03\x04":
            _sig, _ver, flags, method, _t, _d, crc, csize, _size, nlen, xlen = _LOCAL_HEADER.unpack(head)
            name = fh.read(nlen).decode("utf-8" if flags & 0x800 else "cp437", "replace")
            fh.seek(xlen, 1)
            if flags & 0x8:
                reason = f"member {name} has no sizes in its local header"
                break
            member = f"{path}!{name}"
            raw = fh.read(csize)
            if len(raw) < csize:
                reason = f"the archive ends inside member {name}"
                yield SourceItem(member, error=RecordError("member cut off (truncated ZIP)", where=member))
                break
            if name.lower().endswith(suffixes):
                count += 1
                yield from _salvaged_member(member, raw, method, crc, parse)
            head = fh.read(_LOCAL_HEADER.size)
    finally:
        fh.close()
    why = f"damaged ZIP archive ({cause}); read {count} members from local headers until {reason}"
    yield SourceItem(where, error=RecordError(why, where=where))


def _salvaged_member(where: str, raw: bytes, method: int, crc: int,
                     parse: Callable[[str, bytes], Iterator[SourceItem]]) -> Iterator[SourceItem]:
    try:
        data = zlib.decompressobj(-15).decompress(raw) if method == 8 else raw
    except zlib.error as exc:
        yield SourceItem(where, error=RecordError(f"damaged ZIP member ({exc})", where=where))
        return
    if method not in (0, 8) or zlib.crc32(data) != crc:
        yield SourceItem(where, error=RecordError("damaged ZIP member (bad CRC or method)", where=where))
        return
    yield from parse(where, data)


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read file ({exc.strerror})", where=str(path)) from exc


def peek(path: Path, n: int = 4096) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)
