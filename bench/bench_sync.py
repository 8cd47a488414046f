"""Sync throughput (records/s) against a local API v2 server, beside ingest of the same records from a local file,
all measured in the same run.

The records are the first `--limit` studies of the legacy XML sample, read by our XML reader and served as API v2
JSON by the loopback test server (tests/sync/ctgov_server.py, in this process, pages of `--page-size`, no rate
limit). Per round, each in a fresh child process (cold caches; interpreter start-up not counted):
  sync          - `trialscout.sync.sync` into an empty store, criteria derived (one process, as the CLI runs it);
  resync        - the same sync again into that store, asked from the oldest date: every study comes back unchanged;
  ingest w=1    - `trialscout.ingest.ingest` of the same records from an NDJSON file, criteria derived, one process;
  ingest w=N    - the same with N worker processes (default: every core), as `trialscout ingest` runs by default.
Each figure is the median of `--repeat` rounds (at least 3); the load average is printed beside every round.
Usage: python bench/bench_sync.py [--xml-zip PATH] [--limit 2000] [--repeat 3] [--page-size 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("TRIALSCOUT_SHARED_DATA") or REPO.parent / "shared" / "data")
DEFAULT_ZIP = SHARED / "ctgov-xml" / "AllPublicXML-sample.zip"


def child(kind: str, db: str, arg: str, workers: int, page_size: int) -> None:
    """Run one measured job in this (fresh) process; print its records and seconds as JSON."""
    from trialscout.app import derive_criteria
    from trialscout.store import SqliteStore

    with SqliteStore(db) as store:
        started = time.perf_counter()
        if kind == "ingest":
            from trialscout.ingest import ingest

            report = ingest(store, [arg], derive=derive_criteria, workers=workers)
            counts = report.as_dict()
        else:
            from trialscout.sync import ClientOptions, SyncOptions, sync

            since = "1900-01-01" if kind == "resync" else None
            options = SyncOptions(client=ClientOptions(base_url=arg, rate_per_minute=1e9), page_size=page_size,
                                  since=since)
            counts = sync(store, options, derive=derive_criteria).totals
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "counts": counts}))


def _run_child(kind: str, db: Path, arg: str, workers: int, page_size: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", kind, str(db), arg, str(workers), str(page_size)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _records(path: Path, limit: int) -> list[dict[str, Any]]:
    import zipfile

    from trialscout.sources.ctgov_xml import parse_record

    out = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if len(out) >= limit:
                break
            if info.filename.endswith(".xml"):
                item = parse_record(info.filename, zf.read(info))
                if item.study is not None:
                    out.append(json.loads(json.dumps(item.study.to_v2())))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xml-zip", type=Path, default=DEFAULT_ZIP)
    ap.add_argument("--limit", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    args = ap.parse_args()
    from tests.sync.ctgov_server import FakeApi, running

    records = _records(args.xml_zip, args.limit)
    n = len(records)
    print(f"{n} records from {args.xml_zip.name} served as API v2 pages of {args.page_size}; "
          f"{os.cpu_count()} cores; python {sys.version.split()[0]}")
    api = FakeApi()
    api.serve(records)
    jobs = ["sync", "resync", "ingest w=1", f"ingest w={args.workers}"]
    times: dict[str, list[float]] = {j: [] for j in jobs}
    with tempfile.TemporaryDirectory() as tmp, running(api) as base_url:
        ndjson = Path(tmp) / "records.ndjson"
        ndjson.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
        for round_no in range(max(3, args.repeat)):
            shown = []
            for job in jobs:
                name = "sync" if job == "resync" else job.replace(" ", "").replace("=", "")  # resync: the synced store
                db = Path(tmp) / f"{round_no}-{name}.db"
                if job.startswith("ingest"):
                    result = _run_child("ingest", db, str(ndjson), int(job.split("=")[1]), args.page_size)
                    stored = result["counts"]["inserted"]
                else:
                    result = _run_child(job, db, base_url, 1, args.page_size)
                    stored = result["counts"]["new" if job == "sync" else "unchanged"]
                assert stored == n, (job, result)
                times[job].append(result["seconds"])
                shown.append(f"{job} {n / result['seconds']:.0f}/s")
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"round {round_no + 1}: " + ", ".join(shown) + f"  (load average {load})", flush=True)
    print(f"\nmedian of {max(3, args.repeat)} rounds, {n} records:")
    base = statistics.median(times[f"ingest w={args.workers}"])
    for job in jobs:
        med = statistics.median(times[job])
        print(f"  {job:<12} {n / med:8.1f} records/s  {med:7.2f} s  ({base / med:.2f}x ingest w={args.workers})")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    else:
        main()
