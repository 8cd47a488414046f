"""Criteria per second over the XML sample, against the bare split step measured in the same run.

Usage: python bench/bench_criteria.py [PATH_TO_AllPublicXML-sample.zip] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from criteria_data import XML_ZIP, xml_records  # noqa: E402
from trialscout.criteria import parse_criteria, split_criteria  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default=str(XML_ZIP))
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    texts = [t for _, t, _ in xml_records(Path(args.path), args.limit)]
    chars = sum(len(t) for t in texts)
    parse_criteria(texts[0])  # warm the rule caches outside the timings

    t0 = time.perf_counter()
    n_split = sum(len(split_criteria(t)) for t in texts)
    t_split = time.perf_counter() - t0

    t0 = time.perf_counter()
    n_full, n_cons = 0, 0
    for t in texts:
        crit = parse_criteria(t)
        n_full += len(crit)
        n_cons += sum(len(c.constraints) for c in crit)
    t_full = time.perf_counter() - t0

    print(f"records: {len(texts)}  characters: {chars:,}  criteria: {n_full}  constraints: {n_cons}")
    print(f"split only : {t_split:7.2f} s  {n_split / t_split:9.0f} criteria/s  {len(texts) / t_split:8.0f} records/s")
    print(f"full parse : {t_full:7.2f} s  {n_full / t_full:9.0f} criteria/s  {len(texts) / t_full:8.0f} records/s")
    print(f"full / split time: {t_full / t_split:.1f}x")


if __name__ == "__main__":
    main()
