"""The XML reader's one-pass index of the tree finds what lxml's ElementPath finds: every record maps to the same
Study, byte for byte, whichever answers the reader's lookups."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from trialscout.sources import ctgov_xml

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "xml"
SAMPLE_ZIP = REPO.parent / "shared" / "data" / "ctgov-xml" / "AllPublicXML-sample.zip"
BUNDLED = REPO / "src" / "trialscout" / "data" / "sample-oncology.zip"


class _ElementPathNode:
    """The reader's lookups answered by lxml's own `find`/`findall` (the slow, obviously right way)."""

    def __init__(self, el: etree._Element) -> None:
        self._el = el

    text = ctgov_xml._Node.text
    get = ctgov_xml._Node.get

    def findall(self, path: str) -> list[_ElementPathNode]:
        return [_ElementPathNode(e) for e in self._el.findall(path)]

    def find(self, path: str) -> _ElementPathNode | None:
        found = self._el.find(path)
        return None if found is None else _ElementPathNode(found)


def _mapped(where: str, data: bytes) -> str:
    item = ctgov_xml.parse_record(where, data)
    return item.study.model_dump_json() if item.study is not None else f"error: {item.error}"


def _records() -> list[tuple[str, bytes]]:
    records = [(p.name, p.read_bytes()) for p in sorted(FIXTURES.glob("*.xml"))]
    for source, step in ((BUNDLED, 1), (SAMPLE_ZIP, 20)):  # the whole bundled sample, every 20th of the big one
        if source.exists():
            with zipfile.ZipFile(source) as zf:
                names = [n for n in zf.namelist() if n.endswith(".xml")][::step]
                records += [(n, zf.read(n)) for n in names]
    return records


def test_every_record_maps_the_same_through_the_index_and_through_elementpath(
        monkeypatch: pytest.MonkeyPatch) -> None:
    records = _records()
    indexed = [_mapped(where, data) for where, data in records]
    monkeypatch.setattr(ctgov_xml, "_index", _ElementPathNode)
    reference = [_mapped(where, data) for where, data in records]
    assert len(records) >= 47 and sum(not m.startswith("error") for m in indexed) >= 47
    for (where, _), mine, theirs in zip(records, indexed, reference, strict=True):
        assert mine == theirs, where


def test_lookups_follow_elementpath_order_across_repeated_elements() -> None:
    xml = (b"<clinical_study><a><c>0</c></a><a><b><c>1</c></b><b><c>2</c><c>3</c></b></a><a><b><c>4</c></b></a>"
           b"<d>x<e/>y</d></clinical_study>")
    root = etree.fromstring(xml)
    node = ctgov_xml._index(root)
    for path in ("a", "a/b", "a/b/c", "a/c", "b", "a/x", "d/e", "x/y/z"):
        assert [n._el for n in node.findall(path)] == root.findall(path), path
        found = node.find(path)
        assert (found._el if found is not None else None) is root.find(path), path
    assert node.find("a/b/c").text == "1"


def test_text_after_an_unresolved_entity_is_kept_by_the_index() -> None:
    xml = (b'<!DOCTYPE clinical_study SYSTEM "x.dtd"><clinical_study><brief_title>T &x; end</brief_title>'
           b"</clinical_study>")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    node = ctgov_xml._index(etree.fromstring(xml, parser))
    assert node.find("brief_title").text == "T &x; end"
