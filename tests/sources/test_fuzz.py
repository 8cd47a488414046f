"""Property-based: whatever a reader is given (real records mutated at random, in structure and in bytes), the
ingest reports and skips what it cannot read, stores the rest, and never raises. Bounded for `make test`; the
long run is `make fuzz` (bench/fuzz.py)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES, REPO, V2_JSON_DIR
from trialscout.app import derive_criteria
from trialscout.ingest import ingest
from trialscout.sources import iter_items
from trialscout.store import SqliteStore

# TRIALSCOUT_FUZZ_EXAMPLES=2000 for a longer look; `make fuzz` is the long run with crash isolation
BOUNDED = settings(max_examples=int(os.environ.get("TRIALSCOUT_FUZZ_EXAMPLES", "40")), deadline=None,
                   derandomize=True, database=None, suppress_health_check=list(HealthCheck))

NASTY = (b"1" + b"0" * 5000, b"1" + b"0" * 30, b"1e999", b"NaN", b"-Infinity", b"[" * 1200, b'{"a":' * 300,
         b'"\\ud800"', b"\x00", b"\xff\xfe", b"&x;", b"]]>", b"<![CDATA[", b"</", "😀".encode(), b'"', b",", b"}",
         b"]", b"\\", b"\r\n", b"NCT00000000", b"2024-02-30")
ODD = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(),
                st.sampled_from([10**30, "", "A" * 5000, [], {}, "NCT1", "2024-13-45", "RECRUITING "]),
                st.recursive(st.integers() | st.text(max_size=5), lambda c: st.lists(c, max_size=3)
                             | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=8))


EXTREMES: dict[type, tuple[Any, ...]] = {
    int: (0, -1, 2**31, 2**63, -(2**63) - 1, 10**30), float: (0.0, -0.0, 1e308, 5e-324),
    str: ("", " ", "A" * 5000, "\u0000", "<script>", "0", "-1", "NCT", "2024-02-30", "9999-12-31", "0001-01-01"),
    bool: (True, False), list: ([], [None], [{}] * 20), dict: ({}, {"": ""}),
}


def _seed_files(pattern_dir: Path, pattern: str, limit: int = 6) -> list[bytes]:
    return [p.read_bytes() for p in sorted(pattern_dir.glob(pattern))[:limit]] if pattern_dir.exists() else []


V2_SEEDS = _seed_files(V2_JSON_DIR, "*.json")
XML_SEEDS = _seed_files(FIXTURES / "xml", "*.xml")
PAGE_SEEDS = _seed_files(REPO.parent / "shared" / "seeds", "*.txt") + _seed_files(FIXTURES / "pages", "**/*.txt", 4)


@st.composite
def mutated_json(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A real record with a few values replaced, removed or nested deeply, as a study, a page or NDJSON, then
    perhaps damaged byte-wise."""
    docs = [json.loads(s) for s in draw(st.lists(st.sampled_from(seeds), min_size=1, max_size=3))]
    for doc in docs:
        spots = list(_spots(doc))
        for _ in range(draw(st.integers(0, 3))):
            parent, key = draw(st.sampled_from(spots))
            if key not in parent if isinstance(parent, dict) else key >= len(parent):
                continue
            action = draw(st.sampled_from(["replace", "extreme", "delete", "nest"]))
            if action == "replace":
                parent[key] = draw(ODD)
            elif action == "extreme":  # same JSON kind, at the edge: passes type checks, reaches what is behind
                parent[key] = draw(st.sampled_from(EXTREMES.get(type(parent[key]), (None,))))
            elif action == "delete":
                del parent[key]
                spots = list(_spots(doc))
            else:
                parent[key] = _nest(parent[key], draw(st.sampled_from([70, 300, 1100])))
    layout = draw(st.sampled_from(["study", "page", "ndjson", "array"]))
    try:
        if layout == "study":
            data = json.dumps(docs[0]).encode()
        elif layout == "page":
            data = json.dumps({"studies": docs, "nextPageToken": "t"}).encode()
        elif layout == "array":
            data = json.dumps(docs).encode()
        else:
            data = b"\n".join(json.dumps(d).encode() for d in docs)
    except (RecursionError, ValueError):
        data = json.dumps({"studies": []}).encode()
    return draw(damaged(data))


def _spots(doc: Any) -> Iterator[tuple[Any, Any]]:
    stack = [doc]
    while stack:
        node = stack.pop()
        pairs = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        for k, v in pairs:
            yield node, k
            if isinstance(v, dict | list):
                stack.append(v)


def _nest(value: Any, depth: int) -> Any:
    for i in range(depth):
        value = [value] if i % 2 else {"x": value}
    return value


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """Zero to two byte-level edits: a nasty token inserted, a slice cut or repeated, the end cut off."""
    for _ in range(draw(st.integers(0, 2))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        j = min(len(data), i + draw(st.integers(1, 40)))
        edit = draw(st.sampled_from(["insert", "cut", "repeat", "truncate", "replace"]))
        if edit == "insert":
            data = data[:i] + draw(st.sampled_from(NASTY)) + data[i:]
        elif edit == "cut":
            data = data[:i] + data[j:]
        elif edit == "repeat":
            data = data[:j] + data[i:j] * draw(st.integers(2, 20)) + data[j:]
        elif edit == "truncate":
            data = data[:i]
        else:
            data = data[:i] + draw(st.binary(min_size=1, max_size=8)) + data[j:]
    return data


@st.composite
def mutated_text(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A real XML record or registry page with an element's or a line's text replaced, then damaged."""
    data = draw(st.sampled_from(seeds))
    lines = data.split(b"\n")
    for _ in range(draw(st.integers(0, 3))):
        k = draw(st.integers(0, len(lines) - 1))
        choice = draw(st.sampled_from(["text", "drop", "nasty", "double"]))
        if choice == "text":
            lines[k] = draw(st.text(max_size=60)).encode("utf-8", "surrogatepass")
        elif choice == "drop":
            lines[k] = b""
        elif choice == "nasty":
            lines[k] = lines[k] + draw(st.sampled_from(NASTY))
        else:
            lines[k] = lines[k] * 2
    return draw(damaged(b"\n".join(lines)))


class Run:
    """One real store for the whole module; each case is written to a file and ingested as the CLI does."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="fuzz-"))
        self.store = SqliteStore(self.dir / "fuzz.db")

    def ingest(self, name: str, data: bytes) -> None:
        path = self.dir / name
        path.write_bytes(data)
        before = self.store.count()
        report = ingest(self.store, [path], derive=derive_criteria)
        assert report.read == report.inserted + report.updated + report.unchanged + report.rejected
        assert self.store.count() == before + report.inserted
        assert all(why for _, why in report.rejects)
        for item in iter_items([path]):  # what `convert` prints
            if item.study is not None:
                json.dumps(item.study.to_v2(), ensure_ascii=False)


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    r = Run()
    yield r
    r.store.close()


@pytest.mark.skipif(not V2_SEEDS, reason="shared v2 JSON records not present")
@BOUNDED
@given(data=mutated_json(V2_SEEDS))
@example(data=b'{"protocolSection": 8}')
@example(data=b"[" * 1000 + b"]" * 1000)
@example(data=b'{"studies": [{"x": 1' + b"0" * 5000 + b'}, {"protocolSection": {}}]}')
@example(data=b'{"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}, "designModule": '
         b'{"enrollmentInfo": {"count": 1' + b"0" * 30 + b'}}}}')
@example(data=b'[{"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}, "x": ' + b"[" * 255
         + b"]" * 255 + b"}]")
def test_v2_json_never_stops_an_ingest(run: Run, data: bytes) -> None:
    run.ingest("case.json", data)


@pytest.mark.skipif(not XML_SEEDS, reason="no XML fixtures")
@BOUNDED
@given(data=mutated_text(XML_SEEDS))
@example(data=XML_SEEDS[0].replace(b"<clinical_study>", b'<!DOCTYPE clinical_study SYSTEM "x.dtd"><clinical_study>',
                                   1).replace(b"<brief_title>", b"<brief_title>&x; ", 1) if XML_SEEDS else b"")
def test_xml_never_stops_an_ingest(run: Run, data: bytes) -> None:
    run.ingest("case.xml", data)


@pytest.mark.skipif(not PAGE_SEEDS, reason="no registry pages")
@BOUNDED
@given(data=mutated_text(PAGE_SEEDS))
@example(data=b"\xff\xfe\t")  # a UTF-16 byte-order mark, then an odd number of bytes (found by make fuzz)
def test_registry_pages_never_stop_an_ingest(run: Run, data: bytes) -> None:
    run.ingest("case.txt", data)
