"""The cost of `watch run`: N watches (saved searches and stored patients) after a sync of up to 10,000 changed
studies, beside a baseline measured in the same run: the same watches with no change in the store.

The store is the XML sample ingested with criteria (bench/out/watches.db, built when missing). Each round changes
`--changes` studies as a sync would (status, a new site, or the criteria text; records repeat when the sample has
fewer), writing the field-level change log, then times one `watch run`. Figures: median of `--rounds`.
Usage: python bench/bench_watches.py [--watches 1000] [--patients 0.2] [--changes 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

from trialscout.app import derive_criteria
from trialscout.ingest import ingest
from trialscout.model import Study
from trialscout.store import SqliteStore
from trialscout.store.rows import study_rows
from trialscout.sync.diff import diff_studies
from trialscout.sync.state import record_changes
from trialscout.watch import WatchSpec, add_watch, run_watches

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_match import base_documents, variant  # noqa: E402

DEFAULT_ZIP = Path(os.environ.get("TRIALSCOUT_SHARED_DATA") or HERE.parent.parent / "shared/data") / \
    "ctgov-xml/AllPublicXML-sample.zip"

WORDS = ["breast cancer", "lung cancer", "melanoma", "lymphoma", "leukemia", "prostate cancer", "colorectal cancer",
         "ovarian cancer", "glioblastoma", "pancreatic cancer", "myeloma", "sarcoma", "bladder cancer", "HER2",
         "immunotherapy", "radiotherapy", "pembrolizumab", "cisplatin", "neuroblastoma", "renal cell carcinoma"]
PLACES = ["Boston, MA", "Houston, Texas", "New York, New York", "Bethesda, Maryland", "Seattle, Washington"]
STATUSES = ["RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED", "NOT_YET_RECRUITING", "SUSPENDED"]


def build(db: Path, source: Path) -> None:
    if db.exists():
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    t = time.monotonic()
    partial = db.with_name(db.name + ".part")
    with SqliteStore(partial) as store:
        ingest(store, [source], derive=derive_criteria)
    partial.rename(db)  # only a finished build is used
    print(f"built {db} in {time.monotonic() - t:.0f} s", flush=True)


def add_watches(store: SqliteStore, n: int, share_patients: float) -> None:
    rng = random.Random(14)
    bases = base_documents()
    patients = round(n * share_patients)
    for i in range(n):
        if i < patients:
            doc = json.dumps(variant(bases[i % len(bases)], i))
            add_watch(store, name=f"patient {i}", spec=WatchSpec(top=50, statuses=["RECRUITING"] if i % 2 else []),
                      document=doc, store_patient=True)
        else:
            near = PLACES[i % len(PLACES)] if i % 4 == 0 else None
            add_watch(store, name=f"search {i}", spec=WatchSpec(
                query=rng.choice(WORDS), statuses=["RECRUITING"] if i % 3 else [], near=near,
                radius_km=100 if near else None))


def change_studies(store: SqliteStore, count: int, round_no: int) -> None:
    """`count` changes as sync makes them: upsert, criteria derived again when they changed, diff logged."""
    ids = store.nct_ids()
    day = dt.date(2032, 1, 1) + dt.timedelta(days=round_no * 10)
    for start in range(0, count, 500):
        prepared = []
        for i in range(start, min(count, start + 500)):
            nct_id = ids[i % len(ids)]
            pass_no = i // len(ids)  # a record repeated: a second change of the same study, a later date
            old = store.get_json(nct_id)
            doc = copy.deepcopy(old)
            ps = doc["protocolSection"]
            ps.setdefault("statusModule", {})["lastUpdatePostDateStruct"] = {
                "date": (day + dt.timedelta(days=pass_no)).isoformat()}
            kind = (i + round_no) % 3
            if kind == 0:
                ps["statusModule"]["overallStatus"] = STATUSES[(i + round_no) % len(STATUSES)]
            elif kind == 1:
                ps.setdefault("contactsLocationsModule", {}).setdefault("locations", []).append(
                    {"facility": f"Bench Site {round_no}-{i}", "city": "Boston", "state": "Massachusetts",
                     "country": "United States", "geoPoint": {"lat": 42.36, "lon": -71.06}})
            else:
                em = ps.setdefault("eligibilityModule", {})
                em["eligibilityCriteria"] = (em.get("eligibilityCriteria") or "") + \
                    f"\n\nExclusion Criteria:\n\n  - Pregnant or breastfeeding (rev {round_no})"
            study = Study.from_v2(doc)
            derived = derive_criteria(study) if kind == 2 else None
            prepared.append((nct_id, old, study, derived))
        with store.transaction():
            for nct_id, old, study, derived in prepared:
                rows = study_rows(study, "bench")
                store.upsert_rows(rows, derived)
                record_changes(store.conn, nct_id, None, diff_studies(old, json.loads(rows.columns["json"])))


def timed_run(store: SqliteStore) -> tuple[float, int]:
    t = time.monotonic()
    report = run_watches(store, send=False)
    return time.monotonic() - t, report.findings


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", type=Path, default=HERE / "out" / "watches.db")
    p.add_argument("--source", type=Path, default=DEFAULT_ZIP)
    p.add_argument("--watches", type=int, default=1000)
    p.add_argument("--patients", type=float, default=0.2, help="share of patient watches")
    p.add_argument("--changes", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    build(args.db, args.source)
    work = args.db.with_name(args.db.stem + ".run.db")
    work.unlink(missing_ok=True)
    os.system(f"cp '{args.db}' '{work}'")  # noqa: S605 (a plain file copy; the built store stays untouched)
    with SqliteStore(work) as store:
        print(f"{store.count()} studies; python {sys.version.split()[0]}, {len(os.sched_getaffinity(0))} cores, "
              f"load average {os.getloadavg()[0]:.1f} (other work on the machine skews every figure)", flush=True)
        t = time.monotonic()
        add_watches(store, args.watches, args.patients)
        print(f"added {args.watches} watches ({args.patients:.0%} patients) with baselines in "
              f"{time.monotonic() - t:.1f} s", flush=True)
        base = [timed_run(store) for _ in range(args.rounds)]
        changed = []
        for r in range(args.rounds):
            t = time.monotonic()
            change_studies(store, args.changes, r + 1)
            print(f"round {r + 1}: {args.changes} changes stored in {time.monotonic() - t:.1f} s; load average "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
            changed.append(timed_run(store))
            print(f"  watch run: {changed[-1][0]:.2f} s, {changed[-1][1]} findings", flush=True)
        again = timed_run(store)
    for label, runs in (("no change (baseline)", base), (f"after {args.changes} changed studies", changed)):
        secs = statistics.median(s for s, _ in runs)
        print(f"{label:<36} {secs:7.2f} s  {args.watches / secs:8.1f} watches/s  findings "
              f"{statistics.median(f for _, f in runs):.0f} (median of {len(runs)})")
    print(f"{'a second run after the last change':<36} {again[0]:7.2f} s  findings {again[1]} (idempotent: 0)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    work.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
