"""Robustness and coverage over every criteria text in the shared data, and LCT entity recall.

Usage: python bench/criteria_quality.py [--limit N]
Prints: records/criteria per corpus, errors, fraction of criteria with >= 1 computable constraint (overall and
oncology), constraints per kind, and recall of LCT human-annotated entities by our constraints (span overlap).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from criteria_data import ONCO, hint_records, lct_records, nli4ct_records, xml_records  # noqa: E402
from trialscout.criteria import parse_criteria  # noqa: E402

LCT_MAP = {
    "Age": {"age"},
    "Life-Stage-And-Gender": {"sex", "age"},
    "Condition": {"condition", "comorbidity", "pregnancy", "biomarker"},
    "Drug": {"prior_therapy"},
    "Procedure": {"prior_therapy"},
    "Observation": {"lab", "performance_status", "biomarker", "life_expectancy"},
    "Allergy": {"comorbidity"},
    "Eq-Comparison": {"age", "lab", "performance_status", "life_expectancy", "condition", "prior_therapy",
                      "comorbidity", "biomarker"},
}


def corpus_stats(name: str, records, limit: int | None) -> dict:
    st = Counter()
    kinds: Counter = Counter()
    t0 = time.perf_counter()
    for i, (rid, text, onco) in enumerate(records):
        if limit is not None and i >= limit:
            break
        st["records"] += 1
        try:
            crit = parse_criteria(text)
        except Exception:  # noqa: BLE001 - counting every failure is the point
            st["errors"] += 1
            if st["errors"] <= 3:
                print(f"  ERROR {name} {rid}:\n{traceback.format_exc(limit=3)}")
            continue
        for c in crit:
            comp = c.computable
            st["criteria"] += 1
            st["computable"] += comp
            if onco:
                st["onco_criteria"] += 1
                st["onco_computable"] += comp
            kinds.update(k.kind for k in c.constraints)
    st["seconds"] = round(time.perf_counter() - t0, 1)
    return {"stats": st, "kinds": kinds}


def _frac(a: int, b: int) -> str:
    return f"{a / b:.1%}" if b else "n/a"


def lct_recall(limit: int | None) -> tuple[Counter, Counter]:
    hit, total = Counter(), Counter()
    for i, (_, text, ann) in enumerate(lct_records()):
        if limit is not None and i >= limit:
            break
        cons = [k for c in parse_criteria(text) for k in c.constraints]
        for line in ann.splitlines():
            if not line.startswith("T"):
                continue
            _, info, *_ = line.split("\t")
            etype, *offs = info.split()
            if etype not in LCT_MAP and etype != "Negation":
                continue
            try:
                s, e = int(offs[0]), int(offs[-1].split(";")[-1])
            except ValueError:
                continue
            total[etype] += 1
            if etype == "Negation":
                ok = any(k.negated and s <= k.span[0] <= e + 150 for k in cons)
            else:
                ok = any(k.kind in LCT_MAP[etype] and k.span[0] < e and s < k.span[1] for k in cons)
            hit[etype] += ok
    return hit, total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None, help="records per corpus (default: all)")
    args = ap.parse_args()
    lct = ((rid, text, bool(ONCO.search(text))) for rid, text, _ in lct_records())
    overall, kinds_all = Counter(), Counter()
    for name, recs in (("ctgov-xml", xml_records()), ("nli4ct", nli4ct_records()), ("hint", hint_records()),
                       ("lct", lct)):
        r = corpus_stats(name, recs, args.limit)
        st = r["stats"]
        overall.update(st)
        kinds_all.update(r["kinds"])
        print(f"{name:10s} records {st['records']:5d}  criteria {st['criteria']:6d}  errors {st['errors']}  "
              f"computable {_frac(st['computable'], st['criteria'])}  "
              f"oncology computable {_frac(st['onco_computable'], st['onco_criteria'])} "
              f"({st['onco_criteria']} onc. criteria)  {st['seconds']} s")
    print(f"{'ALL':10s} records {overall['records']:5d}  criteria {overall['criteria']:6d}  errors {overall['errors']}"
          f"  computable {_frac(overall['computable'], overall['criteria'])}  oncology computable "
          f"{_frac(overall['onco_computable'], overall['onco_criteria'])}")
    print("constraints per kind:", dict(kinds_all.most_common()))
    hit, total = lct_recall(args.limit)
    print("LCT entity recall (an annotated entity is recalled when a constraint of a mapped kind overlaps it):")
    for etype in sorted(total, key=lambda x: -total[x]):
        print(f"  {etype:22s} {hit[etype]:5d}/{total[etype]:5d} = {_frac(hit[etype], total[etype])}"
              f"   -> {sorted(LCT_MAP.get(etype, {'negated flag'}))}")


if __name__ == "__main__":
    main()
