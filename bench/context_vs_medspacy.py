"""Our ConText engine against medspaCy's on the dev notes: agreement per category, the disagreements, and the eval."""

from __future__ import annotations

import argparse
import json
import random
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialscout.evaluation import criteria as eval_criteria
from trialscout.evaluation.annotations import read_annotations
from trialscout.match import links
from trialscout.patient.context import Context
from trialscout.vocab import clinical

CATEGORIES = ("NEGATED", "FAMILY", "HYPOTHETICAL", "HISTORICAL")
WORKER = r'''
import json, sys
from loguru import logger
logger.remove()
import medspacy
nlp = medspacy.load(medspacy_enable=["medspacy_pyrush"])
nlp.add_pipe("medspacy_context", config={"input_span_type": "group", "span_group_name": "trialscout"})
before = [pipe for name, pipe in nlp.pipeline if name != "medspacy_context"]
context = nlp.get_pipe("medspacy_context")
out = []
for note in json.load(sys.stdin)["notes"]:
    doc = nlp.make_doc(note["text"])
    for pipe in before:
        doc = pipe(doc)
    spans = [doc.char_span(s, e, label="CONCEPT", alignment_mode="expand") for s, e in note["spans"]]
    doc.spans["trialscout"] = [sp for sp in spans if sp is not None]
    doc = context(doc)
    cats = {}
    for sp in doc.spans["trialscout"]:
        x = sp._
        cats[(sp.start_char, sp.end_char)] = [c for c, on in (("NEGATED", x.is_negated), ("FAMILY", x.is_family),
            ("HYPOTHETICAL", x.is_hypothetical or x.is_uncertain), ("HISTORICAL", x.is_historical)) if on]
    out.append([cats.get((sp.start_char, sp.end_char), []) if sp is not None else [] for sp in spans])
json.dump({"categories": out}, sys.stdout)
'''
"""Runs in medspaCy's own venv: the default English ConText rules on our mention spans (a span group, so mentions
may overlap), sentences by PyRuSH; POSSIBLE_EXISTENCE counts as HYPOTHETICAL (our HYPOTHETICAL covers both)."""

Span = tuple[int, int]


@dataclass(frozen=True)
class Mention:
    note: int
    patient: str
    start: int
    end: int
    text: str
    sentence: str
    ours: frozenset[str]
    theirs: frozenset[str]


def medspacy_categories(python: str, requests: dict[str, list[Span]]) -> dict[tuple[str, int, int], frozenset[str]]:
    """medspaCy's categories for each (note, span), from one subprocess in its venv (JSON in, JSON out)."""
    texts = list(requests)
    payload = {"notes": [{"text": t, "spans": [list(s) for s in requests[t]]} for t in texts]}
    done = subprocess.run([python, "-c", WORKER], input=json.dumps(payload), capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"medspaCy worker failed ({python}):\n{done.stderr[-2000:]}")
    answers = json.loads(done.stdout)["categories"]
    return {(t, s, e): frozenset(c) for t, cats in zip(texts, answers, strict=True)
            for (s, e), c in zip(requests[t], cats, strict=True)}


def note_mentions(note: str) -> list[clinical.ConceptMention]:
    """The clinical concept mentions our pipeline reads (as `from_note.clinical_concepts`: non-general ids)."""
    return [m for m in clinical.find(note) if any(not clinical.is_general(i) for i in m.ids)]


def compare_mentions(notes: list[tuple[str, str]], python: str) -> list[Mention]:
    """Every mention of every note with our categories and medspaCy's."""
    found = {text: note_mentions(text) for _, text in notes}
    theirs = medspacy_categories(python, {t: [(m.start, m.end) for m in ms] for t, ms in found.items()})
    out = []
    for i, (patient, text) in enumerate(notes):
        ctx = Context(text)
        for m in found[text]:
            s, e = ctx.sentence_of(m.start)
            ours = frozenset(ctx.categories(m.start, m.end) & set(CATEGORIES))
            out.append(Mention(i, patient, m.start, m.end, m.text, text[s:e].strip(), ours,
                               theirs[(text, m.start, m.end)]))
    return out


def agreement_table(rows: list[Mention]) -> list[str]:
    lines = [f"{'category':<13}{'mentions':>9}{'both':>6}{'ours only':>10}{'medspaCy only':>14}{'neither':>8}"
             f"{'agreement':>10}{'kappa':>7}"]
    for cat in CATEGORIES:
        a = sum(cat in r.ours and cat in r.theirs for r in rows)
        b = sum(cat in r.ours and cat not in r.theirs for r in rows)
        c = sum(cat not in r.ours and cat in r.theirs for r in rows)
        d = len(rows) - a - b - c
        lines.append(f"{cat:<13}{len(rows):>9}{a:>6}{b:>10}{c:>14}{d:>8}{(a + d) / len(rows):>10.1%}"
                     f"{kappa(a, b, c, d):>7.2f}")
    return lines


def kappa(a: int, b: int, c: int, d: int) -> float:
    """Cohen's kappa of a 2x2 table (1.0 when both raters never say yes, or agree on everything)."""
    n = a + b + c + d
    seen = (a + d) / n
    chance = ((a + b) * (a + c) + (c + d) * (b + d)) / (n * n)
    return 1.0 if chance == 1 else (seen - chance) / (1 - chance)


def disagreements(rows: list[Mention]) -> list[tuple[str, Mention]]:
    """(category, mention) for each category on which the two engines differ, in note order."""
    return [(cat, r) for r in rows for cat in CATEGORIES if (cat in r.ours) != (cat in r.theirs)]


def show_disagreement(n: int, cat: str, r: Mention) -> str:
    ours = "yes" if cat in r.ours else "no"
    theirs = "yes" if cat in r.theirs else "no"
    return (f"D{n:03d} {cat:<12} ours={ours:<3} medspaCy={theirs:<3} patient {r.patient} "
            f"mention {r.text!r}\n      {r.sentence}")


# ------------------------------------------------------------------ the eval with each engine's note categories
@contextmanager
def categories_from(lookup: Callable[[Context, int, int], set[str]]) -> Iterator[None]:
    """`Context.categories` answered by `lookup` while inside (every caller: from_note, links)."""
    original = Context.categories
    Context.categories = lambda self, start, end: lookup(self, start, end)  # type: ignore[method-assign]
    links._read.cache_clear()
    try:
        yield
    finally:
        Context.categories = original  # type: ignore[method-assign]
        links._read.cache_clear()


def run_eval(path: str, lookup: Callable[[Context, int, int], set[str]] | None) -> eval_criteria.Report:
    annotations = read_annotations(path)
    if lookup is None:
        links._read.cache_clear()
        return eval_criteria.run(annotations, "default")
    with categories_from(lookup):
        return eval_criteria.run(annotations, "default")


def eval_both(path: str, python: str) -> tuple[eval_criteria.Report, eval_criteria.Report, int]:
    """The eval with our categories, then with medspaCy's for every span the pipeline asks about (fetched in
    rounds until none is missing); returns both reports and how many spans medspaCy answered."""
    asked: dict[str, set[Span]] = {}
    known: dict[tuple[str, int, int], frozenset[str]] = {}
    original = Context.categories

    def record(ctx: Context, start: int, end: int) -> set[str]:
        asked.setdefault(ctx.text, set()).add((start, end))
        return original(ctx, start, end)

    def theirs(ctx: Context, start: int, end: int) -> set[str]:
        asked.setdefault(ctx.text, set()).add((start, end))
        return set(known.get((ctx.text, start, end), frozenset()))

    run_eval(path, record)
    ours = run_eval(path, None)
    report = ours
    for _ in range(4):
        missing = {t: sorted(s for s in spans if (t, *s) not in known) for t, spans in asked.items()}
        missing = {t: s for t, s in missing.items() if s}
        if not missing:
            break
        known.update(medspacy_categories(python, missing))
        report = run_eval(path, theirs)
    else:
        raise SystemExit("medspaCy run still asks new spans after 4 rounds")
    return ours, report, len(known)


def eval_lines(ours: eval_criteria.Report, theirs: eval_criteria.Report) -> list[str]:
    lines = [f"{'note categories by':<20}{'accuracy':>9}{'decided':>9}{'fails':>7}{'fail agreement':>16}"]
    for name, rep in (("ours", ours), ("medspaCy", theirs)):
        d = rep.as_dict()
        lines.append(f"{name:<20}{d['accuracy']:>9.1%}{d['decided']:>9}{d['fails']:>7}"
                     f"{_pct(d['fail_agreement']):>16}")
    changed = [(a, b) for a, b in zip(ours.answers, theirs.answers, strict=True) if a.label != b.label]
    lines.append(f"rows whose label differs between the two: {len(changed)}")
    for a, b in changed:
        x = a.annotation
        lines.append(f"  row {x.row} patient {x.patient_id} {x.criterion_type}: expert {x.expert!r}, ours {a.label!r}, "
                     f"medspaCy {b.label!r} | {x.criterion_text[:150]}")
    return lines


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def load_notes(path: str) -> list[tuple[str, str]]:
    """(patient id, note) of each distinct note of the annotation file, in file order."""
    seen: dict[str, str] = {}
    for row in json.loads(Path(path).read_text("utf-8")):
        seen.setdefault(row["note"], row["patient_id"])
    return [(p, t) for t, p in seen.items()]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dev", nargs="?", default="../shared/data/trialgpt-criteria/dev.json")
    ap.add_argument("--medspacy-python", default="/tmp/medspacy-venv/bin/python",
                    help="python of a venv with medspacy 1.3.1 (spacy<3.8, thinc<8.3, numpy<2)")
    ap.add_argument("--sample", type=int, default=0, help="list only this many disagreements (seeded), 0: all")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--json", help="write every mention with both engines' categories to this JSON-lines file")
    ap.add_argument("--no-eval", action="store_true", help="skip the criteria eval")
    args = ap.parse_args(argv)
    notes = load_notes(args.dev)
    rows = compare_mentions(notes, args.medspacy_python)
    print(f"{len(notes)} notes, {len(rows)} clinical concept mentions (non-general ids)\n")
    print("\n".join(agreement_table(rows)))
    diffs = list(enumerate(disagreements(rows), start=1))
    if args.sample and args.sample < len(diffs):
        diffs = sorted(random.Random(args.seed).sample(diffs, args.sample))
    print(f"\ndisagreements ({len(diffs)} listed):")
    print("\n".join(show_disagreement(n, cat, r) for n, (cat, r) in diffs))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(_row_json(r), ensure_ascii=False) + "\n")
    if not args.no_eval:
        ours, theirs, answered = eval_both(args.dev, args.medspacy_python)
        print(f"\ntrialscout eval criteria (policy default), note facts read by each engine "
              f"({answered} spans asked of medspaCy):")
        print("\n".join(eval_lines(ours, theirs)))


def _row_json(r: Mention) -> dict[str, Any]:
    return {"patient": r.patient, "span": [r.start, r.end], "mention": r.text, "sentence": r.sentence,
            "ours": sorted(r.ours), "medspacy": sorted(r.theirs)}


if __name__ == "__main__":
    main()
