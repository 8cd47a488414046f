"""REST API and web page throughput and latency: requests/s and p50/p95 for `GET /api/v2/studies`,
`POST /api/match`, and the web pages `GET /search` (with facets), `GET /studies/{nctId}` and `POST /match`.

A real `trialscout serve` process on a free loopback port is loaded by a bounded loop of httpx requests from a
few client threads (no system load generator needed). The baseline measured in the same run is the same work
called in-process through the library (one thread, no HTTP), so the figures show what the HTTP layer costs.
Usage: python bench/bench_api.py [--db FILE] [--threads 4] [--searches 400] [--matches 40]
(default store: the bundled sample, ingested into a temporary directory first).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from trialscout.app import Trialscout, derive_criteria
from trialscout.ingest import ingest
from trialscout.patient import load_patient
from trialscout.search.request import request_from_params, run
from trialscout.store import SqliteStore

CONDITIONS = ["breast cancer", "lung cancer", "melanoma", "leukemia", "lymphoma", "colorectal cancer",
              "prostate cancer", "ovarian cancer", "glioblastoma", "myeloma", "pancreatic cancer", "sarcoma"]
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "patients"


def search_params() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, cond in enumerate(CONDITIONS):
        params: dict[str, Any] = {"query.cond": cond, "pageSize": 10}
        if i % 3 == 1:
            params["filter.overallStatus"] = "RECRUITING|COMPLETED"
        if i % 3 == 2:
            params["fields"] = "NCTId,BriefTitle,OverallStatus"
        out.append(params)
    return out


def patient_bodies() -> list[dict[str, Any]]:
    demo = Path(str(resources.files("trialscout").joinpath("data/demo-note.txt"))).read_text("utf-8")
    return [{"note": demo}, {"note": (FIXTURES / "note_onc.txt").read_text("utf-8")},
            json.loads((FIXTURES / "valid.json").read_text("utf-8")),
            json.loads((FIXTURES / "bundle_crc.json").read_text("utf-8"))]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def report(name: str, lat_ms: list[float], wall_s: float) -> None:
    print(f"  {name:<34} {len(lat_ms) / wall_s:8.1f} req/s   p50 {statistics.median(lat_ms):8.1f} ms   "
          f"p95 {pct(lat_ms, 95):8.1f} ms   ({len(lat_ms)} requests)")


def load(n: int, threads: int, call: Callable[[httpx.Client, int], httpx.Response]) -> tuple[list[float], float]:
    """`n` requests spread over `threads` clients; each answer must be 200."""
    def worker(k: int) -> list[float]:
        lat = []
        with httpx.Client(timeout=120) as client:
            for i in range(k, n, threads):
                t0 = time.perf_counter()
                r = call(client, i)
                lat.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    raise SystemExit(f"HTTP {r.status_code}: {r.text[:200]}")
        return lat

    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        lat = [x for part in pool.map(worker, range(threads)) for x in part]
    return lat, time.perf_counter() - t0


def in_process(n: int, call: Callable[[int], object]) -> tuple[list[float], float]:
    lat, t_all = [], time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        call(i)
        lat.append((time.perf_counter() - t0) * 1000)
    return lat, time.perf_counter() - t_all


def start_server(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", "from trialscout.cli import app; app()", "serve", "--port",
                             str(port), "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def baseline(db: Path, params: list[dict[str, Any]], bodies: list[dict[str, Any]], args: argparse.Namespace) -> None:
    facts = [load_patient(json.dumps(b) if "note" not in b else b["note"]) for b in bodies]
    with Trialscout(db) as ts:
        lat, wall = in_process(args.searches // 4, lambda i: [ts.store.get_json(h.nct_id) for h in run(
            ts.store, request_from_params(params[i % len(params)])).hits])
        report("library search (1 thread, no HTTP)", lat, wall)
        lat, wall = in_process(max(4, args.matches // 4), lambda i: ts.match(facts[i % len(facts)], top=10))
        report("library match (1 thread, no HTTP)", lat, wall)


def bench(db: Path, args: argparse.Namespace) -> None:
    params, bodies = search_params(), patient_bodies()
    with SqliteStore(db, readonly=True) as store:
        print(f"{db.name}: {store.count()} studies; {args.threads} client threads on loopback")
    baseline(db, params, bodies, args)
    proc, base = start_server(db)
    try:
        load(len(params), 1, lambda c, i: c.get(f"{base}/api/v2/studies", params=params[i]))  # warm up
        lat, wall = load(args.searches, args.threads,
                         lambda c, i: c.get(f"{base}/api/v2/studies", params=params[i % len(params)]))
        report("GET /api/v2/studies", lat, wall)
        lat, wall = load(args.matches, args.threads,
                         lambda c, i: c.post(f"{base}/api/match", json=bodies[i % len(bodies)], params={"top": 10}))
        report("POST /api/match (top 10)", lat, wall)
        web_pages(base, params, bodies, args)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def web_pages(base: str, params: list[dict[str, Any]], bodies: list[dict[str, Any]],
              args: argparse.Namespace) -> None:
    """The HTML pages a person uses: search with facet counts, a trial page (criteria, related), a match."""
    words = [p["query.cond"] for p in params]
    ids = [s["protocolSection"]["identificationModule"]["nctId"] for s in httpx.get(
        f"{base}/api/v2/studies", params={"pageSize": 50, "fields": "NCTId"}).json()["studies"]]
    same_site = {"origin": base, "sec-fetch-site": "same-origin"}
    notes = [b["note"] for b in bodies if "note" in b]
    lat, wall = load(args.searches // 2, args.threads,
                     lambda c, i: c.get(f"{base}/search", params={"q": words[i % len(words)]}))
    report("GET /search (page, facets)", lat, wall)
    lat, wall = load(args.searches // 2, args.threads, lambda c, i: c.get(f"{base}/studies/{ids[i % len(ids)]}"))
    report("GET /studies/{nctId} (page)", lat, wall)
    lat, wall = load(args.matches, args.threads, lambda c, i: c.post(
        f"{base}/match", data={"note": notes[i % len(notes)], "top": "10"}, headers=same_site))
    report("POST /match (page, top 10)", lat, wall)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, help="an existing store (default: the bundled sample, ingested first)")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--searches", type=int, default=400)
    ap.add_argument("--matches", type=int, default=40)
    args = ap.parse_args()
    if args.db:
        bench(args.db, args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench-api.db"
        with SqliteStore(db) as store:
            ingest(store, [Path(str(resources.files("trialscout").joinpath("data/sample-oncology.zip")))],
                   derive=derive_criteria)
        bench(db, args)


if __name__ == "__main__":
    main()
