"""Ingest under the worst input and the worst timing: every bad record reported, every good one stored, two
writers at once, and `kill -9` at random points (issue 12's regressions, on real records and real SQLite files)."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_SAMPLE, FIXTURES, V2_JSON_DIR, require
from trialscout.ingest import ingest
from trialscout.store import SqliteStore

TRIALSCOUT = [sys.executable, "-m", "trialscout.cli"]


def _v2_records(n: int) -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(require(V2_JSON_DIR).glob("*.json"))[:n]]


def _renamed(record: dict, nct_id: str, **extra: object) -> dict:
    copy = json.loads(json.dumps(record))
    copy["protocolSection"]["identificationModule"]["nctId"] = nct_id
    copy.update(extra)
    return copy


def _nest(depth: int) -> object:
    value: object = []
    for _ in range(depth - 1):
        value = [value]
    return value


def _with_enrollment(record: dict, count: int) -> dict:
    copy = _renamed(record, "NCT09999003")
    copy["protocolSection"].setdefault("designModule", {}).setdefault("enrollmentInfo", {})["count"] = count
    return copy


def _bad_members(good: dict) -> dict[str, tuple[bytes, str]]:
    """Every bad case issue 12 found in the readers, as (bytes, words the report must give)."""
    head = json.dumps(_renamed(good, "NCT09999001"))[:-1].encode()
    xml = sorted((FIXTURES / "xml").glob("*.xml"))[0].read_bytes()
    return {
        "huge_integer.json": (head + b', "x": 1' + b"0" * 5000 + b"}", "5001 digits"),
        "protocol_not_object.json": (b'{"protocolSection": 8}', "protocolSection must be an object"),
        "deep_brackets.json": (b"[" * 1000 + b"]" * 1000, "nested"),
        "deep_unknown_field.json": (json.dumps(_renamed(good, "NCT09999002", unknown=_nest(255))).encode(),
                                    "nested deeper than 64 levels"),
        "not_a_number.json": (head + b', "x": NaN}', "NaN"),
        "lone_surrogate.json": (head + b', "x": "\\ud800"}', "surrogate"),
        "truncated.json": (head[: len(head) // 2], "not valid JSON"),
        "undefined_entity.xml": (xml.replace(b"<brief_title>", b"<brief_title>&nope; ", 1), "Entity 'nope'"),
        "not_utf8.json": (b'{"protocolSection": "\xff"}', "not UTF-8"),
        "huge_enrollment.json": (json.dumps(_with_enrollment(good, 10**30)).encode(), "less than or equal"),
    }


def test_a_zip_mixing_good_records_with_every_bad_case_stores_every_good_one(tmp_path: Path) -> None:
    good = _v2_records(6)
    bad = _bad_members(good[0])
    page_members = [good[3], {"x": int("1" + "0" * 30)}, "not a study", good[4], {"protocolSection": []}, good[5]]
    zpath = tmp_path / "mixed.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("good0.json", json.dumps(good[0]))
        for name, (data, _) in bad.items():
            zf.writestr(name, data)
            zf.writestr(f"between-{name}.json", json.dumps(good[1]))  # the same good record again: unchanged
        zf.writestr("good2.json", json.dumps(good[2]))
        zf.writestr("page.json", json.dumps({"studies": page_members}))
    rejects: list[tuple[str, str]] = []
    with SqliteStore(tmp_path / "mixed.db") as store:
        report = ingest(store, [zpath])
        rejects = report.rejects
        stored = set(store.nct_ids())
    wanted = {r["protocolSection"]["identificationModule"]["nctId"] for r in good}
    assert stored == wanted
    assert report.rejected == len(bad) + 3
    for name, (_, words) in bad.items():
        why = [w for where, w in rejects if where.split("!")[-1].startswith(name)]
        assert why and words in why[0], (name, why)
    page_rejects = sorted(where.rsplit("#", 1)[-1].split()[0] for where, _ in rejects if "page.json#" in where)
    assert page_rejects == ["1", "2", "4"]


def test_a_page_file_with_a_bad_record_in_the_middle_keeps_the_ones_after_it(tmp_path: Path) -> None:
    good = _v2_records(3)
    page = tmp_path / "page.json"
    page.write_bytes(b'{"studies": [' + json.dumps(good[0]).encode() + b', {"x": 1' + b"0" * 5000 + b"}, "
                     + b"[" * 5000 + b"]" * 5000 + b", " + json.dumps(good[1]).encode() + b", {broken}, "
                     + json.dumps(good[2]).encode() + b'], "nextPageToken": "x"}')
    with SqliteStore(tmp_path / "page.db") as store:
        report = ingest(store, [page])
        assert store.count() == 3
    assert report.read == 6 and report.rejected == 3


def test_text_after_an_unresolved_entity_is_kept(tmp_path: Path) -> None:
    from trialscout.sources.ctgov_xml import parse_record

    xml = sorted((FIXTURES / "xml").glob("*.xml"))[0].read_bytes()
    with_dtd = xml.replace(b"<clinical_study>", b'<!DOCTYPE clinical_study SYSTEM "public.dtd"><clinical_study>', 1)
    item = parse_record("entity.xml", with_dtd.replace(b"<brief_title>", b"<brief_title>T &x; end ", 1))
    assert item.study is not None and item.study.brief_title.startswith("T &x; end ")


def _split_sample(tmp_path: Path, parts: int) -> list[Path]:
    with zipfile.ZipFile(BUNDLED_SAMPLE) as src:
        names = [n for n in src.namelist() if not n.endswith("/")]
        out = []
        for i in range(parts):
            path = tmp_path / f"part{i}.zip"
            with zipfile.ZipFile(path, "w") as dst:
                for name in names[i::parts]:
                    dst.writestr(name, src.read(name))
            out.append(path)
    return out


def _cli(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([*TRIALSCOUT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_ingests_at_once_into_one_store_store_everything(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    first, second = (_cli("ingest", str(p), "--db", str(db), "--batch-size", "10") for p in _split_sample(tmp_path, 2))
    for proc in (first, second):
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert "rejected=0" in out
    with SqliteStore(db) as store:
        assert store.count() == 300


def test_searches_keep_answering_during_an_ingest(tmp_path: Path) -> None:
    from trialscout.store import StudyFilters

    db = tmp_path / "busy.db"
    first, second = _split_sample(tmp_path, 2)
    assert _cli("ingest", str(first), "--db", str(db)).wait(timeout=600) == 0
    writer = _cli("ingest", str(second), "--db", str(db), "--batch-size", "5")
    seen, searches = [], 0
    with SqliteStore(db, readonly=True) as reader:
        while writer.poll() is None:
            page = reader.search('"cancer"', StudyFilters(), limit=5)
            seen.append(page.total)
            searches += 1
            time.sleep(0.05)
    assert writer.returncode == 0
    assert searches >= 5 and seen == sorted(seen) and 0 < seen[0] < seen[-1]  # answers while it grows, never less


def _content(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        studies = conn.execute("SELECT nct_id, content_hash FROM studies ORDER BY nct_id").fetchall()
        derived = conn.execute("SELECT s.nct_id, d.kind, d.json FROM derived d JOIN studies s ON s.id = d.study_id "
                               "ORDER BY 1, 2").fetchall()
        return studies + derived
    finally:
        conn.close()


def _check_integrity(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        n = conn.execute("SELECT count(*) FROM studies").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM studies_fts").fetchone()[0] == n
        for table in ("conditions", "sites", "derived", "interventions"):
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE study_id NOT IN (SELECT id FROM studies)"
                                ).fetchone()[0] == 0
        # a study is stored with its criteria, or not at all
        assert conn.execute("SELECT count(*) FROM studies s WHERE NOT EXISTS (SELECT 1 FROM derived d "
                            "WHERE d.study_id = s.id)").fetchone()[0] == 0
        return n
    finally:
        conn.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def _committed(db: Path) -> int:
    """How many studies a running ingest has committed so far (0 before the store exists)."""
    try:
        with SqliteStore(db, readonly=True) as store:
            return store.count()
    except Exception:  # noqa: BLE001 - the store is being created: nothing committed yet
        return 0


def test_kill_9_at_random_points_leaves_a_consistent_store_and_a_rerun_completes_it(tmp_path: Path) -> None:
    reference = tmp_path / "reference.db"
    done = _cli("ingest", str(BUNDLED_SAMPLE), "--db", str(reference))
    assert done.wait(timeout=600) == 0
    db = tmp_path / "killed.db"
    rng = random.Random(12)
    counts = []
    for _ in range(4):
        # killed once a random number of further records is committed (a fixed delay raced faster ingests), or at
        # a random moment when all are stored already
        stored = counts[-1] if counts else 0
        target = stored + rng.randint(1, max(1, 299 - stored))
        proc = _cli("ingest", str(BUNDLED_SAMPLE), "--db", str(db), "--batch-size", "15")
        deadline = time.monotonic() + (rng.uniform(0.5, 3.0) if stored >= 299 else 120)
        while _committed(db) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        counts.append(_check_integrity(db) if db.exists() else 0)
    assert any(0 < n < 300 for n in counts), counts  # at least one kill landed between commits, mid-ingest
    rerun = _cli("ingest", str(BUNDLED_SAMPLE), "--db", str(db))
    assert rerun.wait(timeout=600) == 0
    assert _check_integrity(db) == 300
    assert _content(db) == _content(reference)
