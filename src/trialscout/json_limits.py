"""Untrusted JSON with limits, for trial records and patient documents alike: nesting depth, number size, finite
numbers only, text that is text; every refusal a clean error naming the field path (never quoting the value).

`loads` parses text; `check` walks a value parsed elsewhere (an API body, a dict given to a reader). Both raise the
error class they are given (a TrialscoutError subclass: RecordError for records, PatientError for patients,
BadRequestError for request bodies). Python's own `json` does the parsing; the hooks keep over-long numbers from
being converted (Python refuses integers over 4,300 digits, and converting long ones costs quadratic time)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from trialscout.errors import TrialscoutError

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted; real records (v2 studies with results) and FHIR Bundles stay
under 20."""
MAX_NUMBER_DIGITS = 100
"""Longest number (in digits) accepted; no registry or clinical value needs more."""
MAX_DOCUMENT_CHARS = 64 << 20
"""Largest single document parsed (the largest real v2 study with results is a few MB)."""

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _Unreadable:
    """A value the parser kept as a placeholder, so that `check` can name its field path."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


def _int(text: str) -> int | _Unreadable:
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        return _Unreadable(f"a number of {digits} digits (at most {MAX_NUMBER_DIGITS} are read)")
    return int(text)


def _float(text: str) -> float | _Unreadable:
    digits = sum(ch.isdigit() for ch in text)
    if digits > MAX_NUMBER_DIGITS:
        return _Unreadable(f"a number of {digits} digits (at most {MAX_NUMBER_DIGITS} are read)")
    value = float(text)
    return value if math.isfinite(value) else _Unreadable("a number too large to represent")


def _constant(name: str) -> _Unreadable:
    return _Unreadable(f"{name} is not a JSON number")


def loads(text: str | bytes, where: str, error: type[TrialscoutError] = TrialscoutError, *,
          depth: int | None = None) -> Any:
    """The parsed JSON text (UTF-8 if bytes; a leading BOM is ignored), or `error` naming the line and column of a
    syntax error, or the field path of a value beyond the limits. `depth`: the nesting, when the caller has already
    measured it (json_split does), so that the value need not be walked for it."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"not UTF-8 text (byte {exc.start})", where=where) from None
    if len(text) > MAX_DOCUMENT_CHARS:
        raise error(f"a document of {len(text):,} characters (at most {MAX_DOCUMENT_CHARS:,} are read)", where=where)
    if depth is not None and depth > MAX_DEPTH:
        raise error(f"nested deeper than {MAX_DEPTH} levels", where=where)
    odd: list[bool] = []

    def flagged(hook: Any) -> Any:
        def parse(token: str) -> Any:
            value = hook(token)
            if isinstance(value, _Unreadable):
                odd.append(True)
            return value
        return parse

    try:
        value = json.loads(text.removeprefix("\ufeff"), parse_int=flagged(_int), parse_float=flagged(_float),
                           parse_constant=flagged(_constant))
    except json.JSONDecodeError as exc:
        raise error(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", where=where) from None
    except RecursionError:
        raise error(f"nested deeper than {MAX_DEPTH} levels", where=where) from None
    strings = _SURROGATE_ESCAPE.search(text) is not None
    if depth is None or odd or strings:
        check(value, where, error, strings=strings)
    return value


def check(value: Any, where: str, error: type[TrialscoutError] = TrialscoutError, *, strings: bool = False) -> None:
    """Raise `error` at the first place (depth first) where `value` nests too deeply or holds an unreadable number
    (or, with `strings`, text holding half of a UTF-16 surrogate pair, which cannot be stored or shown)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        why = _problem(item, len(path), strings)
        if why:
            raise error(f"{_path(path)}: {why}" if path else why, where=where)
        if isinstance(item, dict):
            if strings:
                stack.extend((k, (*path, "(a key)")) for k in item)
            stack.extend((v, (*path, str(k))) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(item))))


def _problem(item: Any, depth: int, strings: bool) -> str | None:
    if isinstance(item, _Unreadable):
        return item.why
    if isinstance(item, dict | list) and depth >= MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    if isinstance(item, bool):
        return None
    if isinstance(item, int) and item.bit_length() > MAX_NUMBER_DIGITS * 10 // 3 + 1:
        return f"a number of more than {MAX_NUMBER_DIGITS} digits"
    if isinstance(item, float) and not math.isfinite(item):
        return "a number too large to represent" if not math.isnan(item) else "NaN is not a JSON number"
    if strings and isinstance(item, str):
        try:
            item.encode("utf-8")
        except UnicodeEncodeError:
            return "text holding an unpaired UTF-16 surrogate (\\ud800-\\udfff)"
    return None


def _path(path: tuple[str | int, ...]) -> str:
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return text if len(text) <= 200 else text[:100] + "…" + text[-99:]
