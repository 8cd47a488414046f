"""Ingest end to end on real records: every record accounted for, interruptions recoverable."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_SAMPLE, XML_SAMPLE_ZIP, require
from trialscout.ingest import ingest
from trialscout.store import SqliteStore


def test_whole_xml_sample_zip_is_accounted_for(tmp_path: Path) -> None:
    src = require(XML_SAMPLE_ZIP)
    with zipfile.ZipFile(src) as zf:
        members = sum(1 for i in zf.infolist() if i.filename.endswith(".xml"))
    rejects = io.StringIO()
    with SqliteStore(tmp_path / "all.db") as store:
        report = ingest(store, [src], rejects_out=rejects)
        assert report.read == members == 6786
        assert report.inserted + report.rejected == members
        assert store.count() == report.inserted
        listed = [json.loads(line) for line in rejects.getvalue().splitlines()]
        assert len(listed) == report.rejected
        assert report.rejected == 0, listed[:5]


def test_interrupted_ingest_is_consistent_and_a_rerun_completes_it(tmp_path: Path) -> None:
    db = tmp_path / "interrupted.db"
    seen = 0

    def interrupt_at_250(_item: object) -> None:
        nonlocal seen
        seen += 1
        if seen == 250:
            raise KeyboardInterrupt

    with SqliteStore(db) as store, pytest.raises(KeyboardInterrupt):
        ingest(store, [BUNDLED_SAMPLE], on_item=interrupt_at_250, batch_size=100)
    with SqliteStore(db) as store:
        # two batches of 100 were committed; the 50 records of the interrupted batch are not there at all
        n = store.count()
        assert n == 200
        orphans = store.conn.execute(
            "SELECT count(*) FROM studies_fts WHERE rowid NOT IN (SELECT id FROM studies)").fetchone()[0]
        assert orphans == 0
        report = ingest(store, [BUNDLED_SAMPLE])
        assert report.inserted == 300 - n and report.unchanged == n
        assert store.count() == 300


def test_newer_copy_from_another_source_wins(tmp_path: Path, v2_json_dir: Path) -> None:
    data = json.loads((v2_json_dir / "NCT03418623.json").read_text("utf-8"))
    older = json.loads(json.dumps(data))
    older["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2001-01-01"
    older["protocolSection"]["identificationModule"]["briefTitle"] = "Old"
    (tmp_path / "old.json").write_text(json.dumps(older), "utf-8")
    (tmp_path / "new.json").write_text(json.dumps(data), "utf-8")
    with SqliteStore(tmp_path / "x.db") as store:
        assert ingest(store, [tmp_path / "new.json"]).inserted == 1
        assert ingest(store, [tmp_path / "old.json"]).unchanged == 1
        assert store.get("NCT03418623").brief_title == data["protocolSection"]["identificationModule"]["briefTitle"]


def test_criteria_stored_by_another_engine_are_parsed_again_and_replaced_on_reingest(tmp_path: Path) -> None:
    from trialscout.app import CRITERIA, CRITERIA_ENGINE, Trialscout, derive_criteria, engine_version

    db = tmp_path / "engine.db"
    with SqliteStore(db) as store:
        ingest(store, [BUNDLED_SAMPLE], derive=derive_criteria)
        nct = store.nct_ids()[0]
        study_id = store.conn.execute("SELECT id FROM studies WHERE nct_id = ?", (nct,)).fetchone()[0]
        with store.transaction():  # as an older engine would have left it
            store.put_derived(study_id, CRITERIA, [])
            store.put_derived(study_id, CRITERIA_ENGINE, "older-engine")
    with Trialscout(db) as ts:
        fresh = ts.criteria(nct)
        assert fresh, "stale stored criteria were used instead of parsing the record again"
    with SqliteStore(db) as store:
        report = ingest(store, [BUNDLED_SAMPLE], derive=derive_criteria)
        assert report.unchanged == report.read and report.inserted == report.updated == 0
        assert store.get_derived(nct, CRITERIA_ENGINE) == engine_version()
        assert len(store.get_derived(nct, CRITERIA)["criteria"]) == len(fresh)


def test_an_updated_record_leaves_its_changes_in_the_change_log(tmp_path: Path) -> None:
    """What watches read to say what changed: an ingest writes it too, not only sync."""
    from trialscout.sync.state import changes

    source = Path(__file__).resolve().parent / "fixtures" / "xml" / "NCT00000188.xml"
    with SqliteStore(tmp_path / "log.db") as store:
        ingest(store, [source], workers=1)
        doc = store.get_json("NCT00000188")
    status = doc["protocolSection"]["statusModule"]
    was = status["overallStatus"]
    status["overallStatus"] = "WITHDRAWN"
    status["lastUpdatePostDateStruct"] = {"date": "2099-01-01"}
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(doc), "utf-8")
    with SqliteStore(tmp_path / "log.db") as store:
        assert ingest(store, [newer], workers=1).updated == 1
        logged = {c["field"]: c for c in changes(store.conn)}
        assert ingest(store, [newer], workers=1).unchanged == 1  # the same version again: nothing new
        assert len(changes(store.conn)) == len(logged)
    assert set(logged) == {"overallStatus", "lastUpdatePostDate"}
    assert (logged["overallStatus"]["old"], logged["overallStatus"]["new"]) == (was, "WITHDRAWN")
    assert logged["overallStatus"]["source"] == "ingest" and logged["overallStatus"]["run_id"] is None
