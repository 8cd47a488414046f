"""The cost curve as the corpus grows: ingest time and search latency at 10k, 100k and 570k studies.

Each size is an enlarged copy of the real XML sample (bench/enlarge.py: new NCT IDs, perturbed text), ingested
into a fresh SQLite store through the library's ingest path. Search latency is measured with the fixed query
set of bench/bench_search.py (100 condition phrases, a quarter with a status filter, a quarter with phase +
age filters), median and p95 over 3 rounds, next to a bare `SELECT count(*)` baseline in the same run.
Structured criteria are parsed at ingest only with --criteria (bench/bench_criteria.py measures that step).

Usage: python bench/bench_scale.py [--sizes 10000,100000,570000] [--xml-zip PATH] [--out bench/out] [--criteria]
       [--reuse]   (measure search on stores an earlier run left in --out: no ingest, ingest column "-")
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_search import fixed_queries, pct  # noqa: E402
from enlarge import enlarge  # noqa: E402
from trialscout.app import derive_criteria  # noqa: E402
from trialscout.ingest import ingest  # noqa: E402
from trialscout.search import build_filters, search  # noqa: E402
from trialscout.store import SqliteStore  # noqa: E402

DEFAULT_ZIP = Path(__file__).resolve().parents[2] / "shared/data/ctgov-xml/AllPublicXML-sample.zip"


def build(size: int, src: Path, out: Path, with_criteria: bool) -> tuple[Path, float]:
    corpus = out / f"corpus-{size}.zip"
    if not corpus.exists():
        print(f"  building {corpus.name} ...", flush=True)
        enlarge(src, corpus, size=size)
    db = out / f"scale-{size}{'-criteria' if with_criteria else ''}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    with SqliteStore(db) as store:
        report = ingest(store, [corpus], derive=derive_criteria if with_criteria else None)
    seconds = time.perf_counter() - t0
    assert report.inserted == size, report.as_dict()
    return db, seconds


def latency(db: Path, rounds: int = 3) -> tuple[float, float, float]:
    with SqliteStore(db, readonly=True) as store:
        queries = fixed_queries(store)
        for text, kw in queries:
            search(store, text, build_filters(**kw), limit=10)
        lat, base = [], []
        for _ in range(rounds):
            for text, kw in queries:
                t0 = time.perf_counter()
                search(store, text, build_filters(**kw), limit=10)
                lat.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                store.conn.execute("SELECT count(*) FROM studies").fetchone()
                base.append((time.perf_counter() - t0) * 1000)
    return statistics.median(lat), pct(lat, 95), statistics.median(base)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,570000")
    ap.add_argument("--xml-zip", type=Path, default=DEFAULT_ZIP)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    ap.add_argument("--criteria", action="store_true", help="also parse and store structured criteria at ingest")
    ap.add_argument("--reuse", action="store_true", help="search the stores an earlier run built; no ingest")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{'studies':>8} {'ingest s':>9} {'rec/s':>7} {'db MB':>7} {'search median ms':>17} {'p95 ms':>8} "
          f"{'count(*) ms':>12}")
    for size in (int(s) for s in args.sizes.split(",")):
        if args.reuse:
            db, seconds = args.out / f"scale-{size}{'-criteria' if args.criteria else ''}.db", None
            with SqliteStore(db, readonly=True) as store:
                assert store.count() == size, f"{db} holds {store.count()} studies, not {size}"
        else:
            db, seconds = build(size, args.xml_zip, args.out, args.criteria)
        med, p95, base = latency(db)
        mb = db.stat().st_size / 1e6
        timing = f"{seconds:>9.1f} {size / seconds:>7.0f}" if seconds else f"{'-':>9} {'-':>7}"
        print(f"{size:>8} {timing} {mb:>7.0f} {med:>17.2f} {p95:>8.2f} {base:>12.2f}", flush=True)


if __name__ == "__main__":
    main()
