"""ClinicalTrials.gov API v2 JSON in every form it ships: study, page, NDJSON, array, directory, ZIP."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from trialscout.errors import SourceError
from trialscout.sources import iter_items


def _records(v2_json_dir: Path) -> list[dict]:
    return [json.loads(f.read_text("utf-8")) for f in sorted(v2_json_dir.glob("*.json"))]


def _ok(items) -> list[str]:
    return [i.study.nct_id for i in items if i.ok]


def test_single_study_file(v2_json_dir: Path) -> None:
    items = list(iter_items([v2_json_dir / "NCT03418623.json"]))
    assert len(items) == 1 and items[0].ok
    assert items[0].study.to_v2() == json.loads((v2_json_dir / "NCT03418623.json").read_text("utf-8"))


def test_page_with_next_token_is_streamed(v2_json_dir: Path, tmp_path: Path) -> None:
    records = _records(v2_json_dir)
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"studies": records, "nextPageToken": "abc"}), "utf-8")
    items = list(iter_items([page]))
    assert [i.study.to_v2() for i in items] == records


def test_ndjson_array_directory_and_zip_give_the_same_studies(v2_json_dir: Path, tmp_path: Path) -> None:
    records = _records(v2_json_dir)
    ids = sorted(r["protocolSection"]["identificationModule"]["nctId"] for r in records)
    nd = tmp_path / "all.ndjson"
    nd.write_text("\n".join(json.dumps(r) for r in records) + "\n", "utf-8")
    arr = tmp_path / "all.json"
    arr.write_text(json.dumps(records), "utf-8")
    zpath = tmp_path / "bulk.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for r in records:
            zf.writestr(f"{r['protocolSection']['identificationModule']['nctId']}.json", json.dumps(r))
    for source in (nd, arr, zpath, v2_json_dir):
        assert sorted(_ok(iter_items([source]))) == ids, source.name


def test_bad_records_are_reported_and_good_ones_still_land(v2_json_dir: Path, tmp_path: Path) -> None:
    good = _records(v2_json_dir)[:3]
    no_id = {"protocolSection": {"identificationModule": {"briefTitle": "no id"}}}
    bad_enum = json.loads(json.dumps(good[0]))
    bad_enum["protocolSection"]["statusModule"]["overallStatus"] = "SORT_OF_RECRUITING"
    bad_enum["protocolSection"]["identificationModule"]["nctId"] = "NCT99999999"
    wrong_type = {"protocolSection": {"identificationModule": {"nctId": "NCT99999998"},
                                      "designModule": {"enrollmentInfo": {"count": "lots"}}}}
    lines = [json.dumps(good[0]), "{not json", json.dumps(no_id), json.dumps(bad_enum), json.dumps(wrong_type),
             json.dumps(good[1]), json.dumps(good[2])]
    nd = tmp_path / "mixed.ndjson"
    nd.write_text("\n".join(lines) + "\n", "utf-8")
    items = list(iter_items([nd]))
    assert len(items) == 7
    assert len(_ok(items)) == 3
    errors = {i.where: str(i.error) for i in items if not i.ok}
    assert any(":2" in w and "not valid JSON" in e for w, e in errors.items())
    assert any(":3" in w and "no NCT ID" in e for w, e in errors.items())
    assert any("NCT99999999" in w and "overallStatus" in e and "SORT_OF_RECRUITING" in e for w, e in errors.items())
    assert any("NCT99999998" in w and "enrollmentInfo.count" in e for w, e in errors.items())
    assert all(str(nd) in e for e in errors.values())


def test_truncated_page_keeps_what_came_before_the_damage(v2_json_dir: Path, tmp_path: Path) -> None:
    records = _records(v2_json_dir)
    text = json.dumps({"studies": records})
    cut = tmp_path / "cut.json"
    cut.write_text(text[: int(len(text) * 0.6)], "utf-8")
    items = list(iter_items([cut]))
    assert 1 <= len(_ok(items)) < len(records)
    assert not items[-1].ok and "truncated" in str(items[-1].error)


def test_truncated_zip_names_the_file(v2_json_dir: Path, tmp_path: Path) -> None:
    zpath = tmp_path / "bulk.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for r in _records(v2_json_dir):
            zf.writestr(f"{r['protocolSection']['identificationModule']['nctId']}.json", json.dumps(r))
    data = zpath.read_bytes()
    broken = tmp_path / "broken.zip"
    broken.write_bytes(data[: len(data) // 2])
    items = list(iter_items([broken]))
    assert 1 <= len(_ok(items)) < 11  # every complete member before the cut still comes through
    assert not items[-1].ok and "broken.zip" in str(items[-1].error) and "damaged ZIP" in str(items[-1].error)


def test_empty_file_unrelated_files_and_missing_paths(tmp_path: Path, v2_json_dir: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    (tmp_path / "notes.bin").write_bytes(bytes(range(256)))
    (tmp_path / "NCT03418623.json").write_bytes((v2_json_dir / "NCT03418623.json").read_bytes())
    items = list(iter_items([tmp_path]))
    assert _ok(items) == ["NCT03418623"]
    errors = [str(i.error) for i in items if not i.ok]
    assert any("empty.json" in e and "empty" in e for e in errors)
    assert any("notes.bin" in e for e in errors)
    with pytest.raises(SourceError, match="no such file"):
        list(iter_items([tmp_path / "missing.json"]))
    with pytest.raises(SourceError, match="unknown format"):
        list(iter_items([empty], fmt="csv"))


def test_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "latin1.json"
    f.write_bytes('{"protocolSection": {"identificationModule": {"nctId": "NCT00000001", "briefTitle": "caf\xe9"}}}'
                  .encode("latin-1"))
    items = list(iter_items([f], fmt="ctgov-json"))
    assert not items[0].ok and "UTF-8" in str(items[0].error)
