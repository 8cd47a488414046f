"""How long the commands people type most take from start to answer, beside `python -c pass` in the same run.

Each command runs --repeat times as a fresh process; the median wall time is printed with its ratio to the bare
interpreter. `search` runs on the store given (default: the demo store, built by `make demo`), once with query
expansion and once `--exact`.

    python bench/bench_startup.py [--db var/demo.db] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=str(ROOT / "var" / "demo.db"))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--query", default="metastatic breast cancer")
    args = parser.parse_args()
    if not Path(args.db).exists():
        sys.exit(f"no store at {args.db}: run `make demo` first, or give --db")
    cli = [sys.executable, "-m", "trialscout.cli"]
    runs = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "trialscout --help": [*cli, "--help"],
        "trialscout search (expanded)": [*cli, "search", args.query, "--db", args.db, "--limit", "10"],
        "trialscout search --exact": [*cli, "search", args.query, "--db", args.db, "--limit", "10", "--exact"],
        "trialscout show": [*cli, "show", "NCT00000000", "--db", args.db],
    }
    first = subprocess.run([*cli, "search", args.query, "--db", args.db, "--limit", "1", "--json"],
                           capture_output=True, text=True, check=True).stdout
    import json

    hits = json.loads(first)["hits"]
    if hits:
        runs["trialscout show"][-3] = hits[0]["nct_id"]
    else:
        del runs["trialscout show"]
    base = timed(runs.pop("python -c pass"), args.repeat)
    print(f"median of {args.repeat} fresh processes; store {args.db}")
    print(f"{'command':<32}{'median s':>10}{'× python -c pass':>18}")
    print(f"{'python -c pass':<32}{base:>10.3f}{1:>18.1f}")
    for name, argv in runs.items():
        t = timed(argv, args.repeat)
        print(f"{name:<32}{t:>10.3f}{t / base:>18.1f}")


if __name__ == "__main__":
    main()
