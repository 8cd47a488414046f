"""JSON that cannot crash a bulk run: limits on nesting and number size, and a splitter that streams the records of a
page or array one at a time, so one bad record is reported and the ones after it still land.

Why not a streaming parser alone: ijson's C backend kills the process on an integer of 4,301 or more digits, stops
the whole stream at any integer beyond 64 bits (`use_float=True`), and takes quadratic time on deep nesting; its
pure-Python backend stops at the first bad record too. Here a regular expression finds each record's bytes (strings
and brackets only; commas, numbers and words are never looked at), and the standard library's `json` parses the
record, with a hook that refuses over-long numbers before Python converts them.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

MAX_DEPTH = 64
"""Deepest nesting a record may have (ClinicalTrials.gov v2 records with results reach about 10 levels)."""
MAX_NUMBER_DIGITS = sys.get_int_max_str_digits() or 4300
"""Longest integer a record may hold: Python's own conversion limit (4,300 digits), which guards against the
quadratic cost of converting longer ones. No registry field comes near."""
MAX_RECORD_BYTES = 64 << 20
"""Largest single record or document read into memory (the largest real v2 study with results is a few MB)."""

_CHUNK = 1 << 20
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
# A whole string (escapes included), or one bracket, or a lone quote (a string that runs past the buffer's end).
_STRING = rb'"[^"\\]*(?:\\.[^"\\]*)*"'
_TOKEN = re.compile(_STRING + rb'|[\[\]{}]|"')
# Everything up to the next bracket outside a string: runs of other bytes and whole strings.
_SKIP = re.compile(rb'[^"\[\]{}]*(?:' + _STRING + rb'[^"\[\]{}]*)*')
_SPACE = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*")  # a BOM is read as blank
_BARE = re.compile(rb'[^,\]\[{}"]*')
_OPEN = frozenset(b"[{")


class JsonLimitError(ValueError):
    """A record is well-formed JSON but beyond a limit (depth, number size, record size)."""


def loads(data: bytes | str, depth: int | None = None) -> Any:
    """Parse one JSON document with the limits; raises json.JSONDecodeError, JsonLimitError or UnicodeDecodeError,
    never anything else, for any bytes. `depth`: the nesting already measured (a Piece's), so it is not walked."""
    if depth is not None and depth > MAX_DEPTH:
        raise JsonLimitError(f"nested {depth} levels deep; the limit is {MAX_DEPTH}")
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    if len(data) > MAX_RECORD_BYTES:
        raise JsonLimitError(f"record of {len(data):,} bytes is larger than the limit of {MAX_RECORD_BYTES:,}")
    try:
        try:
            doc = json.loads(data, parse_constant=_refuse_constant)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer beyond Python's conversion limit: read again to say how long it is
            doc = _loads_counting_digits(data)
    except RecursionError:
        raise JsonLimitError(f"nested more deeply than Python can read (the limit is {MAX_DEPTH} levels)") from None
    if depth is None:
        check_depth(doc)
    if _SURROGATE.search(data):
        _check_surrogates(doc)
    return doc


def _refuse_constant(name: str) -> Any:
    raise JsonLimitError(f"holds {name}, which is not a JSON number")


def _check_surrogates(doc: Any) -> None:
    """Refuse a string holding half of a UTF-16 pair (`\\ud800` alone): it cannot be stored or shown as text."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise JsonLimitError("holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff), which is not "
                                     "text") from None


def _loads_counting_digits(data: bytes | str) -> Any:
    too_long: list[int] = []

    def integer(text: str) -> int:
        digits = len(text.lstrip("-"))
        if digits > MAX_NUMBER_DIGITS:
            too_long.append(digits)
            return 0
        return int(text)

    doc = json.loads(data, parse_int=integer, parse_constant=_refuse_constant)
    if too_long:
        raise JsonLimitError(f"holds an integer of {max(too_long):,} digits; the limit is {MAX_NUMBER_DIGITS:,}")
    return doc


def check_depth(doc: Any, limit: int = MAX_DEPTH) -> None:
    """Raise JsonLimitError naming the path where `doc` nests deeper than `limit` (iterative: no recursion)."""
    stack: list[tuple[Any, int, str]] = [(doc, 1, "")]
    while stack:
        node, depth, path = stack.pop()
        if depth > limit:
            where = path if len(path) <= 120 else path[:117] + "..."
            raise JsonLimitError(f"nested more than {limit} levels deep (at {where or 'the top'})")
        if isinstance(node, dict):
            stack.extend((v, depth + 1, f"{path}.{k}" if path else str(k))
                         for k, v in node.items() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, depth + 1, f"{path}[{i}]") for i, v in enumerate(node) if isinstance(v, dict | list))


@dataclass(frozen=True)
class Piece:
    """One element of the streamed array: its bytes, or why they could not be cut out (`error`)."""

    index: int
    data: bytes = b""
    error: str | None = None
    depth: int | None = None


def top_level_keys(head: bytes) -> Iterator[str]:
    """The keys of a top-level JSON object as they appear in `head` (a file's first bytes); stops at the end of
    `head`. Used to tell a single study from a page of studies without parsing either."""
    scan = _Scanner(head)
    for key, _pos in scan.object_keys():
        yield key


def iter_array(fh: IO[bytes], key: str | None) -> Iterator[Piece]:
    """The elements of a top-level array (`key` None) or of the array under top-level `key` of an object, as byte
    pieces. A piece that cannot be cut out cleanly (a truncated file, a record beyond the size limit) comes back
    with an error and the scan goes on where it can."""
    scan = _Scanner(b"", fh)
    if not scan.seek_array(key):
        where = f'no "{key}" array at the top level' if key else "the file does not start with an array"
        yield Piece(0, error=where)
        return
    yield from scan.elements()


class _Oversize(Exception):
    pass


class _Scanner:
    """Walks strings and brackets over a buffer read from `fh` in chunks. `mark` is the start of the element being
    cut: bytes before it (and before `pos`) are dropped as more is read, so memory stays at about one record."""

    def __init__(self, buf: bytes, fh: IO[bytes] | None = None) -> None:
        self.buf, self.fh, self.pos = buf, fh, 0
        self.mark: int | None = None

    def _more(self) -> bool:
        chunk = self.fh.read(_CHUNK) if self.fh is not None else b""
        if not chunk:
            return False
        keep = self.pos if self.mark is None else min(self.pos, self.mark)
        if self.mark is not None and len(self.buf) - self.mark > MAX_RECORD_BYTES:
            raise _Oversize
        self.buf = self.buf[keep:] + chunk
        self.pos -= keep
        if self.mark is not None:
            self.mark -= keep
        return True

    def _token(self) -> bytes | None:
        """The next bracket, or the whole string, at `pos` (one regular-expression step skips any run of other
        text and whole strings to the next bracket); reads more when a string runs past the buffer; None at the
        end."""
        while True:
            end = _SKIP.match(self.buf, self.pos).end()
            if end < len(self.buf) and self.buf[end] != 0x22:  # a bracket
                self.pos = end + 1
                return self.buf[end:end + 1]
            self.pos = end  # at a string cut by the buffer's end, or at the end: read on
            if not self._more():
                self.pos = len(self.buf)
                return None

    def _string_or_bracket(self) -> bytes | None:
        """The next whole string or bracket (keys are strings); reads more when a string is cut by the buffer."""
        while True:
            m = _TOKEN.search(self.buf, self.pos)
            if m is not None and m.group() != b'"':
                self.pos = m.end()
                return m.group()
            self.pos = m.start() if m is not None else len(self.buf)
            if not self._more():
                self.pos = len(self.buf)
                return None

    def _peek(self) -> int | None:
        """The next non-blank byte (not consumed), reading more as needed; None at the end."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return None

    def object_keys(self) -> Iterator[tuple[str, int]]:
        """Top-level keys of an object: (key, offset just after it)."""
        if self._peek() != ord("{"):
            return
        self.pos += 1
        depth = 1
        while (token := self._string_or_bracket()) is not None:
            if token[:1] == b'"':
                if depth == 1 and self._peek() == ord(":"):
                    try:
                        yield json.loads(token), self.pos
                    except ValueError:
                        return
            else:
                depth += 1 if token[0] in _OPEN else -1
                if depth == 0:
                    return

    def seek_array(self, key: str | None) -> bool:
        if key is not None and not any(found == key for found, _ in self.object_keys()):
            return False
        if key is not None:
            self.pos += 1  # the colon after the key
        if self._peek() != ord("["):
            return False
        self.pos += 1
        return True

    def elements(self) -> Iterator[Piece]:
        index = 0
        while True:
            nxt = self._peek()
            if nxt is None:
                yield Piece(index, error="the file ends inside the array (truncated)")
                return
            if nxt == ord("]"):
                return
            if nxt == ord(","):
                self.pos += 1
                continue
            try:
                piece = self._element(index)
            except _Oversize:
                yield Piece(index, error=f"record larger than the limit of {MAX_RECORD_BYTES:,} bytes; the rest of "
                                         "the file is not read")
                return
            yield piece
            index += 1
            if piece.error:
                return

    def _element(self, index: int) -> Piece:
        """Cut out one element starting at `pos`: a container up to its matching bracket, else one bare value."""
        if self.buf[self.pos] not in _OPEN:
            return self._scalar(index)
        self.mark, depth, deepest = self.pos, 0, 0
        try:
            while (token := self._token()) is not None:
                if token[0] in _OPEN:
                    depth += 1
                    deepest = max(deepest, depth)
                else:
                    depth -= 1
                    if depth == 0:
                        return Piece(index, self.buf[self.mark:self.pos], depth=deepest)
            return Piece(index, error="the file ends inside this record (truncated)")
        finally:
            self.mark = None

    def _scalar(self, index: int) -> Piece:
        if self.buf[self.pos] == ord('"'):
            token = self._string_or_bracket()
            return Piece(index, token) if token else Piece(index, error="the file ends inside a string (truncated)")
        self.mark = self.pos
        try:
            while (end := _BARE.match(self.buf, self.pos).end()) == len(self.buf) and self._more():
                pass
        finally:
            start, self.mark = self.mark, None
        self.pos = max(end, start + 1)  # a stray bracket alone is cut as a one-byte piece (and reported as bad)
        return Piece(index, self.buf[start:self.pos])
