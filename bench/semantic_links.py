"""Semantic links (MiniLM sentence similarity) added to the lexical ones: criterion-level figures and cost, against the
lexical links alone measured in the same run.

Usage: python bench/semantic_links.py [ANNOTATIONS.json] [--thresholds 0.35 0.4 ...] [--warm]

Variants, at each threshold (chosen a priori, before any run on the annotations):
  add    lexical + semantic links wherever links are asked for (deduplicated by sentence; the lexical one kept);
  block  semantic links only where no lexical link exists: they can only turn a presumed pass into a question;
  pass   as add, but a semantic link whose sentence ConText reads as a denial (every concept named there negated)
         counts as negated, so it can confirm that an exclusion is absent (it still never fails anyone).
Each run starts with empty embedding caches (unless --warm), so its time per criterion includes embedding the notes.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import semantic  # bench/semantic.py: the experiment's model wrapper (not part of the matcher)
from trialscout.evaluation.annotations import read_annotations
from trialscout.evaluation.criteria import Report, run
from trialscout.match.links import Link
from trialscout.model.patient import PatientFacts

# by module path: the package `trialscout.match` re-exports functions named like some of its modules
absence = importlib.import_module("trialscout.match.absence")
evaluate = importlib.import_module("trialscout.match.evaluate")
links_module = importlib.import_module("trialscout.match.links")
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "trialgpt-criteria" / "dev.json"
THRESHOLDS = (0.35, 0.4, 0.45, 0.5, 0.6)
"""A priori: on sentences written for the purpose, paraphrases score about 0.37-0.46 against a one-word criterion,
a generic clinical sentence about 0.27, an unrelated one below 0.1."""
LEXICAL = links_module.links
LinkFn = Callable[..., list[Link]]


@contextlib.contextmanager
def patched(fn: LinkFn) -> Iterator[None]:
    """`links` replaced where it is defined and where it was imported by name."""
    homes = (links_module, absence, evaluate)
    saved = [m.links for m in homes]
    for m in homes:
        m.links = fn
    try:
        yield
    finally:
        for m, old in zip(homes, saved, strict=True):
            m.links = old


def _merge(lexical: list[Link], extra: list[Link]) -> list[Link]:
    seen = {(x.note, x.span) for x in lexical}
    return lexical + [x for x in extra if (x.note, x.span) not in seen]


def _denial(facts: PatientFacts, link: Link) -> bool:
    """ConText reads the sentence as a denial: it names concepts, every one of them negated."""
    for sentence in links_module._read(facts.notes[link.note]):
        if sentence.span == link.span:
            return bool(sentence.concepts) and all(c.negated for c in sentence.concepts)
    return False


def _semantic(text: str, facts: PatientFacts, threshold: float, ignore: Any) -> list[Link]:
    """Semantic links, less the sentences of the first note holding a span the caller asked to ignore (what the
    criterion's own constraints already read there)."""
    spans = list(ignore or ())
    return [x for x in semantic.semantic_links(text, facts, threshold)
            if not (x.note == 0 and any(x.span[0] <= a < x.span[1] for a, _ in spans))]


def variant(kind: str, threshold: float) -> LinkFn:
    def add(text: str, facts: PatientFacts, ignore: Any = None) -> list[Link]:
        return _merge(LEXICAL(text, facts, ignore), _semantic(text, facts, threshold, ignore))

    def block(text: str, facts: PatientFacts, ignore: Any = None) -> list[Link]:
        return LEXICAL(text, facts, ignore) or _semantic(text, facts, threshold, ignore)

    def passes(text: str, facts: PatientFacts, ignore: Any = None) -> list[Link]:
        extra = [replace(x, negated=_denial(facts, x)) for x in _semantic(text, facts, threshold, ignore)]
        return _merge(LEXICAL(text, facts, ignore), extra)

    return {"add": add, "block": block, "pass": passes}[kind]


def measure(annotations: list[Any], fn: LinkFn | None, warm: bool) -> tuple[Report, float]:
    if not warm:
        semantic._note.cache_clear()
        semantic._criterion.cache_clear()
    links_module._read.cache_clear()
    started = time.perf_counter()
    with patched(fn) if fn else contextlib.nullcontext():
        report = run(annotations, "default")
    return report, time.perf_counter() - started


def _changes(base: Report, other: Report) -> str:
    """How the verdicts moved against the baseline: rows changed, and of them right before / right after."""
    moved = [(a, b) for a, b in zip(base.answers, other.answers, strict=True) if a.label != b.label]
    before = sum(a.label == a.annotation.expert for a, _ in moved)
    after = sum(b.label == b.annotation.expert for _, b in moved)
    return f"{len(moved)} ({before}->{after})"


def _pct(x: float | None) -> str:
    return "  n/a" if x is None else f"{100 * x:5.1f}"


HEADER = (f"{'variant':<14}{'acc%':>6}{'dec':>5}{'dec_acc%':>9}{'fails':>6}{'fail_agr%':>10}{'presumed':>9}"
          f"{'pres_acc%':>10}{'ev_prec%':>9}{'ev_rec%':>8}{'ms_med':>8}{'ms_mean':>8}  changed (right before->after)")


def row(name: str, report: Report, base: Report | None) -> str:
    d = report.as_dict()
    return (f"{name:<14}{_pct(d['accuracy']):>6}{d['decided']:>5}{_pct(d['decided_accuracy']):>9}{d['fails']:>6}"
            f"{_pct(d['fail_agreement']):>10}{d['presumed']:>9}{_pct(d['presumed_accuracy']):>10}"
            f"{_pct(d['evidence_precision']):>9}{_pct(d['evidence_recall']):>8}{d['ms_per_criterion_median']:>8.2f}"
            f"{d['ms_per_criterion_mean']:>8.2f}  {_changes(base, report) if base else '-'}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default=str(DEFAULT))
    ap.add_argument("--thresholds", type=float, nargs="+", default=list(THRESHOLDS))
    ap.add_argument("--variants", nargs="+", default=["add", "block", "pass"], choices=["add", "block", "pass"])
    ap.add_argument("--warm", action="store_true", help="keep embeddings cached across runs (time without embedding)")
    args = ap.parse_args()
    if not semantic.available():
        sys.exit("the semantic extra is not installed: pip install -e '.[semantic]'")
    annotations = read_annotations(args.path)
    run(annotations[:5], "default")  # warm the rule and vocabulary caches outside the timings

    started = time.perf_counter()
    semantic.load()
    print(f"model {semantic.MODEL_ID}: load {1000 * (time.perf_counter() - started):.0f} ms (imports included)")
    texts = [f"probe sentence number {i} about the patient's breathing" for i in range(64)]
    started = time.perf_counter()
    semantic.embed(texts)
    print(f"embedding throughput: {len(texts) / (time.perf_counter() - started):.0f} short texts/s")

    base, seconds = measure(annotations, None, args.warm)
    print(f"rows: {len(annotations)}; baseline (lexical links only) in {seconds:.1f} s\n")
    print(HEADER)
    print(row("baseline", base, None))
    for kind in args.variants:
        for t in args.thresholds:
            report, seconds = measure(annotations, variant(kind, t), args.warm)
            print(row(f"{kind} {t:.2f}", report, base), flush=True)
    print("\nacc: criterion-level accuracy; dec: rows decided (not 'not enough information'); fails: our fails "
          "(fail_agr: agreeing); presumed: presumed passes; ev_*: evidence sentences on decided rows; ms: per "
          "criterion (note reading excluded, embedding included); changed: rows whose label differs from the "
          "baseline, right before->after.")


if __name__ == "__main__":
    main()
