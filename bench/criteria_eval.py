"""Criterion verdicts against expert labels (TrialGPT's development half), under both absence policies.

Runs the same pipeline as `trialscout eval criteria` and prints its report, then the time of a verdict against the
time of parsing the criterion alone, measured in the same run (the baseline: what reading the criterion costs
before any matching).

Usage: python bench/criteria_eval.py [PATH_TO_dev.json] [--today YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

from trialscout.criteria import parse_criteria
from trialscout.evaluation.annotations import read_annotations
from trialscout.evaluation.criteria import format_report, run

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "trialgpt-criteria" / "dev.json"


def _parse_ms(rows: list) -> float:
    """Median milliseconds to parse one annotated criterion alone under its heading."""
    times = []
    for a in rows:
        heading = "Inclusion Criteria:" if a.criterion_type == "inclusion" else "Exclusion Criteria:"
        block = f"{heading}\n\n  - {a.criterion_text}\n"
        started = time.perf_counter()
        parse_criteria(block)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default=str(DEV))
    ap.add_argument("--today", default="2025-01-01", help="the date notes are read at (fixed, for repeatable runs)")
    args = ap.parse_args()
    rows = read_annotations(args.path)
    today = dt.date.fromisoformat(args.today)
    run(rows[:5], "default", today)  # warm the vocabularies and rule caches outside the timings
    reports = [run(rows, name, today) for name in ("default", "strict")]
    print(format_report(reports))
    parse_ms = _parse_ms(rows)
    for r in reports:
        verdict_ms = r.as_dict()["ms_per_criterion_median"]
        print(f"policy {r.policy}: {verdict_ms:.3f} ms median per verdict (parse + evaluate) vs {parse_ms:.3f} ms to "
              f"parse alone: x{verdict_ms / parse_ms:.2f}")


if __name__ == "__main__":
    main()
