"""Ingest on several processes gives the store, the report and the rejects of ingest in one process, row for row,
on real records mixed with every bad case; it stops its workers on Ctrl-C and when it is killed."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_SAMPLE, FIXTURES, XML_SAMPLE_ZIP
from tests.test_ingest_robust import _bad_members, _v2_records
from trialscout import ingest_pool
from trialscout.app import derive_criteria
from trialscout.errors import SourceError, TrialscoutError
from trialscout.ingest import IngestReport, ingest
from trialscout.store import SqliteStore

TRIALSCOUT = [sys.executable, "-m", "trialscout.cli"]


def _mixed_input(tmp: Path) -> list[Path]:
    """Real XML and v2 JSON records with every bad case between them, as a ZIP, a directory of files, a page with
    bad records inside, and NDJSON: every way `iter_raw` cuts records out."""
    good = _v2_records(8)
    xml_sample = XML_SAMPLE_ZIP if XML_SAMPLE_ZIP.exists() else BUNDLED_SAMPLE
    zpath = tmp / "mixed.zip"
    with zipfile.ZipFile(xml_sample) as src, zipfile.ZipFile(zpath, "w") as zf:
        xml_names = [n for n in src.namelist() if n.endswith(".xml")][:100]
        for i, name in enumerate(xml_names):
            zf.writestr(f"x{i:03d}.xml", src.read(name))
            if i % 9 == 3:
                zf.writestr(f"x{i:03d}-cut.xml", src.read(name)[:500])
        for name, (data, _) in _bad_members(good[0]).items():
            zf.writestr(name, data)
        zf.writestr("again.json", json.dumps(good[1]))  # a record seen twice: the second is unchanged
        zf.writestr("page.json", json.dumps({"studies": [good[2], {"x": 1}, "not a study", good[3]]}))
    folder = tmp / "folder"
    folder.mkdir()
    for path in sorted((FIXTURES / "xml").glob("*.xml"))[:12]:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "empty.xml").write_bytes(b"")
    (folder / "notes.txt").write_text("not a trial record at all", "utf-8")
    (folder / "page.json").write_bytes(b'{"studies": [' + json.dumps(good[4]).encode() + b', {"x": 1' + b"0" * 5000
                                       + b"}, " + json.dumps(good[5]).encode() + b"]}")
    (folder / "lines.ndjson").write_text(json.dumps(good[6]) + "\n{broken\n\n" + json.dumps(good[7]) + "\n", "utf-8")
    return [zpath, folder, FIXTURES / "xml" / "NCT00000188.xml"]


def _tables(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table (FTS shadow tables included), but the time each row was written and the store's
    own random values (its key, and its write counter's random start)."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = {}
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info('{table}')") if r[1] != "ingested_at"]
            where = " WHERE key NOT IN ('token_key', 'generation')" if table == "meta" else ""
            rows[table] = conn.execute(f"SELECT {', '.join(columns)} FROM '{table}'{where}").fetchall()
        return rows
    finally:
        conn.close()


def _run(db: Path, paths: list[Path], workers: int) -> tuple[IngestReport, str]:
    rejects = io.StringIO()
    with SqliteStore(db) as store:
        report = ingest(store, paths, rejects_out=rejects, derive=derive_criteria, batch_size=40, workers=workers)
    return report, rejects.getvalue()


def test_two_workers_store_what_one_stores_row_for_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_pool, "CHUNK_RECORDS", 5)  # many chunks in flight: the order is what is tested
    paths = _mixed_input(tmp_path)
    one, one_rejects = _run(tmp_path / "one.db", paths, workers=1)
    two, two_rejects = _run(tmp_path / "two.db", paths, workers=2)
    assert one.rejected >= 25 and one.inserted >= 110 and one.unchanged >= 2, one.as_dict()
    assert two.as_dict() == one.as_dict()
    assert two.rejects == one.rejects
    assert two_rejects == one_rejects
    one_rows, two_rows = _tables(tmp_path / "one.db"), _tables(tmp_path / "two.db")
    assert set(two_rows) == set(one_rows) and "derived" in one_rows and "studies_fts_data" in one_rows
    for table, rows in one_rows.items():
        assert two_rows[table] == rows, table
    again, again_rejects = _run(tmp_path / "two.db", paths, workers=2)  # a re-run changes nothing
    assert again.inserted == again.updated == 0 and again_rejects == one_rejects
    assert _tables(tmp_path / "two.db")["derived"] == one_rows["derived"]


def test_a_path_that_cannot_be_read_stops_the_run_after_what_came_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_pool, "CHUNK_RECORDS", 7)
    paths = [BUNDLED_SAMPLE, tmp_path / "missing.zip"]
    stored = []
    for workers in (1, 2):
        with SqliteStore(tmp_path / f"w{workers}.db") as store, pytest.raises(SourceError, match="no such file"):
            ingest(store, paths, batch_size=64, workers=workers)
        with SqliteStore(tmp_path / f"w{workers}.db") as store:
            stored.append(store.nct_ids())
    assert len(stored[0]) == 256 and stored[1] == stored[0]  # full batches written, the last one not


def test_a_small_input_is_read_here_and_a_derive_that_cannot_travel_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lam = lambda study: {"n": 1}  # noqa: E731
    with SqliteStore(tmp_path / "a.db") as store:  # by default, what cannot go to a worker is done here
        assert ingest(store, [FIXTURES / "xml"], derive=lam).inserted == 47
    with SqliteStore(tmp_path / "b.db") as store, pytest.raises(TrialscoutError, match="one worker"):
        ingest(store, [FIXTURES / "xml"], derive=lam, workers=2)

    def no_pool(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a pool was started for one chunk of records")

    monkeypatch.setattr(ingest_pool, "ProcessPoolExecutor", no_pool)
    with SqliteStore(tmp_path / "c.db") as store:
        report = ingest(store, sorted((FIXTURES / "xml").glob("*.xml"))[:5], derive=derive_criteria, workers=2)
        assert report.inserted == 5 and store.get_derived(store.nct_ids()[0], "criteria") is not None


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _ingest_with_workers(db: Path, copies: int = 1) -> tuple[subprocess.Popen[str], list[int]]:
    """A CLI ingest (of `copies` times the bundled sample) in its own process group (as a terminal runs it), once
    its two workers are running."""
    # a shell starts a command with Ctrl-C at its default; an ignored SIGINT would be inherited, and an earlier
    # test's library may have left this process ignoring it (seen under the full suite)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen([*TRIALSCOUT, "ingest", *[str(BUNDLED_SAMPLE)] * copies, "--db", str(db),
                                 "--workers", "2", "--batch-size", "10"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        workers = [pid for pid in _children(proc.pid) if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]
    assert len(workers) == 2, "the workers did not start"
    return proc, workers


def _stored(db: Path) -> int:
    """How many studies a running ingest has committed so far (0 before the store exists)."""
    if not db.exists():
        return 0
    try:
        with SqliteStore(db, readonly=True) as store:
            return store.count()
    except Exception:  # noqa: BLE001 - the store is being created: nothing committed yet
        return 0


def _gone(pids: list[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not any(_alive(pid) for pid in pids)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_ctrl_c_stops_the_workers_and_keeps_the_committed_batches(tmp_path: Path) -> None:
    # three passes over the sample (the later ones are parsed again, then found unchanged): long enough that the
    # interrupt lands mid-run however fast parsing is; it is sent once a first batch is committed
    db = tmp_path / "c.db"
    proc, workers = _ingest_with_workers(db, copies=3)
    deadline = time.monotonic() + 60
    while _stored(db) < 10 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group gets it
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert _gone(workers, 10)
    with SqliteStore(db) as store:
        assert store.count() % 10 == 0


@pytest.mark.skipif(not hasattr(signal, "SIGKILL") or not Path("/proc/self/stat").exists(), reason="kill -9")
def test_workers_end_when_their_ingest_is_killed(tmp_path: Path) -> None:
    proc, workers = _ingest_with_workers(tmp_path / "k.db")
    proc.kill()
    proc.wait(timeout=30)
    assert _gone(workers, 15), "worker processes outlived a killed ingest"
