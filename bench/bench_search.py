"""Search latency (median, p95) over a fixed set of 100 queries on a store (default: the 10x enlarged one).

The queries are fixed: 100 condition phrases and words drawn with a fixed seed from the stored trials'
conditions, half plain text, a quarter with a status filter, a quarter with phase + age filters.
The baseline measured in the same run is a bare `SELECT count(*)` on the same connection (the floor of
one round trip into SQLite). Usage: python bench/bench_search.py [--db bench/out/enlarged-x10.db]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from trialscout.search import build_filters, search
from trialscout.store import SqliteStore


def fixed_queries(store: SqliteStore, n: int = 100, seed: int = 7) -> list[tuple[str, dict]]:
    conditions = [r[0] for r in store.conn.execute(
        "SELECT DISTINCT condition FROM conditions ORDER BY condition")]
    rng = random.Random(seed)
    picked = rng.sample(conditions, min(n, len(conditions)))
    queries = []
    for i, text in enumerate(picked):
        if i % 4 == 2:
            queries.append((text, {"statuses": ["COMPLETED"]}))
        elif i % 4 == 3:
            queries.append((text, {"phases": ["PHASE2", "PHASE3"], "age": 50}))
        else:
            queries.append((text, {}))
    return queries


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", type=Path, default=Path(__file__).resolve().parent / "out" / "enlarged-x10.db")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with SqliteStore(args.db, readonly=True) as store:
        queries = fixed_queries(store)
        print(f"{args.db.name}: {store.count()} studies, {len(queries)} queries x {args.repeat} rounds")
        for text, kw in queries:  # warm the page cache once
            search(store, text, build_filters(**kw), limit=10)
        lat, base, totals = [], [], []
        for _ in range(args.repeat):
            for text, kw in queries:
                t0 = time.perf_counter()
                page = search(store, text, build_filters(**kw), limit=10)
                lat.append((time.perf_counter() - t0) * 1000)
                totals.append(page.total or 0)
                t0 = time.perf_counter()
                store.conn.execute("SELECT count(*) FROM studies").fetchone()
                base.append((time.perf_counter() - t0) * 1000)
    print(f"  search (top 10 + total count): median {statistics.median(lat):.2f} ms, p95 {pct(lat, 95):.2f} ms, "
          f"max {max(lat):.2f} ms; median matches per query {statistics.median(totals):.0f}")
    print(f"  baseline SELECT count(*): median {statistics.median(base):.2f} ms, p95 {pct(base, 95):.2f} ms; "
          f"search median is {statistics.median(lat) / statistics.median(base):.0f}x the baseline")
    expansion_cost(args.db, [text for text, _ in queries], args.repeat)


def expansion_cost(db: Path, texts: list[str], repeat: int) -> None:
    """The request path the CLI and the API take (`search.request.run`), with query expansion and `--exact`,
    interleaved per query so that both see the same cache state."""
    from trialscout.search.request import SearchRequest, run

    times: dict[bool, list[float]] = {False: [], True: []}
    with SqliteStore(db, readonly=True) as store:
        for text in texts:  # warm: the lexicon, the vocabularies, the page cache
            run(store, SearchRequest(term=text, page_size=10, expand=True))
        for _ in range(repeat):
            for text in texts:
                for expand in (False, True):
                    t0 = time.perf_counter()
                    run(store, SearchRequest(term=text, page_size=10, expand=expand))
                    times[expand].append((time.perf_counter() - t0) * 1000)
    exact, expanded = statistics.median(times[False]), statistics.median(times[True])
    print(f"  request path --exact: median {exact:.2f} ms, p95 {pct(times[False], 95):.2f} ms; expanded: median "
          f"{expanded:.2f} ms, p95 {pct(times[True], 95):.2f} ms; expanded / exact median {expanded / exact:.2f}x")


if __name__ == "__main__":
    main()
