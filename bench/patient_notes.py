"""Read every TREC Clinical Trials topic as a patient note and print what share of them gave each kind of fact.

Usage: python bench/patient_notes.py [TOPICS.xml ...]   (default: ../shared/data/trec-ct-2021/topics2021.xml)
Prints only counts and shares, never patient text."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from trialscout.patient.from_note import from_note
from trialscout.patient.topics import read_topics

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "trec-ct-2021" / "topics2021.xml"

FIGURES = {
    "age": lambda f: f.age is not None,
    "sex": lambda f: f.sex is not None,
    ">=1 diagnosis (cancer)": lambda f: bool(f.diagnoses),
    ">=1 condition (cancer or other)": lambda f: bool(f.diagnoses or f.comorbidities),
    ">=1 negated finding": lambda f: bool(f.negated),
    ">=1 lab": lambda f: bool(f.labs),
    ">=1 prior therapy": lambda f: bool(f.prior_therapies),
    ">=1 biomarker": lambda f: bool(f.biomarkers),
    "pregnancy status": lambda f: f.pregnancy is not None,
    ">=1 problem reported": lambda f: bool(f.problems),
}


def run(path: Path) -> None:
    topics = list(read_topics(path))
    from_note("warm-up: 50 yo M with NSCLC.")
    start = time.perf_counter()
    facts = [from_note(text, patient_id=number) for number, text in topics]
    seconds = time.perf_counter() - start
    n = len(facts)
    print(f"{path.name}: {n} topics read in {seconds:.3f} s ({n / seconds:.0f} notes/s)")
    for label, test in FIGURES.items():
        hits = sum(1 for f in facts if test(f))
        print(f"  {label:<34} {hits:>3}/{n}  {hits / n:6.1%}")
    totals = {name: sum(len(getattr(f, name)) for f in facts)
              for name in ("diagnoses", "comorbidities", "negated", "labs", "prior_therapies", "biomarkers")}
    print("  facts in all:", ", ".join(f"{k} {v}" for k, v in totals.items()))


if __name__ == "__main__":
    for arg in sys.argv[1:] or [str(DEFAULT)]:
        run(Path(arg))
