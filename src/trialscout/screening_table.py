"""The screening output: a patient x trial table (CSV or JSON lines) that grows by whole patients, with a sidecar
progress file so an interrupted run resumes without duplicate, missing or half-written rows."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from trialscout.errors import TrialscoutError

__all__ = ["COLUMNS", "LIST_SEP", "ResultTable", "ScreeningError", "encode_rows", "table_format"]

COLUMNS = ["patient", "nct_id", "eligibility", "score", "n_pass", "n_fail", "n_unknown", "n_not_computable",
           "failing", "unknown", "n_presumed", "n_not_applicable", "summary", "to_confirm"]
"""Newer columns come last, so scripts that read the older ones by position keep working."""
LIST_SEP = " | "
"""How the failing, unknown and to-confirm criteria are joined in a CSV cell (JSON lines keep them as lists)."""


class ScreeningError(TrialscoutError):
    """A screening run cannot start or resume (bad output path, changed trial selection, no trials)."""


def table_format(path: Path) -> str:
    """`csv` or `jsonl`, from the output's file name."""
    fmt = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(path.suffix.lower())
    if fmt is None:
        raise ScreeningError("the output must end in .csv or .jsonl", where=str(path))
    return fmt


def encode_rows(rows: list[dict[str, Any]], fmt: str) -> bytes:
    """Rows as CSV lines (lists joined by LIST_SEP) or JSON lines; done by the workers, so the writer only writes."""
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    for row in rows:
        writer.writerow({k: LIST_SEP.join(v) if isinstance(v, list) else v for k, v in row.items()})
    return buf.getvalue().encode()


class ResultTable:
    """The output file plus `OUT.progress` (JSON lines: a header naming format and trial fingerprint, then one line
    per committed chunk with the patients completed and the output's length after them)."""

    def __init__(self, path: Path, fingerprint: str, *, resume: bool) -> None:
        self.path, self.fingerprint = path, fingerprint
        self.format = table_format(path)
        self.progress_path = path.with_name(path.name + ".progress")
        self.done: set[str] = set()
        if resume and self.progress_path.exists() and path.exists():
            offset = self._load_progress()
            with path.open("r+b") as f:  # cut anything written after the last committed chunk
                f.truncate(offset)
        elif resume and path.exists() and path.stat().st_size > 0:
            raise ScreeningError("exists and has no screening progress file beside it; choose another output "
                                 "or start over (resume=False / --no-resume)", where=str(path))
        else:
            self._start()
        self.out = path.open("ab")
        self.progress = self.progress_path.open("ab")

    def _start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        header = encode_rows([dict(zip(COLUMNS, COLUMNS, strict=True))], "csv") if self.format == "csv" else b""
        _write_synced(self.path, header, mode="wb")
        meta = {"format": self.format, "trials": self.fingerprint, "columns": COLUMNS, "offset": len(header)}
        _write_synced(self.progress_path, (json.dumps(meta) + "\n").encode(), mode="wb")

    def _load_progress(self) -> int:
        """Patients completed so far, and the output length after them; drops an unfinished last progress line."""
        lines = self.progress_path.read_bytes().split(b"\n")
        try:
            meta = json.loads(lines[0]) if len(lines) > 1 else None
            if not isinstance(meta, dict):
                raise ValueError
            if meta.get("format") != self.format or meta.get("trials") != self.fingerprint:
                raise ScreeningError("was written for another trial selection, store content or policy; choose "
                                     "another output or start over (resume=False / --no-resume)", where=str(self.path))
            if meta.get("columns") != COLUMNS:
                raise ScreeningError("was written by another version, with other columns; choose another output or "
                                     "start over (resume=False / --no-resume)", where=str(self.path))
            offset, good = int(meta["offset"]), len(lines[0]) + 1
            for line in lines[1:-1]:  # the part after the last newline was never finished
                entry = json.loads(line)
                self.done.update(entry["done"])
                offset, good = int(entry["offset"]), good + len(line) + 1
        except (ValueError, KeyError, TypeError):
            raise ScreeningError("progress file is damaged; start over (resume=False / --no-resume)",
                                 where=str(self.progress_path)) from None
        with self.progress_path.open("r+b") as f:
            f.truncate(good)
        return offset

    def commit(self, data: bytes, done: list[str]) -> None:
        """Append whole patients' encoded rows, make them durable, then record those patients as complete."""
        _sync(self.out, data)
        entry = {"done": done, "offset": self.out.tell()}
        _sync(self.progress, (json.dumps(entry, ensure_ascii=False) + "\n").encode())
        self.done.update(done)

    def close(self) -> None:
        self.out.close()
        self.progress.close()


def _sync(f: Any, data: bytes) -> None:
    f.write(data)
    f.flush()
    os.fsync(f.fileno())


def _write_synced(path: Path, data: bytes, *, mode: str) -> None:
    with path.open(mode) as f:
        _sync(f, data)
