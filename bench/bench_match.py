"""Matching speed: patient x trial evaluations per second, time to rank every stored trial for one patient, and
cohort screening throughput (1,000 patients x 1,000 trials) on all local cores against a single-core run.

(a) evaluations/s - one process, trials and their stored criteria already in memory, no I/O in the loop;
(b) rank all    - one patient against every trial of the XML sample store, sorted best first: cold (read each
                  study and its stored criteria from SQLite, then match) and warm (trials already in memory);
                  `Trialscout.match` (search candidates, then evaluation, top 10) for reference;
(c) screening   - `trialscout.screening.screen` end to end (patients parsed, rows written to CSV) for 1,000
                  generated patients x 1,000 stored trials on all local cores, and a single-core run of a fixed
                  fraction of the patients in the same run (the full single-core run takes too long); rates compared.
The store defaults to bench/out/sample.db (built from the XML sample when missing, as bench_ingest.py does);
structured criteria are derived into it when it was built without them.
Usage: python bench/bench_match.py [--db PATH] [--patients 1000] [--trials 1000] [--single-fraction 0.1] [--dask]
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
from typing import Any

from trialscout.app import CRITERIA, CRITERIA_ENGINE, Trialscout, compiled_trial, current_compiled, derive_criteria
from trialscout.ingest import ingest
from trialscout.match import match_trial
from trialscout.model.compiled import CompiledTrial
from trialscout.patient import from_json
from trialscout.screening import TrialSelection, screen
from trialscout.store import SqliteStore, StudyFilters

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_ZIP = REPO.parent / "shared/data/ctgov-xml/AllPublicXML-sample.zip"
BASE_PATIENTS = [REPO / "tests/fixtures/cohort/patients/breast_her2.json",
                 REPO / "tests/fixtures/cohort/patients/ovarian_frail.json",
                 REPO / "tests/fixtures/patients/valid.json"]
EXTRA_BASES: list[dict[str, Any]] = [
    {"id": "lung", "as_of": "2024-06-01", "age": 63, "sex": "male",
     "diagnoses": [{"name": "non-small cell lung cancer", "histology": "adenocarcinoma", "stage": "IVA",
                    "setting": ["metastatic"], "metastatic_sites": ["bone", "brain"]}],
     "biomarkers": [{"name": "EGFR", "status": "mutated", "variant": "exon 19 deletion"},
                    {"name": "PD-L1", "score": 60, "score_type": "TPS"}],
     "labs": [{"analyte": "platelets", "value": 190, "unit": "10^9/L"}, {"analyte": "ANC", "value": 3.2,
              "unit": "10^9/L"}, {"analyte": "creatinine", "value": 1.1, "unit": "mg/dL"},
              {"analyte": "ast", "value": 35, "unit": "U/L"}, {"analyte": "hemoglobin", "value": 11.5, "unit": "g/dL"}],
     "performance_status": [{"scale": "ECOG", "value": 1}],
     "prior_therapies": [{"agent": "osimertinib", "start": "2023-01-10", "line": 1, "response": "PD"}]},
    {"id": "crc", "as_of": "2024-06-01", "age": 55, "sex": "female",
     "diagnoses": [{"name": "colorectal adenocarcinoma", "stage": "IV", "setting": ["metastatic"],
                    "metastatic_sites": ["liver"]}],
     "biomarkers": [{"name": "KRAS", "status": "mutated", "variant": "G12D"}, {"name": "MSI", "status": "stable"}],
     "labs": [{"analyte": "platelets", "value": 240, "unit": "10^9/L"}, {"analyte": "bilirubin_total", "value": 1.0,
              "unit": "mg/dL"}, {"analyte": "creatinine", "value": 70, "unit": "umol/L"}],
     "performance_status": [{"scale": "ECOG", "value": 0}],
     "prior_therapies": [{"agent": "FOLFOX", "start": "2022-05-01", "end": "2022-12-01", "line": 1}]},
]


# ---- the store -------------------------------------------------------------------------------------------------

def ensure_store(db: Path, xml_zip: Path) -> None:
    """Build the store from the XML sample when missing; derive structured criteria when it has none."""
    if not db.exists():
        print(f"building {db} from {xml_zip.name} (about 2 min) ...", flush=True)
        db.parent.mkdir(parents=True, exist_ok=True)
        with SqliteStore(db) as store:
            ingest(store, [xml_zip], derive=derive_criteria)
        return
    with SqliteStore(db) as store:
        stale = [nct for nct, docs in store.derived_where(StudyFilters(), (CRITERIA, CRITERIA_ENGINE))
                 if current_compiled(docs) is None]
        if not stale:
            return
        print(f"deriving compiled criteria for {len(stale)} stored trials (stored by another engine or none) ...",
              flush=True)
        ids = dict(store.conn.execute("SELECT nct_id, id FROM studies"))
        with store.transaction():
            for nct_id in stale:
                for kind, doc in derive_criteria(store.get(nct_id)).items():
                    store.put_derived(ids[nct_id], kind, doc)


def load_trials(db: Path, nct_ids: list[str]) -> list[CompiledTrial]:
    """The trials as matching reads them: compiled at ingest, or parsed now when stored by another engine."""
    with SqliteStore(db, readonly=True) as store:
        return [compiled_trial(store, i) for i in nct_ids]


# ---- patients --------------------------------------------------------------------------------------------------

def base_documents() -> list[dict[str, Any]]:
    docs = [json.loads(p.read_text()) for p in BASE_PATIENTS]
    for d in docs:
        d.pop("$schema", None)
    return docs + copy.deepcopy(EXTRA_BASES)


def variant(base: dict[str, Any], i: int) -> dict[str, Any]:
    """The i-th deterministic variation of a base patient: age, lab values and ECOG moved."""
    doc = copy.deepcopy(base)
    doc["id"] = f"bench-{i:05d}"
    doc.pop("birth_date", None)
    doc["age"] = 30 + (i * 7) % 55
    for k, lab in enumerate(doc.get("labs", [])):
        lab["value"] = round(lab["value"] * (0.4 + ((i * (k + 3)) % 13) / 10), 3)
    for ps in doc.get("performance_status", []):
        if ps.get("scale", "ECOG") == "ECOG":
            ps["value"] = i % 4
    return doc


def write_cohort(path: Path, n: int) -> list[dict[str, Any]]:
    bases = base_documents()
    docs = [variant(bases[i % len(bases)], i) for i in range(n)]
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return docs


def pick_trials(db: Path, n: int, seed: int = 5) -> list[str]:
    with SqliteStore(db, readonly=True) as store:
        ids = store.nct_ids()
    return sorted(random.Random(seed).sample(ids, min(n, len(ids))))


# ---- the measurements ------------------------------------------------------------------------------------------

def evaluations_per_second(trials: list[CompiledTrial], facts: list, repeat: int) -> None:
    pairs = len(trials) * len(facts)
    criteria = sum(len(t.criteria) for t in trials) * len(facts)
    rates = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for f in facts:
            for trial in trials:
                match_trial(trial, f)
        rates.append(pairs / (time.perf_counter() - t0))
    rate = statistics.median(rates)
    print(f"(a) evaluations: {len(facts)} patients x {len(trials)} trials, median of {repeat}: {rate:,.0f} pairs/s "
          f"({rate * criteria / pairs:,.0f} criteria/s, {1e6 / rate:.0f} us per pair), single process", flush=True)


def rank_all(db: Path, facts: Any, repeat: int) -> None:
    with SqliteStore(db, readonly=True) as store:
        ids = store.nct_ids()
    cold, warm = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        trials = load_trials(db, ids)
        t1 = time.perf_counter()
        ranked = sorted((match_trial(t, facts) for t in trials), key=lambda m: (-m.score, m.nct_id))
        t2 = time.perf_counter()
        cold.append(t2 - t0)
        warm.append(t2 - t1)
    with Trialscout(db) as ts:
        ts.match(facts, top=10)
        lat = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            ts.match(facts, top=10)
            lat.append(time.perf_counter() - t0)
    counts = {e: sum(m.eligibility == e for m in ranked) for e in ("eligible", "uncertain", "ineligible")}
    print(f"(b) rank all {len(ids)} stored trials for one patient, median of {repeat}: cold (read from SQLite + match "
          f"+ sort) {statistics.median(cold):.2f} s; warm (trials in memory) {statistics.median(warm):.2f} s; "
          f"verdicts {counts}", flush=True)
    print(f"    reference: Trialscout.match (search 200 candidates, evaluate, top 10) median "
          f"{statistics.median(lat) * 1000:.0f} ms", flush=True)


def screening_throughput(db: Path, out: Path, n_patients: int, n_trials: int, fraction: float, repeat: int,
                         dask: bool) -> None:
    cohort = out / f"cohort-{n_patients}.ndjson"
    docs = write_cohort(cohort, n_patients)
    part = out / f"cohort-{n_patients}-part.ndjson"
    n_part = max(1, round(n_patients * fraction))
    part.write_text("".join(json.dumps(d) + "\n" for d in docs[:n_part]), encoding="utf-8")
    selection = TrialSelection(nct_ids=tuple(pick_trials(db, n_trials)))
    cores = len(os.sched_getaffinity(0))

    def run(source: Path, workers: int | None, name: str, cluster: str | None = None) -> float:
        rates = []
        print(f"    [load average before: {os.getloadavg()[0]:.1f}]", flush=True)
        for _ in range(repeat):
            r = screen(source, selection, out / name, db=db, workers=workers, cluster=cluster, resume=False)
            assert not r.bad and r.rows == r.screened * r.trials
            rates.append(r.rows / r.seconds)
        return statistics.median(rates)

    print(f"(c) screening {n_patients} patients x {len(selection.nct_ids)} trials (CSV out), median of {repeat}:",
          flush=True)
    single = run(part, 1, "screen-single.csv")
    print(f"    single core, {n_part} patients ({fraction:.0%} of the cohort, measured as a fixed fraction: the full "
          f"single-core run would take ~{n_patients * len(selection.nct_ids) / single / 60:.0f} min): "
          f"{single:,.0f} pairs/s", flush=True)
    multi = run(cohort, None, "screen-all.csv")
    print(f"    all {cores} local cores, all {n_patients} patients: {multi:,.0f} pairs/s "
          f"({n_patients * len(selection.nct_ids) / multi:.0f} s for the whole table)", flush=True)
    print(f"    ratio all cores / single core: {multi / single:.2f}x on {cores} cores", flush=True)
    if dask:
        from dask.distributed import LocalCluster

        with LocalCluster(n_workers=cores, threads_per_worker=1, dashboard_address=None) as cluster:
            rate = run(part, None, "screen-dask.csv", cluster.scheduler_address)
        print(f"    Dask LocalCluster ({cores} worker processes), the same {n_part} patients: {rate:,.0f} pairs/s "
              f"({rate / single:.2f}x single core)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=HERE / "out" / "sample.db")
    ap.add_argument("--xml-zip", type=Path, default=DEFAULT_ZIP)
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--single-fraction", type=float, default=0.1)
    ap.add_argument("--repeat", type=int, default=3, help="Rounds for (a) and (b).")
    ap.add_argument("--screen-repeat", type=int, default=1, help="Rounds for (c).")
    ap.add_argument("--skip", default="", help="Comma-separated parts to skip: a, b, c.")
    ap.add_argument("--dask", action="store_true", help="(c) also on a Dask LocalCluster, for the fraction cohort.")
    args = ap.parse_args()
    ensure_store(args.db, args.xml_zip)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    skip = set(args.skip.split(","))
    bases = [from_json(d) for d in base_documents()]
    for f in bases:
        f.as_of = f.as_of or dt.date(2024, 6, 1)
    print(f"{args.db.name}: python {sys.version.split()[0]}, {len(os.sched_getaffinity(0))} cores, load average "
          f"{os.getloadavg()[0]:.1f} (other work on the machine skews every figure below)", flush=True)
    if "a" not in skip:
        evaluations_per_second(load_trials(args.db, pick_trials(args.db, args.trials)), bases, args.repeat)
    if "b" not in skip:
        rank_all(args.db, bases[0], args.repeat)
    if "c" not in skip:
        screening_throughput(args.db, out, args.patients, args.trials, args.single_fraction, args.screen_repeat,
                             args.dask)


if __name__ == "__main__":
    main()
