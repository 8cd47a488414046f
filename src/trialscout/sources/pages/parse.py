"""Read one page: decode, find its layout, run that layout's reader, and explain what came from where."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from trialscout.errors import RecordError
from trialscout.model import Study
from trialscout.sources.base import SourceItem, study_item
from trialscout.sources.pages import dump, generic, headed, listing, pipes
from trialscout.sources.pages.lines import BLANK, Line, decode_page, page_lines
from trialscout.sources.pages.record import Record
from trialscout.sources.pages.vocab import vocab

LAYOUTS = {m.NAME: m for m in (dump, pipes, headed, listing, generic)}
_NCT_PATH = "protocolSection.identificationModule.nctId"


class PageRecordError(RecordError):
    """A page that could not become a Study; `partial` holds what was read from it (v2-shaped)."""

    def __init__(self, why: str, *, where: str | None = None, partial: dict[str, Any] | None = None) -> None:
        super().__init__(why, where=where)
        self.partial = partial or {}


@dataclass
class PageExplanation:
    """What the reader made of one page: the study (or the error), the layout, and where each field came from."""

    where: str
    layout: str
    study: Study | None = None
    error: RecordError | None = None
    record: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, tuple[int, str]] = field(default_factory=dict)
    unmapped: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@cache
def _signatures() -> dict[str, tuple[int, list[re.Pattern[str]]]]:
    return {name: (spec["min"], [re.compile(p) for p in spec["signatures"]])
            for name, spec in vocab().raw["layouts"].items()}


def detect(lines: list[Line]) -> str:
    """The known layout whose signature lines the page shows most (at least its minimum), else 'generic'."""
    texts = [ln.text for ln in lines if ln.kind != BLANK][:600]
    best, best_hits = generic.NAME, 0
    for name, (minimum, patterns) in _signatures().items():
        hits = sum(1 for p in patterns if any(p.search(t) for t in texts))
        if hits >= minimum and hits > best_hits:
            best, best_hits = name, hits
    return best


def explain(where: str, data: bytes) -> PageExplanation:
    try:
        text, is_html = decode_page(where, data)
        if not text.strip():
            raise RecordError("empty page", where=where)
        page = page_lines(text, is_html)
    except RecordError as exc:
        err = exc if exc.where else RecordError(exc.why, where=where)
        return PageExplanation(where, "-", error=err, warnings=[err.why])
    if not any(ln.kind not in (BLANK, "title") for ln in page.lines):
        return PageExplanation(where, "-", error=RecordError("empty page (no text)", where=where))
    layout = detect(page.lines)
    rec = Record(warnings=list(page.warnings))
    LAYOUTS[layout].read(page, rec)
    record = rec.finish()
    _drop_foreign(record, rec)
    expl = PageExplanation(where, layout, record=record, provenance=rec.prov, unmapped=sorted(set(rec.unmapped)),
                           warnings=rec.warnings)
    _judge(expl)
    return expl


def _drop_foreign(record: dict[str, Any], rec: Record) -> None:
    """A title or acronym naming another trial's NCT ID came from a list of other trials: drop it."""
    ident = record.get("protocolSection", {}).get("identificationModule", {})
    own = ident.get("nctId")
    for key in ("briefTitle", "officialTitle", "acronym"):
        found = re.findall(r"\bNCT\d{8}\b", str(ident.get(key, "")))
        if any(n != own for n in found):
            rec.warnings.append(f"{key} names another trial ({', '.join(found)}); left out")
            del ident[key]
            rec.prov.pop(f"protocolSection.identificationModule.{key}", None)


def _count_values(node: Any) -> int:
    if isinstance(node, dict):
        return sum(_count_values(v) for v in node.values())
    if isinstance(node, list):
        return sum(_count_values(v) for v in node)
    return 1


def _judge(expl: PageExplanation) -> None:
    """Turn the dict into a Study, or say clearly why not (no NCT ID, not a trial record, invalid)."""
    ident = expl.record.get("protocolSection", {}).get("identificationModule", {})
    others = _count_values(expl.record) - (1 if ident.get("nctId") else 0)
    if others < 2:
        why = "not a trial record: no trial fields found" + ("" if ident.get("nctId") else " and no NCT ID")
        expl.error = PageRecordError(why, where=expl.where, partial=expl.record)
        return
    if not ident.get("nctId"):
        why = (f"the page gives no NCT ID for this trial ({others} field values read; "
               "see `convert --explain`); other trials' IDs on the page are never used")
        expl.error = PageRecordError(why, where=expl.where, partial=expl.record)
        return
    item = study_item(expl.where, expl.record)
    expl.study, expl.error = item.study, item.error


def _value_at(record: dict[str, Any], path: str) -> Any:
    node: Any = record
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            idx = int(part[1:-1])
            node = node[idx] if isinstance(node, list) and idx < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
    return node


def format_explanation(expl: PageExplanation) -> str:
    """A human-readable account: layout, result, each field with its page line, unmapped lines, warnings."""
    out = [f"page:   {expl.where}", f"layout: {expl.layout}"]
    if expl.study is not None:
        out.append(f"result: {expl.study.nct_id} ({len(expl.provenance)} fields)")
    else:
        out.append(f"result: error: {expl.error.why if expl.error else 'unknown'}")
    if expl.provenance:
        out.append("fields (value  <-  line: page text):")
        for path, (no, text) in expl.provenance.items():
            value = _value_at(expl.record, path)
            if isinstance(value, str) and len(value) > 60:
                value = value[:57] + "..."
            shown = repr(value)
            src = text if len(text) <= 70 else text[:67] + "..."
            out.append(f"  {path} = {shown}\n      <- line {no}: {src}")
    if expl.unmapped:
        out.append("labelled lines not mapped:")
        out.extend(f"  line {no}: {text if len(text) <= 100 else text[:97] + '...'}" for no, text in expl.unmapped)
    if expl.warnings:
        out.append("warnings:")
        out.extend(f"  {w}" for w in expl.warnings)
    return "\n".join(out)


def parse_page(where: str, data: bytes) -> SourceItem:
    expl = explain(where, data)
    if expl.study is not None:
        label = f"{where} [{expl.study.nct_id}]"
        return SourceItem(label, study=expl.study)
    return SourceItem(where, error=expl.error or RecordError("page could not be read", where=where))
