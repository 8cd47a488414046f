"""One patient against every stored trial: `Trialscout.match_all` (pruning query, compiled criteria) against the
full evaluation of every trial from its Study and validated criteria, and against reading the store once.

Printed, per patient, median of --repeat runs, all in the same run:
  read floor   - read every study row and its stored criteria document and decode their JSON (nothing else);
  full path    - every trial as the matcher read it before compiled criteria: the Study validated, its stored
                 criteria validated into pydantic models, `match_study` (one run: it is slow);
  match_all    - `Trialscout.match_all` as one command runs it (`hold=False`, a fresh connection, nothing kept
                 between runs), in one process and in --workers processes: the candidate search for relevance,
                 the pruning query, compiled criteria read and evaluated, pruned trials explained by their record's
                 criterion, the top 10 explained;
  held         - the same on one `Trialscout` kept open, as a server or a library user calls it again: the trials
                 are read once and held, with what matching works out from a trial alone; the first call
                 (reading and holding) is printed apart, the median is of the --repeat calls after it, in one
                 process and with --workers processes (kept between calls, each holding what it read).
With --check (default on), every trial's verdict from match_all is compared with its full evaluation: a pruned trial
must be ineligible there, an evaluated one must have the same verdicts, criterion by criterion.
Usage: python bench/bench_match_all.py [--db bench/out/sample.db] [--repeat 3] [--patients 0,3,4] [--workers N]
       [--no-check]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_match import DEFAULT_ZIP, base_documents, ensure_store  # noqa: E402
from trialscout.app import CRITERIA, Trialscout, release_held  # noqa: E402
from trialscout.match import criteria_for, match_study  # noqa: E402
from trialscout.model.compiled import is_compiled  # noqa: E402
from trialscout.model.criteria import Criterion  # noqa: E402
from trialscout.model.match import TrialMatch  # noqa: E402
from trialscout.patient import from_json  # noqa: E402
from trialscout.store import SqliteStore  # noqa: E402

HERE = Path(__file__).resolve().parent


def read_floor(db: Path) -> tuple[float, int]:
    """Seconds to read and decode every study row and its criteria document; their bytes."""
    t0 = time.perf_counter()
    size = 0
    with SqliteStore(db, readonly=True) as store:
        for study, doc in store.conn.execute(
                "SELECT s.json, d.json FROM studies s LEFT JOIN derived d ON d.study_id = s.id AND d.kind = ?",
                (CRITERIA,)):
            json.loads(study)
            size += len(study)
            if doc:
                json.loads(doc)
                size += len(doc)
    return time.perf_counter() - t0, size


def full_path(db: Path, facts: Any) -> tuple[float, dict[str, TrialMatch]]:
    """Every trial evaluated as before compiled criteria: Study and criteria validated, then `match_study`."""
    t0 = time.perf_counter()
    out = {}
    with SqliteStore(db, readonly=True) as store:
        for nct_id in store.nct_ids():
            study = store.get(nct_id)
            doc = store.get_derived(nct_id, CRITERIA)
            stored = doc["criteria"] if is_compiled(doc) else doc
            crits = [_full_criterion(c, study.eligibility_text or "") for c in stored] if stored is not None \
                else criteria_for(study)
            out[nct_id] = match_study(study, facts, criteria=crits)
    return time.perf_counter() - t0, out


def _full_criterion(doc: dict[str, Any], block: str) -> Criterion:
    if "text" not in doc:
        doc = {**doc, "text": block[doc["span"][0]:doc["span"][1]]}
    return Criterion.model_validate(doc)


def match_all(db: Path, facts: Any, top: int | None = 10, workers: int = 1) -> tuple[float, Any]:
    t0 = time.perf_counter()
    with Trialscout(db, hold=False) as ts:
        found = ts.match_all(facts, top=top, workers=workers)
    return time.perf_counter() - t0, found


def held(db: Path, facts: Any, repeat: int, workers: int = 1) -> tuple[float, float, Any]:
    """Seconds of the first call on a kept `Trialscout`, the median of `repeat` calls after it, and the last
    result."""
    release_held()
    with Trialscout(db) as ts:
        t0 = time.perf_counter()
        found = ts.match_all(facts, workers=workers)
        first = time.perf_counter() - t0
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            found = ts.match_all(facts, workers=workers)
            times.append(time.perf_counter() - t0)
    release_held()
    return first, statistics.median(times), found


def check(found: Any, full: dict[str, TrialMatch]) -> list[str]:
    """Differences between match_all and full evaluation (empty when every verdict agrees)."""
    problems = []
    for m in found.shown:
        if m.pruned and full[m.nct_id].eligibility != "ineligible":
            problems.append(f"{m.nct_id}: pruned, but full evaluation says {full[m.nct_id].eligibility}")
        a = {k: v for k, v in m.to_contract().items() if k not in ("score", "relevance")}
        b = {k: v for k, v in full[m.nct_id].to_contract().items() if k not in ("score", "relevance")}
        if not m.pruned and a != b:
            problems.append(f"{m.nct_id}: verdicts differ from full evaluation")
    if [(r.nct_id, r.eligibility, r.counts, r.score) for r in found.ranked] != \
            [(m.nct_id, m.eligibility, m.counts, m.score) for m in found.shown]:
        problems.append("the ranking's verdicts, counts or scores differ from the explained ones")
    if len(found.ranked) != len(full):
        problems.append(f"match_all saw {len(found.ranked)} trials, the store holds {len(full)}")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=HERE / "out" / "sample.db")
    ap.add_argument("--xml-zip", type=Path, default=DEFAULT_ZIP)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--patients", default="0,3,4", help="Indexes into bench_match's base patients.")
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                    help="Processes for the second match_all figure (default: all cores).")
    ap.add_argument("--no-check", action="store_true", help="Skip the full evaluation and the comparison.")
    args = ap.parse_args()
    ensure_store(args.db, args.xml_zip)
    SqliteStore(args.db).close()  # opened for writing once, as ingest does: a store made before keeps no generation
    with SqliteStore(args.db, readonly=True) as store:
        n = store.count()
    print(f"{args.db.name}: {n} trials; python {sys.version.split()[0]}, {len(os.sched_getaffinity(0))} cores, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    docs = base_documents()
    for which in (int(x) for x in args.patients.split(",")):
        facts = from_json(docs[which])
        facts.as_of = facts.as_of or dt.date(2024, 6, 1)
        floor = statistics.median(read_floor(args.db)[0] for _ in range(args.repeat))
        runs = [match_all(args.db, facts) for _ in range(args.repeat)]
        took = statistics.median(t for t, _ in runs)
        shared = statistics.median(match_all(args.db, facts, workers=args.workers)[0] for _ in range(args.repeat))
        held_first, held_one, held_found = held(args.db, facts, args.repeat)
        held_first_n, held_n, _ = held(args.db, facts, args.repeat, workers=args.workers)
        found = match_all(args.db, facts, top=None)[1] if not args.no_check else runs[-1][1]
        verdicts = {e: sum(m.eligibility == e for m in found.ranked) for e in ("eligible", "uncertain", "ineligible")}
        line = (f"patient {which} ({docs[which].get('id')}): match_all median {took:.2f} s "
                f"({found.evaluated} evaluated, {found.pruned} pruned; {verdicts}; top 10 explained); "
                f"with {args.workers} processes {shared:.2f} s ({took / shared:.2f}x one); "
                f"read floor {floor:.2f} s; match_all / read floor {took / floor:.2f}x, with {args.workers} processes "
                f"{shared / floor:.2f}x; held: median {held_one:.2f} s (first call {held_first:.2f} s), with "
                f"{args.workers} processes {held_n:.2f} s (first call {held_first_n:.2f} s); held / read floor "
                f"{held_one / floor:.2f}x, with {args.workers} processes {held_n / floor:.2f}x")
        if held_found.ranked != runs[-1][1].ranked:
            line += "\n    held trials give a different ranking: DIFFER"
        if not args.no_check:
            slow, full = full_path(args.db, facts)
            problems = check(found, full)
            line += (f"; full path {slow:.2f} s ({slow / took:.1f}x match_all); verdict check: "
                     f"{'all ' + str(len(full)) + ' agree' if not problems else str(len(problems)) + ' DIFFER'}")
            for p in problems[:10]:
                line += f"\n    {p}"
        print(line, f"[load {os.getloadavg()[0]:.2f}]", flush=True)


if __name__ == "__main__":
    main()
