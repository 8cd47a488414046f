"""Ingest throughput (records/s) against a minimal ingest script and the bare parse, all measured in the same run.

Per round, on the same records (the first `--limit` members of the XML ZIP):
  baseline   - a minimal script: lxml parse -> json.dumps of a small dict -> SQLite insert + an FTS5 table, in
               transactions of 500 (what any ingest must at least do);
  parse      - lxml parse of every member, nothing else;
  reader     - trialscout's reader alone: parse, map to the v2 model, validate (no store, no criteria);
  ingest w=1 - `trialscout ingest` with criteria derived, all in one process (`workers=1`);
  ingest w=N - the same with N worker processes (default: every core; the parent process writes).
The two ingests run in a fresh process each (cold caches, worker start-up included, interpreter start-up not).
Each figure is the median of `--repeat` rounds (at least 3); the rounds interleave the five, and the load average is
printed beside every round, because another process on the machine changes everything.
Usage: python bench/bench_ingest.py [--xml-zip PATH] [--limit 1000] [--repeat 3] [--workers N] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

DEFAULT_ZIP = Path(__file__).resolve().parents[2] / "shared/data/ctgov-xml/AllPublicXML-sample.zip"


def _members(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as zf:
        return [zf.read(i) for i in zf.infolist() if i.filename.endswith(".xml")]


def parse_only(path: Path, _db: Path) -> int:
    n = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.filename.endswith(".xml"):
                etree.fromstring(zf.read(info))
                n += 1
    return n


def baseline(path: Path, db: Path) -> int:
    """The minimal ingest: parse, a small JSON document, one row and one full-text row per record, batched."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE studies (nct_id TEXT PRIMARY KEY, json TEXT)")
    conn.execute("CREATE VIRTUAL TABLE studies_fts USING fts5(title, conditions, criteria)")
    n, rows = 0, []

    def flush() -> None:
        with conn:
            for doc in rows:
                cur = conn.execute("INSERT OR REPLACE INTO studies VALUES (?, ?)", (doc["nct_id"], json.dumps(doc)))
                conn.execute("INSERT INTO studies_fts (rowid, title, conditions, criteria) VALUES (?, ?, ?, ?)",
                             (cur.lastrowid, doc["title"], " ; ".join(doc["conditions"]), doc["criteria"]))
        rows.clear()

    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.endswith(".xml"):
                continue
            root = etree.fromstring(zf.read(info))
            rows.append({"nct_id": root.findtext("id_info/nct_id"), "title": root.findtext("brief_title"),
                         "status": root.findtext("overall_status"),
                         "conditions": [c.text for c in root.findall("condition")],
                         "criteria": root.findtext("eligibility/criteria/textblock") or ""})
            n += 1
            if len(rows) >= 500:
                flush()
    flush()
    conn.close()
    return n


def reader(path: Path, _db: Path) -> int:
    from trialscout.sources import iter_items

    return sum(1 for item in iter_items([path]) if item.ok)


_DRIVER = """
import json, resource, sys, time
from trialscout.app import derive_criteria
from trialscout.ingest import ingest
from trialscout.store import SqliteStore
t0 = time.perf_counter()
with SqliteStore(sys.argv[1]) as store:
    n = ingest(store, [sys.argv[2]], derive=derive_criteria, workers=int(sys.argv[3])).read
dt = time.perf_counter() - t0
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([dt, n, own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime]))
"""


def ingest_with(workers: int) -> Callable[[Path, Path], tuple[float, int, float, float]]:
    """`trialscout ingest` with criteria, as the CLI calls it, in a fresh process each time (the criteria engine
    caches what it parsed: a second run in one process would be faster than any real one). Timed inside that
    process around the `ingest` call, so the interpreter's start-up is left out and the workers' is counted."""
    def run(path: Path, db: Path) -> tuple[float, int, float, float]:
        done = subprocess.run([sys.executable, "-c", _DRIVER, str(db), str(path), str(workers)],
                              capture_output=True, text=True, check=True)
        dt, n, own, kids = json.loads(done.stdout.strip().splitlines()[-1])
        return dt, n, own, kids
    return run


def _fresh(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def timed(fn: Callable[[Path, Path], Any], path: Path, db: Path) -> tuple[float, int, float, float]:
    """Seconds, records, CPU seconds of the process that ingested and of its workers."""
    _fresh(db)
    own0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    result = fn(path, db)
    if isinstance(result, tuple):  # measured in its own process
        return result
    dt = time.perf_counter() - t0
    own1 = resource.getrusage(resource.RUSAGE_SELF)
    return dt, result, (own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime), 0.0


def _load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xml-zip", type=Path, default=DEFAULT_ZIP)
    ap.add_argument("--limit", type=int, default=None, help="Only the first N records (a short run).")
    ap.add_argument("--repeat", type=int, default=3, help="Rounds (the median is reported; at least 3).")
    ap.add_argument("--workers", type=int, default=None, help="Workers of the parallel run (default: all cores).")
    ap.add_argument("--out", type=Path, default=None, help="Where the stores are written (default: a temp dir).")
    args = ap.parse_args()
    from trialscout.ingest_pool import default_workers

    workers = args.workers or default_workers()
    with tempfile.TemporaryDirectory(dir=args.out) as tmp:
        path = Path(tmp) / "input.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:  # the same records for every contender
            for i, data in enumerate(_members(args.xml_zip)[:args.limit]):
                zf.writestr(f"r{i:07d}.xml", data)
        contenders = {"baseline": baseline, "parse": parse_only, "reader": reader,
                      "ingest w=1": ingest_with(1), f"ingest w={workers}": ingest_with(workers)}
        rates: dict[str, list[float]] = {name: [] for name in contenders}
        print(f"{args.xml_zip.name}, {args.limit or 'all'} records, {max(3, args.repeat)} rounds, "
              f"{len(os.sched_getaffinity(0))} cores; {_load()}", flush=True)
        for rnd in range(max(3, args.repeat)):
            for name, fn in contenders.items():
                dt, n, own, kids = timed(fn, path, Path(tmp) / "bench.db")
                rates[name].append(n / dt)
                print(f"  round {rnd + 1} {name:<11} {n:>6} records {dt:7.2f} s {n / dt:7.0f} rec/s   "
                      f"cpu: this process {own:6.1f} s, workers {kids:6.1f} s   {_load()}", flush=True)
        median = {name: statistics.median(r) for name, r in rates.items()}
        print(f"median of {max(3, args.repeat)} ({_load()}):")
        for name, rate in median.items():
            print(f"  {name:<11} {rate:7.0f} rec/s   baseline / this {median['baseline'] / rate:5.2f}x")
        one, many = median["ingest w=1"], median[f"ingest w={workers}"]
        print(f"  ingest w={workers} / w=1: {many / one:.2f}x; the minimal baseline is "
              f"{median['baseline'] / many:.1f}x the parallel ingest; lxml parse alone {median['parse'] / many:.1f}x")


if __name__ == "__main__":
    main()
