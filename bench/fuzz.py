"""Fuzz every reader and the patient endpoints with mutated real inputs for a set time, and count what happened.

Each case is a real input (a v2 JSON study or page, a legacy XML record, a registry page, a patient JSON document,
a FHIR Bundle, a clinical note) put through one to three random mutations: structural ones (a value replaced by an
odd one, a key deleted, a value swapped with another from the same document, a subtree nested deeply) and
byte-level ones (bytes flipped, cut, duplicated, nasty tokens inserted: 5,000-digit integers, 2,000 brackets,
NaN, lone surrogates, undefined entities, NUL bytes, ...). Then it goes through the real path:
- readers: `ingest` into a real SQLite store with criteria derived, and the `convert` rendering of each record;
- patients: `load_patient`, then a match against the stored trials;
- endpoints: `POST /api/match`, `/api/screen`, `/match` and `/match/{nctId}` on the real app (in process).

Outcomes per case: `ok` (read or stored), `clean` (refused with our own error, or reported as a rejected
record, or a 4xx answer), `uncaught` (any other exception, or a 5xx), `crash` (the worker process died: a
segfault), `hang` (no answer in --case-timeout seconds). Workers run in child processes so that a crash is
counted, not fatal; the case that crashed is saved under --out.

    python bench/fuzz.py --minutes 30 --workers 2          # the long run (`make fuzz` runs 10 minutes)
    python bench/fuzz.py --minutes 1 --targets xml,note    # a quick look at some targets
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import os
import random
import select
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TARGETS = ("v2-json", "xml", "page", "patient-json", "fhir", "note", "api")

NASTY: tuple[bytes, ...] = (
    b"1" + b"0" * 5000, b"-1" + b"0" * 30, b"1e999", b"-0", b"NaN", b"-Infinity", b"[" * 2000, b"{\"a\":" * 300,
    b'"\\ud800"', b"\x00", b"\xff\xfe", b"\xc3\x28", b"&x;", b"&amp;", b"]]>", b"<![CDATA[", b"</", b"<a>",
    b"<!DOCTYPE clinical_study SYSTEM \"x.dtd\">", b"\xe2\x80\xae", "😀".encode(), b"A" * 100_000, b'""', b"null",
    b"true", b"\"", b",", b":", b"}", b"]", b"\\", b"\r\n", b"\t", b"NCT00000000", b"2024-02-30", b"-5 years",
)
ODD_VALUES: tuple[Any, ...] = (
    None, 0, -1, 1.5, 1e308, -1e-308, True, "", " ", "A" * 10_000, "NCT1", "2024-13-45", "ad", "<=", "unknown",
    [], {}, [None], {"": None}, "\u202e\u0000", "😀", 10**30, -(10**30), "1e9/L", "999999999999 years",
)


# ---------------------------------------------------------------------------------------------- seeds


def seeds(data: Path, seeds_dir: Path) -> dict[str, list[tuple[str, bytes]]]:
    """The real inputs each target starts from: (file name, bytes)."""
    def read(paths: list[Path]) -> list[tuple[str, bytes]]:
        return [(p.name, p.read_bytes()) for p in paths if p.is_file()]

    v2 = read(sorted((data / "ctgov-v2-json").glob("*.json")))
    page = json.dumps({"studies": [json.loads(b) for _, b in v2[:4]], "nextPageToken": "x"}).encode()
    fixtures = ROOT / "tests" / "fixtures"
    patients = sorted((fixtures / "patients").glob("*.json")) + sorted((fixtures / "cohort" / "patients").glob(
        "*.json")) + sorted((fixtures / "vignettes" / "patients").glob("*.json"))
    return {
        "v2-json": [*v2, ("page.json", page),
                    ("studies.ndjson", b"\n".join(json.dumps(json.loads(b)).encode() for _, b in v2[:3]))],
        "xml": read(sorted((fixtures / "xml").glob("*.xml"))),
        "page": read(sorted(seeds_dir.glob("*.txt")) + sorted((fixtures / "pages").rglob("*.txt"))[:10]),
        "patient-json": [s for s in read(patients) if b'"resourceType"' not in s[1]],
        "fhir": read(sorted((data / "fhir-mcode").glob("*.json"))[:12]) + [s for s in read(patients)
                                                                            if b'"Bundle"' in s[1]],
        "note": read(sorted((fixtures / "notes").glob("*.txt")) + sorted((fixtures / "patients").glob("*.txt"))),
    }


# ---------------------------------------------------------------------------------------------- mutations


def mutate(rng: random.Random, data: bytes) -> bytes:
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        data = rng.choice((_structural, _structural, _structural, _bytes, _bytes, _truncate))(rng, data)
    return data


def _structural(rng: random.Random, data: bytes) -> bytes:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return _bytes(rng, data)
    spots = list(_containers(doc))
    if not spots:
        return _bytes(rng, data)
    parent, key = rng.choice(spots)
    action = rng.random()
    if action < 0.25:
        parent[key] = rng.choice(ODD_VALUES)
    elif action < 0.45:
        parent[key] = same_kind_extreme(rng, parent[key])
    elif action < 0.65:
        del parent[key]
    elif action < 0.85:
        other_parent, other_key = rng.choice(spots)
        parent[key] = other_parent[other_key] if other_parent is not parent or other_key != key else None
    else:
        value: Any = parent[key]
        for _ in range(rng.choice((70, 300, 1500))):
            value = [value] if rng.random() < 0.5 else {"x": value}
        parent[key] = value
    try:
        return json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        return data


EXTREMES: dict[type, tuple[Any, ...]] = {
    int: (0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 10**99),
    float: (0.0, -0.0, 1e308, -1e308, 5e-324, 1e16 + 1),
    str: ("", " ", "A" * 20_000, "\u0000", "\ufeff", "<script>", "0", "-1", "1e999", "NCT", "2024-02-30", "9999-12-31",
          "0001-01-01", "18", "years", "ab" * 3000),
    bool: (True, False),
    list: ([], [None], [[]], [{}] * 50),
    dict: ({}, {"": ""}),
}
"""Values of the same JSON kind as the one they replace, at the edges: they pass type checks and reach the code
behind them (an enrollment of 10^30 once reached SQLite that way)."""


def same_kind_extreme(rng: random.Random, value: Any) -> Any:
    return rng.choice(EXTREMES.get(type(value), (None,)))


def _containers(doc: Any, limit: int = 5000) -> Any:
    """(container, key) for every value in the document (lists by index, dicts by key), breadth first."""
    queue, seen = [doc], 0
    while queue and seen < limit:
        node = queue.pop(0)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in list(items):
            seen += 1
            yield node, k
            if isinstance(v, dict | list):
                queue.append(v)


def _bytes(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return rng.choice(NASTY)
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.randint(1, 64))
    action = rng.random()
    if action < 0.3:
        return data[:i] + rng.choice(NASTY) + data[i:]
    if action < 0.5:
        return data[:i] + bytes(rng.randrange(256) for _ in range(j - i)) + data[j:]
    if action < 0.7:
        return data[:i] + data[j:]
    if action < 0.85:
        return data[:j] + data[i:j] * rng.randint(2, 50) + data[j:]
    return data[:i] + rng.choice(NASTY) + data[j:]


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


# ---------------------------------------------------------------------------------------------- the worker


class Worker:
    """Runs cases in this process: real store, real app; returns (outcome, detail) per case."""

    def __init__(self, workdir: Path, data: Path, seeds_dir: Path) -> None:
        from trialscout.app import derive_criteria
        from trialscout.ingest import ingest
        from trialscout.store import SqliteStore

        self.workdir, self.seeds = workdir, seeds(data, seeds_dir)
        self.store = SqliteStore(workdir / "fuzz.db")
        self._ingest, self._derive = ingest, derive_criteria
        ingest(self.store, [_small_sample(workdir)], derive=derive_criteria)
        self.client = self._client()
        self.trial = next(iter(self.store.nct_ids()), "NCT00000000")

    def _client(self) -> Any:
        from fastapi.testclient import TestClient

        from trialscout.api import ApiSettings, create_app

        return TestClient(create_app(ApiSettings(db=self.workdir / "fuzz.db", patient_timeout=60.0)),
                          raise_server_exceptions=False)

    def case(self, target: str, rng: random.Random) -> tuple[str, bytes]:
        pool = self.seeds["patient-json" if target == "api" else target]
        if target == "api":
            pool = pool + self.seeds["fhir"][:4]
        name, data = rng.choice(pool)
        return name, mutate(rng, data)

    def run(self, target: str, name: str, data: bytes) -> tuple[str, str]:
        try:
            if target in ("v2-json", "xml", "page"):
                return self._reader(name, data)
            if target == "api":
                return self._api(data)
            return self._patient(name, data)
        except Exception as exc:  # the point of the run: anything here is a finding
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            return "uncaught", f"{type(exc).__name__}: {str(exc)[:120]} @ {Path(frame.filename).name}:{frame.lineno}"

    def _reader(self, name: str, data: bytes) -> tuple[str, str]:
        from trialscout.sources import iter_items

        path = self.workdir / "case" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        report = self._ingest(self.store, [path], derive=self._derive)
        for item in iter_items([path]):  # what `convert` prints
            if item.study is not None:
                json.dumps(item.study.to_v2(), ensure_ascii=False)
        return ("clean", f"{report.rejected} rejected") if report.rejected else ("ok", f"{report.read} read")

    def _patient(self, name: str, data: bytes) -> tuple[str, str]:
        from trialscout.app import Trialscout
        from trialscout.errors import TrialscoutError
        from trialscout.patient import load_patient

        path = self.workdir / "case" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        try:
            facts = load_patient(path)
        except TrialscoutError as exc:
            return "clean", type(exc).__name__
        Trialscout(store=self.store).match(facts, nct_ids=[self.trial], top=1)
        return "ok", "loaded and matched"

    def _api(self, data: bytes) -> tuple[str, str]:
        headers = {"content-type": "application/json"}
        text = data.decode("utf-8", "replace")
        answers = [
            self.client.post("/api/match", content=data, headers=headers, params={"trials": self.trial}),
            self.client.post("/api/screen", content=b'{"trials": ["' + self.trial.encode() + b'"], "patients": ['
                             + data + b"]}", headers=headers),
            self.client.post("/match", data={"note": text[:20_000], "trials": self.trial}),
            self.client.post(f"/match/{self.trial}", data={"patient": text[:20_000]}),
        ]
        codes = [a.status_code for a in answers]
        if any(c >= 500 for c in codes):
            return "uncaught", f"HTTP {codes}"
        return ("clean", f"HTTP {codes}") if any(c >= 400 for c in codes) else ("ok", f"HTTP {codes}")


def _small_sample(workdir: Path, n: int = 40) -> Path:
    """The first `n` records of the bundled sample, so that a (re)started worker is ready in seconds."""
    import zipfile

    out = workdir / "sample.zip"
    with zipfile.ZipFile(ROOT / "src" / "trialscout" / "data" / "sample-oncology.zip") as src, \
            zipfile.ZipFile(out, "w") as dst:
        for name in [m for m in src.namelist() if not m.endswith("/")][:n]:
            dst.writestr(name, src.read(name))
    return out


def worker_main(args: argparse.Namespace) -> None:
    """Read `target seed` lines on stdin, answer one JSON line each (the parent times and watches us)."""
    workdir = Path(tempfile.mkdtemp(prefix="fuzz-worker-"))
    with contextlib.redirect_stdout(io.StringIO()):
        worker = Worker(workdir, Path(args.data), Path(args.seeds))
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        target, seed = line.split()
        rng = random.Random(int(seed))
        name, data = worker.case(target, rng)
        (Path(args.out) / f"current-{os.getpid()}.bin").write_bytes(data)
        with contextlib.redirect_stdout(io.StringIO()):
            outcome, detail = worker.run(target, name, data)
        print(json.dumps({"outcome": outcome, "detail": detail}), flush=True)


# ---------------------------------------------------------------------------------------------- the parent


class Child:
    def __init__(self, args: argparse.Namespace) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", "--data", args.data, "--seeds", args.seeds, "--out", args.out],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.ready = json.loads(self._line(600) or "{}").get("ready", False)

    def _line(self, timeout: float) -> str | None:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if ready else None  # type: ignore[union-attr]

    def ask(self, target: str, seed: int, timeout: float) -> dict[str, str]:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(f"{target} {seed}\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return {"outcome": "crash", "detail": f"exit {self.proc.wait()}"}
        line = self._line(timeout)
        if line:
            return json.loads(line)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            return {"outcome": "hang", "detail": f"no answer in {timeout:.0f} s"}
        return {"outcome": "crash", "detail": f"exit {self.proc.returncode}"}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def run(args: argparse.Namespace) -> int:
    targets = [t for t in args.targets.split(",") if t]
    unknown = set(targets) - set(TARGETS)
    if unknown:
        sys.exit(f"unknown targets {sorted(unknown)}; choose from {', '.join(TARGETS)}")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    pools = seeds(Path(args.data), Path(args.seeds))
    pools["api"] = pools["patient-json"] + pools["fhir"][:4]
    empty = [t for t in targets if not pools[t]]
    if empty:
        sys.exit(f"no real inputs to start from for {', '.join(empty)}: check --data {args.data} and --seeds")
    print("real inputs mutated: " + ", ".join(f"{t} {len(pools[t])}" for t in targets), flush=True)
    deadline = time.monotonic() + args.minutes * 60
    counts: dict[str, Counter[str]] = {t: Counter() for t in targets}
    findings: dict[tuple[str, str, str], int] = {}
    seeds_iter = itertools.count(args.seed)

    def one_worker(index: int) -> None:
        child = Child(args)
        while time.monotonic() < deadline:
            seed = next(seeds_iter)
            target = targets[seed % len(targets)]
            answer = child.ask(target, seed, args.case_timeout)
            counts[target][answer["outcome"]] += 1
            if answer["outcome"] in ("uncaught", "crash", "hang"):
                key = (target, answer["outcome"], answer["detail"].split(" @ ")[-1][:200])
                findings[key] = findings.get(key, 0) + 1
                if findings[key] == 1:
                    crashed = Path(args.out) / f"current-{child.proc.pid}.bin"
                    if crashed.exists():
                        crashed.rename(Path(args.out) / f"{target}-{answer['outcome']}-{seed}.bin")
                    print(f"  {target} seed {seed}: {answer['outcome']}: {answer['detail']}", flush=True)
            if answer["outcome"] in ("crash", "hang"):
                child.stop()
                child = Child(args)
        child.stop()

    import threading

    started = time.monotonic()
    threads = [threading.Thread(target=one_worker, args=(i,)) for i in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report(counts, findings, time.monotonic() - started, args)
    bad = sum(c[o] for c in counts.values() for o in ("uncaught", "crash", "hang"))
    return 1 if bad else 0


def report(counts: dict[str, Counter[str]], findings: dict[tuple[str, str, str], int], seconds: float,
           args: argparse.Namespace) -> None:
    print(f"\nfuzz: {seconds / 60:.1f} min, {args.workers} worker process(es), seed {args.seed}")
    print(f"{'target':<14}{'cases':>8}{'ok':>8}{'clean':>8}{'uncaught':>10}{'crash':>7}{'hang':>6}")
    total: Counter[str] = Counter()
    for target, c in counts.items():
        total.update(c)
        print(f"{target:<14}{sum(c.values()):>8}{c['ok']:>8}{c['clean']:>8}{c['uncaught']:>10}{c['crash']:>7}"
              f"{c['hang']:>6}")
    print(f"{'all':<14}{sum(total.values()):>8}{total['ok']:>8}{total['clean']:>8}{total['uncaught']:>10}"
          f"{total['crash']:>7}{total['hang']:>6}")
    for (target, outcome, where), n in sorted(findings.items(), key=lambda kv: -kv[1]):
        print(f"  {n:>5} × {target} {outcome}: {where}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000 * 1000)
    parser.add_argument("--case-timeout", type=float, default=120.0)
    parser.add_argument("--data", default=str(SHARED / "data"), help="../shared/data (real records, FHIR)")
    parser.add_argument("--seeds", default=str(SHARED / "seeds"), help="../shared/seeds (registry pages)")
    parser.add_argument("--out", default=str(ROOT / "var" / "fuzz"), help="where crashing cases are saved")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args)
        return 0
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())

