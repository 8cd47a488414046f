"""Untrusted JSON with limits: nesting depth, number size, finite numbers only; a clean error saying where.

`loads` parses text; `check` walks a value parsed elsewhere (an API body, a dict given to `from_json`). Both raise
the error class they are given (PatientError by default) naming the field path, never quoting the value."""

from __future__ import annotations

import json
import math
from typing import Any

from trialscout.errors import TrialscoutError
from trialscout.patient.errors import PatientError

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted; real patient documents and FHIR Bundles stay under 20."""
MAX_NUMBER_DIGITS = 100
"""Longest number (in digits) accepted; no clinical value needs more, and Python refuses ints over 4300 digits."""


class _Unreadable:
    """A number the parser kept as a placeholder, so that `check` can name its field path."""

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
    return float(text)


def _constant(name: str) -> _Unreadable:
    return _Unreadable(f"{name} is not a JSON number")


def loads(text: str | bytes, where: str, error: type[TrialscoutError] = PatientError) -> Any:
    """The parsed JSON text (UTF-8 if bytes; a leading BOM is ignored), or `error` naming the line and column of a
    syntax error, or the field path of a value beyond the limits."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise error("not UTF-8 text", where=where) from None
    try:
        value = json.loads(text.removeprefix("\ufeff"), parse_int=_int, parse_float=_float,
                           parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise error(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", where=where) from None
    except RecursionError:
        raise error(f"nested deeper than {MAX_DEPTH} levels", where=where) from None
    check(value, where, error)
    return value


def check(value: Any, where: str, error: type[TrialscoutError] = PatientError) -> None:
    """Raise `error` at the first place (depth first) where `value` nests too deeply or holds an unreadable number."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        why = _problem(item, len(path))
        if why:
            raise error(f"{_path(path)}: {why}" if path else why, where=where)
        if isinstance(item, dict):
            stack.extend((v, (*path, str(k))) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(item))))


def _problem(item: Any, depth: int) -> str | None:
    if isinstance(item, _Unreadable):
        return item.why
    if isinstance(item, (dict, list)) and depth >= MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    if isinstance(item, bool):
        return None
    if isinstance(item, int) and item.bit_length() > MAX_NUMBER_DIGITS * 10 // 3 + 1:
        return f"a number of more than {MAX_NUMBER_DIGITS} digits"
    if isinstance(item, float) and not math.isfinite(item):
        return "a number too large to represent" if not math.isnan(item) else "NaN is not a JSON number"
    return None


def _path(path: tuple[str | int, ...]) -> str:
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return text if len(text) <= 200 else text[:100] + "…" + text[-99:]
