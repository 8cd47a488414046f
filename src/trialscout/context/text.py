"""Sentences and tokens of clinical text: the units ConText scopes are bounded and counted in."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\[(\"'])|\n\s*|(?<=\S)\s{3,}")
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’/-][A-Za-z0-9]+)*|[^\sA-Za-z0-9]")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line of a note."""
    out, start = [], 0
    for m in _SENTENCE.finditer(text):
        if text[start:m.start()].strip():
            out.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return out


def tokens(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each token of text[start:end]: a word (with inner ' / -) or one punctuation mark."""
    return [m.span() for m in _TOKEN.finditer(text, start, len(text) if end is None else end)]


def token_end(toks: list[tuple[int, int]], pos: int, limit: int) -> int:
    """The end of the `limit`-th token from `pos` on (the last token's end when there are fewer). `toks` are in
    text order and do not overlap, as `tokens` gives them: the ones from `pos` on are a tail of the list."""
    after = toks[bisect_left(toks, pos, key=_start):]
    return after[limit - 1][1] if len(after) >= limit else (after[-1][1] if after else pos)


def token_start(toks: list[tuple[int, int]], pos: int, limit: int) -> int:
    """The start of the `limit`-th token back from `pos` (the first token's start when there are fewer); the tokens
    ending by `pos` are a head of the list."""
    before = toks[:bisect_right(toks, pos, key=_end)]
    return before[-limit][0] if len(before) >= limit else (before[0][0] if before else pos)


def _start(t: tuple[int, int]) -> int:
    return t[0]


def _end(t: tuple[int, int]) -> int:
    return t[1]
