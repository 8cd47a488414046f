"""Criteria for reading: each criterion's words split into plain and understood pieces, and a short label per
constraint. Pieces stay plain text (the templates escape them); nothing here builds markup."""

from __future__ import annotations

from typing import Any

from trialscout.model.criteria import Criterion
from trialscout.model.match import CriterionResult

OPS = {"<=": "≤", ">=": "≥", "<": "<", ">": ">", "=": "=", "between": "between"}
FLAGS = ("negated", "hypothetical", "historical")
HIDDEN_FIELDS = {"op_inferred", "unit_inferred"}


def segments(text: str, block: str, span: tuple[int, int],
             marks: list[tuple[int, int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """`text` (the criterion as shown: `block[span]`, possibly with its whitespace tidied) as pieces; a piece
    covered by a mark (offsets in `block`) carries it. Overlapping marks: the one starting first wins (the rest
    are still listed under the criterion). Without a reliable alignment, the text is one plain piece."""
    to_text = align(block[span[0]:span[1]], text)
    if to_text is None:
        return [{"text": text}]
    out: list[dict[str, Any]] = []
    pos = 0
    for s, e, mark in sorted(marks, key=lambda m: (m[0], -m[1])):
        s, e = (to_text[min(max(x - span[0], 0), len(to_text) - 1)] for x in (s, e))
        if s < pos or s >= e:
            continue
        if s > pos:
            out.append({"text": text[pos:s]})
        out.append({"text": text[s:e], "mark": mark})
        pos = e
    if pos < len(text):
        out.append({"text": text[pos:]})
    return out


def align(raw: str, text: str) -> list[int] | None:
    """For each offset in `raw`, the offset in `text`, when the two differ only in whitespace; else None."""
    mapping = [0] * (len(raw) + 1)
    i = j = 0
    while i < len(raw):
        if j < len(text) and raw[i] == text[j]:
            mapping[i] = j
            i, j = i + 1, j + 1
        elif raw[i].isspace():
            mapping[i] = j
            i += 1
        elif j < len(text) and text[j].isspace():
            j += 1
        else:
            return None
    mapping[len(raw)] = j
    return mapping if not text[j:].strip() else None


def constraint_label(c: dict[str, Any]) -> str:
    """`lab: platelets ≥ 100 10*9/L`, `age 18–75 years`, `biomarker: EGFR positive`, from a contract dict."""
    kind = c.get("kind", "")
    if kind == "age":
        lo, hi = c.get("min_years"), c.get("max_years")
        return f"age {_num(lo) if lo is not None else '…'}–{_num(hi) if hi is not None else '…'} years"
    if kind == "lab" and c.get("analyte"):
        return f"lab: {c['analyte']} {_lab_limit(c)}".rstrip()
    if kind == "performance_status" and c.get("value") is not None:
        high = f"–{_num(c['value_high'])}" if c.get("value_high") is not None else ""
        return f"{c.get('scale') or 'performance status'} {OPS.get(c.get('op') or '', '')} {_num(c['value'])}{high}"
    if kind == "life_expectancy" and c.get("months") is not None:
        return f"life expectancy {OPS.get(c.get('op') or '', '')} {_num(c['months'])} months"
    fields = [f"{k.replace('_', ' ')} {_value(v)}" for k, v in c.items()
              if k not in {"kind", "span", *FLAGS, *HIDDEN_FIELDS} and v is not None]
    flags = [f for f in FLAGS if c.get(f)]
    text = f"{kind.replace('_', ' ')}: {', '.join(fields)}" if fields else kind.replace("_", " ")
    return f"{text} ({', '.join(flags)})" if flags else text


def _lab_limit(c: dict[str, Any]) -> str:
    op = OPS.get(c.get("op") or "", c.get("op") or "")
    if c.get("uln_multiple") is not None:
        limit = f"{op} {_num(c['uln_multiple'])}× ULN"
    elif c.get("lln_multiple") is not None:
        limit = f"{op} {_num(c['lln_multiple'])}× LLN"
    elif c.get("value") is not None:
        high = f"–{_num(c['value_high'])}" if c.get("value_high") is not None else ""
        limit = f"{op} {_num(c['value'])}{high} {c.get('unit') or ''}"
    else:
        limit = ""
    return f"{limit} (if {c['applies_if']})" if c.get("applies_if") else limit


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return "/".join(str(x) for x in v)
    return OPS.get(v, _num(v)) if isinstance(v, str | float | int) else str(v)


def criteria_view(block: str, criteria: list[Criterion]) -> list[dict[str, Any]]:
    """Each criterion with its understood words marked (by constraint kind) and its constraints labelled."""
    out = []
    for c in criteria:
        contracts = [(k.to_contract(), k.computable) for k in c.constraints]
        constraints = [{**doc, "label": constraint_label(doc), "computable": computable}
                       for doc, computable in contracts]
        marks = [(k["span"][0], k["span"][1], {"kind": k["kind"], "label": k["label"],
                                               "computable": k["computable"]}) for k in constraints]
        out.append({"type": c.type, "section": c.section, "level": c.level, "text": c.text,
                    "group": c.group,
                    "computable": c.computable, "pieces": segments(c.text, block, c.span, marks),
                    "constraints": constraints})
    return out


def result_view(block: str | None, r: CriterionResult) -> dict[str, Any]:
    """One criterion's verdict with its words marked by each constraint's own verdict, and the evidence."""
    evidence = [{**e.model_dump(exclude_none=True), "label": constraint_label(e.constraint)} for e in r.evidence]
    marks = [(e.constraint["span"][0], e.constraint["span"][1],
              {"verdict": e.verdict, "label": e.reason, "presumed": e.presumed})
             for e in r.evidence if "span" in e.constraint]
    pieces = segments(r.text, block, r.span, marks) if block else [{"text": r.text}]
    return {"index": r.index, "type": r.type, "text": r.text, "verdict": r.verdict, "presumed": r.presumed,
            "computable": r.computable, "question": r.question, "unread": r.unread, "pieces": pieces,
            "evidence": evidence, "group": r.group.model_dump() if r.group else None,
            "alternative_of": r.alternative_of}
