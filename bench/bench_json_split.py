"""How fast a page of 1,000 v2 studies is read record by record: our splitter + `json_limits` against the
baselines measured in the same run: stdlib `json.loads` of the whole page (no isolation: one bad record loses the
page), and ijson's C and pure-Python backends when ijson is installed (`pip install ijson`; no longer a dependency:
its C backend crashes the process on a 4,301-digit integer, and both stop at the first bad record).

    python bench/bench_json_split.py [--data ../shared/data/ctgov-v2-json] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from trialscout import json_limits
from trialscout.errors import RecordError
from trialscout.sources import json_split

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "ctgov-v2-json"))
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    records = [json.loads(p.read_text("utf-8")) for p in sorted(Path(args.data).glob("*.json"))]
    studies = [records[i % len(records)] for i in range(args.records)]
    page = json.dumps({"studies": studies, "nextPageToken": "x"}).encode()
    print(f"page: {len(studies)} studies, {len(page) / 1e6:.1f} MB (from {len(records)} real records)")

    def ours() -> int:
        return sum(1 for p in json_split.iter_array(io.BytesIO(page), "studies")
                   if json_limits.loads(p.data, "page", RecordError, depth=p.depth))

    def whole() -> int:
        return len(json.loads(page)["studies"])

    runs: dict[str, Callable[[], int]] = {"json.loads, whole page": whole, "json_split + json_limits": ours}
    try:
        import ijson

        for backend in ("yajl2_c", "python"):
            try:
                items = ijson.get_backend(backend).items
            except ImportError:
                continue
            runs[f"ijson {backend}"] = (lambda items=items: sum(1 for _ in items(io.BytesIO(page), "studies.item")))
    except ImportError:
        print("ijson not installed: its backends are not measured")
    medians = {}
    for name, fn in runs.items():
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            n = fn()
            times.append(time.perf_counter() - start)
        assert n == len(studies), (name, n)
        medians[name] = statistics.median(times)
    base = medians["json.loads, whole page"]
    print(f"{'reader':<28}{'median s':>10}{'ms/record':>11}{'× json.loads':>14}")
    for name, t in medians.items():
        print(f"{name:<28}{t:>10.3f}{t * 1000 / len(studies):>11.3f}{t / base:>14.2f}")


if __name__ == "__main__":
    main()
