"""Criterion-level evaluation: each annotated (note, criterion) through the real pipeline, scored against the expert."""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialscout.criteria import parse_criteria
from trialscout.evaluation.annotations import LABELS, Annotation
from trialscout.match.evaluate import evaluate
from trialscout.match.policy import policy as absence_policy
from trialscout.model.match import CriterionResult, Verdict
from trialscout.model.patient import PatientFacts
from trialscout.patient import from_note

NEI = "not enough information"
_LABEL = {("inclusion", "pass"): "included", ("inclusion", "fail"): "not included",
          ("exclusion", "pass"): "not excluded", ("exclusion", "fail"): "excluded"}
_ELIGIBLE = {"inclusion": "included", "exclusion": "not excluded"}
_LINE = re.compile(r"^\s*(\d+)[.)]\s", re.MULTILINE)


def label_of(ctype: str, verdict: str) -> str:
    """Our verdict in the annotation's words (unknown -> 'not enough information')."""
    if verdict == "not_applicable":
        return "not applicable"
    return _LABEL.get((ctype, verdict), NEI)


@dataclass(frozen=True)
class Answer:
    annotation: Annotation
    verdict: Verdict
    label: str
    presumed: bool
    sentences: tuple[int, ...]
    """The note sentences our deciding evidence points at."""
    held_back: bool
    """A fail was held back (made unknown) because the criterion was not fully read."""
    partial: bool
    """An inclusion's pass was held back (made unknown): most of the criterion was not read."""
    unread: bool
    """The criterion has words nothing understood."""
    seconds: float


def answer(a: Annotation, facts: PatientFacts, policy: str, today: dt.date) -> Answer:
    """One annotated criterion through the pipeline: the criterion alone in its section, against the facts."""
    started = time.perf_counter()
    heading = "Inclusion Criteria:" if a.criterion_type == "inclusion" else "Exclusion Criteria:"
    block = f"{heading}\n\n  - {a.criterion_text}\n"
    criteria = parse_criteria(block)
    _, results = evaluate(criteria, block, facts, today, absence_policy(policy))
    standing = [r for r in results if r.alternative_of is None]
    verdict = _overall([r.verdict for r in standing])
    deciding = [r for r in standing if r.verdict == verdict]
    seconds = time.perf_counter() - started
    return Answer(a, verdict, label_of(a.criterion_type, verdict),
                  presumed=verdict == "pass" and any(r.presumed for r in deciding),
                  sentences=_sentences(a.note, deciding) if verdict != "unknown" else (),
                  held_back=any(_held_back(r) for r in standing), unread=any(c.unread for c in criteria),
                  partial=any((r.question or "").startswith("only partly understood") for r in standing),
                  seconds=seconds)


def _overall(verdicts: list[Verdict]) -> Verdict:
    """Several criteria read from one annotated text: any fail fails it, any unknown leaves it open."""
    if "fail" in verdicts:
        return "fail"
    if not verdicts or "unknown" in verdicts:
        return "unknown"
    return "not_applicable" if all(v == "not_applicable" for v in verdicts) else "pass"


def _held_back(r: CriterionResult) -> bool:
    return r.verdict == "unknown" and r.likely_fail


def sentence_starts(note: str) -> list[tuple[int, int]]:
    """(offset, number) of each numbered sentence ('0. ...' lines); else each line, numbered from 0."""
    numbered = [(m.start(), int(m.group(1))) for m in _LINE.finditer(note)]
    if numbered:
        return numbered
    starts, offset = [], 0
    for i, line in enumerate(note.splitlines(keepends=True)):
        starts.append((offset, i))
        offset += len(line)
    return starts


def _sentences(note: str, results: Iterable[CriterionResult]) -> tuple[int, ...]:
    starts = sentence_starts(note)
    found: set[int] = set()
    for r in results:
        for e in r.evidence:
            for where in [e.source or {}, *(e.grounds or [])]:
                span = where.get("span")
                if where.get("source") != "note" or not span:
                    continue
                for i, (offset, number) in enumerate(starts):
                    end = starts[i + 1][0] if i + 1 < len(starts) else len(note) + 1
                    if offset < span[1] and span[0] < end:
                        found.add(number)
    return tuple(sorted(found))


@dataclass
class Report:
    policy: str
    answers: list[Answer]
    note_seconds: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        rows = self.answers
        n = len(rows)
        right = [x for x in rows if x.label == x.annotation.expert]
        decided = [x for x in rows if x.label != NEI]
        fails = [x for x in rows if x.verdict == "fail"]
        presumed = [x for x in rows if x.presumed]
        others = [x for x in rows if x.annotation.other is not None]
        times = [x.seconds * 1000 for x in rows]
        return {
            "policy": self.policy,
            "rows": n,
            "accuracy": _share(len(right), n),
            "other_system_accuracy": _share(sum(x.annotation.other == x.annotation.expert for x in others),
                                            len(others)) if others else None,
            "always_eligible_accuracy": _share(sum(_ELIGIBLE[x.annotation.criterion_type] == x.annotation.expert
                                                   for x in rows), n),
            "decided": len(decided),
            "decided_accuracy": _share(sum(x.label == x.annotation.expert for x in decided), len(decided)),
            "fails": len(fails),
            "fail_agreement": _share(sum(x.label == x.annotation.expert for x in fails), len(fails)),
            "presumed": len(presumed),
            "presumed_accuracy": _share(sum(x.label == x.annotation.expert for x in presumed), len(presumed)),
            "not_applicable": sum(x.verdict == "not_applicable" for x in rows),
            "held_back_fails": sum(x.held_back for x in rows),
            "held_back_passes": sum(x.partial for x in rows),
            "criteria_with_unread_words": sum(x.unread for x in rows),
            **_evidence_scores(decided),
            "ms_per_criterion_median": round(statistics.median(times), 3) if times else None,
            "ms_per_criterion_mean": round(statistics.fmean(times), 3) if times else None,
            "ms_per_note_mean": round(statistics.fmean(self.note_seconds) * 1000, 3) if self.note_seconds else None,
            "confusion": {e: {o: c for (ee, o), c in self.confusion().items() if ee == e} for e in LABELS},
        }

    def confusion(self) -> Counter[tuple[str, str]]:
        return Counter((x.annotation.expert, x.label) for x in self.answers)


def _share(k: float, n: int) -> float | None:
    return round(k / n, 4) if n else None


def _evidence_scores(decided: list[Answer]) -> dict[str, Any]:
    """Micro precision and recall of our evidence sentences against the expert's, on the rows we decide."""
    hit = cited = wanted = cited_where_expert = 0
    for x in decided:
        ours, theirs = set(x.sentences), set(x.annotation.expert_sentences)
        hit += len(ours & theirs)
        cited += len(ours)
        wanted += len(theirs)
        cited_where_expert += len(ours) if theirs else 0
    return {"evidence_precision": _share(hit, cited), "evidence_recall": _share(hit, wanted),
            "evidence_precision_expert_rows": _share(hit, cited_where_expert),
            "evidence_recall_stated": _recall([x for x in decided if not x.presumed]),
            "evidence_recall_presumed": _recall([x for x in decided if x.presumed]),
            "evidence_rows": sum(bool(x.annotation.expert_sentences) for x in decided)}


def _recall(answers: list[Answer]) -> float | None:
    hit = sum(len(set(x.sentences) & set(x.annotation.expert_sentences)) for x in answers)
    return _share(hit, sum(len(x.annotation.expert_sentences) for x in answers))


def run(annotations: list[Annotation], policy: str = "default", today: dt.date | None = None,
        on_row: Callable[[Answer], None] | None = None) -> Report:
    """Every annotated criterion through the pipeline under one absence policy; each note is read once."""
    absence_policy(policy)  # an unknown policy is an error before any work
    when = today or dt.date.today()
    notes: dict[tuple[str, str], PatientFacts] = {}
    report = Report(policy, [])
    for a in annotations:
        key = (a.patient_id, a.note)
        if key not in notes:
            started = time.perf_counter()
            notes[key] = from_note(a.note, as_of=when, patient_id=a.patient_id)
            report.note_seconds.append(time.perf_counter() - started)
        found = answer(a, notes[key], policy, when)
        report.answers.append(found)
        if on_row:
            on_row(found)
    return report


def write_answers(path: str | Path, reports: list[Report]) -> None:
    """Every row's answer under every policy, one JSON object a line, for a person to read the disagreements."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for r in reports:
            for x in r.answers:
                a = x.annotation
                fh.write(json.dumps({"policy": r.policy, "row": a.row, "patient_id": a.patient_id,
                                     "trial_id": a.trial_id, "type": a.criterion_type, "criterion": a.criterion_text,
                                     "expert": a.expert, "ours": x.label, "presumed": x.presumed,
                                     "sentences": list(x.sentences), "expert_sentences": list(a.expert_sentences),
                                     "agree": x.label == a.expert}, ensure_ascii=False) + "\n")


def format_report(reports: list[Report]) -> str:
    """The figures of one or more policies, then each one's confusion table."""
    lines: list[str] = []
    first = reports[0].as_dict()
    lines.append(f"rows: {first['rows']}   (always-eligible baseline: {_pct(first['always_eligible_accuracy'])}"
                 + (f"; other system in the file (GPT-4): {_pct(first['other_system_accuracy'])})"
                    if first["other_system_accuracy"] is not None else ")"))
    for r in reports:
        d = r.as_dict()
        lines += [
            f"policy {d['policy']}: accuracy {_pct(d['accuracy'])}; decided {d['decided']} of {d['rows']} "
            f"(accuracy {_pct(d['decided_accuracy'])}); fails {d['fails']} (agreeing {_pct(d['fail_agreement'])}); "
            f"presumed {d['presumed']} (agreeing {_pct(d['presumed_accuracy'])}); not applicable "
            f"{d['not_applicable']}",
            f"  evidence sentences on decided rows: precision {_pct(d['evidence_precision'])} "
            f"({_pct(d['evidence_precision_expert_rows'])} on the {d['evidence_rows']} rows with expert sentences), "
            f"recall {_pct(d['evidence_recall'])} (passes and fails on stated facts "
            f"{_pct(d['evidence_recall_stated'])}, presumed passes citing their grounds "
            f"{_pct(d['evidence_recall_presumed'])})",
            f"  full reading: {d['criteria_with_unread_words']} criteria with unread words; "
            f"{d['held_back_fails']} fails held back as unknown (not fully read), {d['held_back_passes']} passes "
            f"(mostly unread)",
            f"  time: {d['ms_per_criterion_median']} ms median, {d['ms_per_criterion_mean']} ms mean per criterion; "
            f"{d['ms_per_note_mean']} ms per note",
            "  confusion (rows: expert; columns: ours):",
            *_confusion_lines(r),
        ]
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _confusion_lines(r: Report) -> list[str]:
    short = {"included": "incl", "not included": "not-incl", "excluded": "excl", "not excluded": "not-excl",
             "not enough information": "NEI", "not applicable": "n/a"}
    table = r.confusion()
    corner = "expert / ours"
    head = "    " + f"{corner:<24}" + "".join(f"{short[o]:>10}" for o in LABELS)
    out = [head]
    for e in LABELS:
        if any(table[(e, o)] for o in LABELS):
            out.append("    " + f"{e:<24}" + "".join(f"{table[(e, o)]:>10}" for o in LABELS))
    return out
