"""Ingest throughput (records/s) against the bare parsing floor, on the XML sample and a 10x enlarged copy.

Three rates per corpus, measured in the same run:
  parse floor  - read every ZIP member and parse its XML with lxml, nothing else;
  to Study     - the full reader: parse, map to the v2 model, validate (no store);
  ingest       - the full `trialscout ingest` path into a fresh SQLite file (store + FTS index).
Usage: python bench/bench_ingest.py [--xml-zip PATH] [--factor 10] [--out bench/out]
"""

from __future__ import annotations

import argparse
import sys
import time
import zipfile
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))
from enlarge import enlarge  # noqa: E402
from trialscout.ingest import ingest  # noqa: E402
from trialscout.sources import iter_items  # noqa: E402
from trialscout.store import SqliteStore  # noqa: E402

DEFAULT_ZIP = Path(__file__).resolve().parents[2] / "shared/data/ctgov-xml/AllPublicXML-sample.zip"


def parse_floor(path: Path) -> int:
    n = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.filename.endswith(".xml"):
                etree.fromstring(zf.read(info))
                n += 1
    return n


def to_study(path: Path) -> int:
    return sum(1 for item in iter_items([path]) if item.ok)


def full_ingest(path: Path, db: Path) -> int:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with SqliteStore(db) as store:
        report = ingest(store, [path])
    return report.inserted


def timed(label: str, fn, *args) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = fn(*args)
    dt = time.perf_counter() - t0
    print(f"  {label:<12} {n:>7} records  {dt:8.1f} s  {n / dt:8.0f} records/s", flush=True)
    return dt, n


def bench(path: Path, db: Path) -> None:
    print(f"{path.name}:")
    floor_dt, n = timed("parse floor", parse_floor, path)
    study_dt, _ = timed("to Study", to_study, path)
    ingest_dt, _ = timed("ingest", full_ingest, path, db)
    print(f"  ingest costs {ingest_dt / floor_dt:.1f}x the parse floor "
          f"(reader mapping {study_dt / floor_dt:.1f}x, store {(ingest_dt - study_dt) / floor_dt:.1f}x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xml-zip", type=Path, default=DEFAULT_ZIP)
    ap.add_argument("--factor", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    bench(args.xml_zip, args.out / "sample.db")
    big = args.out / f"enlarged-x{args.factor}.zip"
    if not big.exists():
        print(f"building {big.name} ...", flush=True)
        enlarge(args.xml_zip, big, factor=args.factor)
    bench(big, args.out / f"enlarged-x{args.factor}.db")


if __name__ == "__main__":
    main()
