"""Precision per kind on the hand-checked part of tests/fixtures/criteria/sample.json.

Usage: python bench/criteria_precision.py
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "tests/fixtures/criteria/sample.json"


def main() -> None:
    items = json.loads(SAMPLE.read_text("utf-8"))
    checked = [it for it in items if it.get("checked")]
    ok, total = Counter(), Counter()
    for it in checked:
        for c, v in zip(it["found"], it["verdicts"], strict=True):
            if v == "unverified":
                continue
            total[c["kind"]] += 1
            ok[c["kind"]] += v == "ok"
    print(f"sample: {len(items)} criteria, hand-checked: {len(checked)}")
    for kind in sorted(total, key=lambda k: -total[k]):
        print(f"  {kind:22s} {ok[kind]:3d}/{total[kind]:3d} = {ok[kind] / total[kind]:.0%}")
    n_ok, n_all = sum(ok.values()), sum(total.values())
    print(f"  {'ALL':22s} {n_ok:3d}/{n_all:3d} = {n_ok / n_all:.0%}")


if __name__ == "__main__":
    main()
