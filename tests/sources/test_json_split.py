"""The record splitter for JSON pages and arrays: pieces are exactly the elements, whatever the chunk boundaries,
and damage in one element costs only that element."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialscout.sources import json_split

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
    | st.sampled_from(['"', "\\", "[", "]", "{", "}", ",", "\\\""]),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4), max_leaves=25)


def pieces(data: bytes, key: str | None) -> list[json_split.Piece]:
    return list(json_split.iter_array(io.BytesIO(data), key))


@pytest.fixture(params=[1, 3, 7, 64, 1 << 20], ids=lambda n: f"chunk{n}")
def chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(json_split, "_CHUNK", request.param)
    return request.param


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(elements=st.lists(JSON_VALUES, max_size=6), as_page=st.booleans(), ascii_only=st.booleans())
def test_pieces_are_the_elements(elements: list[Any], as_page: bool, ascii_only: bool) -> None:
    for size in (1, 5, 1 << 20):
        json_split._CHUNK = size
        try:
            doc = {"before": [1, {"studies": "no"}], "studies": elements, "after": "]"} if as_page else elements
            data = json.dumps(doc, ensure_ascii=ascii_only).encode()
            got = pieces(data, "studies" if as_page else None)
            assert [json.loads(p.data) for p in got] == elements
            assert all(p.error is None for p in got)
        finally:
            json_split._CHUNK = 1 << 20


def test_depth_is_measured(chunk: int) -> None:
    got = pieces(b'[{"a": [[1]]}, [], 3, "s"]', None)
    assert [p.depth for p in got] == [3, 1, None, None]


def test_damage_costs_one_element(chunk: int) -> None:
    got = pieces(b'[{"a": 1}, {"b": 2 "c"}, [1, 2,], {"d": "}]"}]', None)
    assert [p.data for p in got] == [b'{"a": 1}', b'{"b": 2 "c"}', b"[1, 2,]", b'{"d": "}]"}']
    got = pieces(b'{"studies": [{"a": 1}, {"b": [1, {"c": ', "studies")
    assert got[0].data == b'{"a": 1}' and "truncated" in (got[1].error or "")
    assert got[-1].error and len(got) == 2


def test_deep_nesting_is_cut_without_recursion() -> None:
    got = pieces(b"[" + b"[" * 100_000 + b"]" * 100_000 + b', {"ok": 1}]', None)
    assert got[0].depth == 100_000 and json.loads(got[1].data) == {"ok": 1}


def test_a_page_without_its_array_says_so() -> None:
    assert "no \"studies\" array" in (pieces(b'{"studies": 3}', "studies")[0].error or "")
    assert "does not start with an array" in (pieces(b'{"a": 1}', None)[0].error or "")
    assert pieces(b"\xef\xbb\xbf [ 1 ]", None)[0].data == b"1"


def test_top_level_keys_skip_nested_ones() -> None:
    head = b'{"meta": {"studies": [1]}, "nextPageToken": "x\\"y", "studies": [{"protocolSection": {}}'
    assert list(json_split.top_level_keys(head)) == ["meta", "nextPageToken", "studies"]
