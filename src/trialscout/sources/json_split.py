"""The records of a JSON page or array, cut out one at a time from a stream, so that one bad record is reported and
the ones after it still land (each piece is then parsed on its own by `trialscout.json_limits`).

Why not a streaming parser: ijson's C backend kills the process on an integer of 4,301 or more digits, stops the
whole stream at any integer beyond 64 bits (`use_float=True`), and takes quadratic time on deep nesting; its
pure-Python backend stops at the first bad record too, and is 4× slower than this. Here one regular-expression step
skips to the next bracket outside a string (strings, commas, numbers and words are never looked at one by one), and
the bracket depth tells where each record ends and how deeply it nests. bench/bench_json_split.py measures it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from trialscout.json_limits import MAX_DOCUMENT_CHARS

MAX_RECORD_BYTES = MAX_DOCUMENT_CHARS
"""Largest record cut out of a stream (beyond it the rest of the file is not read: the record's end is unknown)."""

_CHUNK = 1 << 20
_STRING = rb'"[^"\\]*(?:\\.[^"\\]*)*"'
_TOKEN = re.compile(_STRING + rb'|[\[\]{}]|"')
# Everything up to the next bracket outside a string: runs of other bytes and whole strings.
_SKIP = re.compile(rb'[^"\[\]{}]*(?:' + _STRING + rb'[^"\[\]{}]*)*')
_SPACE = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*")  # a BOM is read as blank
_BARE = re.compile(rb'[^,\]\[{}"]*')
_OPEN = frozenset(b"[{")


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
    yield from _Scanner(head).object_keys()


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
    """A record grew past MAX_RECORD_BYTES before its end was found."""


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

    def object_keys(self) -> Iterator[str]:
        """The top-level keys of an object, in order; `pos` is just after each when it is yielded."""
        if self._peek() != ord("{"):
            return
        self.pos += 1
        depth = 1
        while (token := self._string_or_bracket()) is not None:
            if token[:1] == b'"':
                if depth == 1 and self._peek() == ord(":"):
                    try:
                        yield json.loads(token)
                    except ValueError:
                        return
            else:
                depth += 1 if token[0] in _OPEN else -1
                if depth == 0:
                    return

    def seek_array(self, key: str | None) -> bool:
        if key is not None and key not in self.object_keys():  # stops just after the key
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
        return Piece(index, self.buf[start:self.pos].rstrip())
