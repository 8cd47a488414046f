"""Criterion-level annotations (patient note x criterion x expert label): TrialGPT's JSON, or a CSV of its columns."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialscout.errors import TrialscoutError

LABELS = ("included", "not included", "excluded", "not excluded", "not enough information", "not applicable")
"""The expert's answers: inclusion -> included / not included; exclusion -> excluded / not excluded; either ->
not enough information / not applicable."""
REQUIRED = ("patient_id", "note", "criterion_type", "criterion_text", "expert_eligibility")
"""Columns every row must have. Optional: trial_id, expert_sentences (note sentence numbers the expert used, as
"[0, 2]" or "0 2"), gpt4_eligibility (another system's answer, scored beside ours), annotation_id."""
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Annotation:
    row: int
    """1-based position in the file (a CSV's line number minus the header)."""
    patient_id: str
    note: str
    trial_id: str
    criterion_type: str
    criterion_text: str
    expert: str
    expert_sentences: tuple[int, ...]
    other: str | None
    """Another system's answer on the row (TrialGPT's GPT-4), when the file has one."""


def read_annotations(path: str | Path) -> list[Annotation]:
    """Every row of an annotation file (`.json`: an array of objects; `.csv`: a header row, then rows).
    Raises TrialscoutError naming the file and row for a missing column, an unknown type or label."""
    path = Path(path)
    if not path.is_file():
        raise TrialscoutError("no such file", where=str(path))
    rows = _csv_rows(path) if path.suffix.lower() == ".csv" else _json_rows(path)
    out = [_annotation(path, i, r) for i, r in enumerate(rows, start=1)]
    if not out:
        raise TrialscoutError("no annotation rows", where=str(path))
    return out


def _json_rows(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TrialscoutError(f"not a JSON file: {exc}", where=str(path)) from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise TrialscoutError("expected a JSON array of objects (one per annotated criterion)", where=str(path))
    return data


def _csv_rows(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise TrialscoutError(f"not a readable CSV file: {exc}", where=str(path)) from None


def _annotation(path: Path, i: int, r: dict[str, Any]) -> Annotation:
    where = f"{path}: row {i}"
    missing = [k for k in REQUIRED if not str(r.get(k) or "").strip()]
    if missing:
        raise TrialscoutError(f"missing {', '.join(missing)}", where=where)
    ctype = str(r["criterion_type"]).strip().lower()
    if ctype not in ("inclusion", "exclusion"):
        raise TrialscoutError(f"criterion_type {r['criterion_type']!r} is neither inclusion nor exclusion",
                              where=where)
    expert = _label(r["expert_eligibility"], where)
    other = r.get("gpt4_eligibility")
    return Annotation(row=i, patient_id=str(r["patient_id"]), note=str(r["note"]),
                      trial_id=str(r.get("trial_id") or ""), criterion_type=ctype,
                      criterion_text=str(r["criterion_text"]), expert=expert,
                      expert_sentences=tuple(int(n) for n in _NUMBER.findall(str(r.get("expert_sentences") or ""))),
                      other=_label(other, where) if other not in (None, "") else None)


def _label(value: Any, where: str) -> str:
    label = " ".join(str(value).strip().lower().replace("_", " ").split())
    if label not in LABELS:
        raise TrialscoutError(f"label {value!r} is not one of: {', '.join(LABELS)}", where=where)
    return label
