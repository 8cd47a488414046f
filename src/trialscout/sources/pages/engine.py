"""The label walker every layout uses: finds `Label: value`, `Label | value |`, a heading and the lines
under it, and tables, and hands each value to the Record under the field its label names."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from trialscout.sources import normalize as nz
from trialscout.sources.pages.lines import BLANK, HEADING, ITEM, ROW, SEP, TEXT, Line
from trialscout.sources.pages.record import Record
from trialscout.sources.pages.tables import read_table
from trialscout.sources.pages.values import normalise
from trialscout.sources.pages.vocab import Target, Vocab, norm_label, vocab

_TEXTISH = {"text", "longtext", "list", "mesh", "collaborators", "id_list", "arm_item", "intervention_item",
            "outcome_item", "official_item", "location_item", "address"}
_MULTILINE = {"longtext", "list", "mesh", "collaborators", "id_list", "intervention_item", "outcome_item",
              "location_item", "arm_item"}
_MD_BULLET_LABEL = re.compile(r"^[-*+]\s+(?=\*\*|__)")
_BULLET = re.compile(r"^(?:[-*+\u2022\u25cf\u25aa\u2013\u2014]|\d{1,2}[.)])\s")
_PER_LINE = {"list", "mesh", "location_item", "outcome_item", "id_list"}
_LOOKS_LABELLED = re.compile(r"^(?P<label>[A-Z][^:|.!?]{0,58}?)\s*[:|]\s*(?P<value>.*)$")
_NCT = re.compile(r"\bNCT\d{8}\b")


@dataclass
class Match:
    target: Target
    label: str
    value: str


@dataclass
class Open:
    """A label whose value is still being read (a heading's lines, a description's paragraphs)."""

    target: Target
    line: Line
    buf: list[Line] = field(default_factory=list)
    inline: bool = False

    @property
    def has_value(self) -> bool:
        return any(ln.kind != BLANK for ln in self.buf)


class Reader:
    """Feed it lines; it fills the Record. One Reader per page (it keeps state between sections)."""

    def __init__(self, rec: Record, v: Vocab | None = None) -> None:
        self.rec = rec
        self.v = v or vocab()
        self.open: Open | None = None
        self.group: str | None = None
        self.related = False
        self.after_heading = False
        self.ncts: dict[str, Line] = {}
        self.on_unlabelled: Callable[[Line], bool] | None = None
        self.last_kind = BLANK

    # ------------------------------------------------------------ driving
    def feed(self, lines: list[Line]) -> None:
        i = 0
        while i < len(lines):
            i = self.step(lines, i)
            self.last_kind = lines[i - 1].kind if i > 0 else BLANK

    def step(self, lines: list[Line], i: int) -> int:
        line = lines[i]
        if line.kind == BLANK:
            if self.open:
                self.open.buf.append(line)
            return i + 1
        if line.kind == "title" or self.v.is_chrome(line.text):
            return i + 1
        if self.related and not self._ends_related(line):
            return i + 1
        self.related = False
        if self._starts_related(line, lines, i):
            self.close()
            self.related = True
            return i + 1
        for m in _NCT.finditer(line.text):
            self.ncts.setdefault(m.group(0), line)
        if self.after_heading and self.v.is_helper(line.text):
            self.after_heading = False
            return i + 1
        self.after_heading = False
        if line.kind == SEP:
            return i + 1
        if line.kind == ROW:
            return self.row(lines, i)
        return self.text(line, i)

    def text(self, line: Line, i: int) -> int:
        if line.kind == HEADING and line.cells != ("dt",):
            self.group = None  # a heading starts a new section (a <dt> term does not)
        m = self.match(line)
        if m and self._continues_open(m, line):
            self.open.buf.append(line)  # type: ignore[union-attr]
            return i + 1
        if m:
            self.start(m, line)
            return i + 1
        if line.kind == HEADING or self.v.is_section(line.text.rstrip(":")):
            self.close()
            self.group = None
            self.after_heading = True
            if line.kind == HEADING and not self.v.is_section(line.text):
                self.rec.unmapped.append((line.no, line.text))
            return i + 1
        if self.open and self._take(line):
            return i + 1
        self.leftover(line)
        return i + 1

    # ------------------------------------------------------------ labels
    def match(self, line: Line) -> Match | None:
        """The longest known label at the start of the line (`Label: value`), or the whole line as a label."""
        if line.kind not in (TEXT, HEADING, ITEM):
            return None
        text = _MD_BULLET_LABEL.sub("", line.text)
        if _BULLET.match(text):
            return None
        text = text.replace("**", "").replace("__", "")
        best: Match | None = None
        for m in re.finditer(r":", text[:120]):
            t = self.v.lookup(text[: m.start()], self.group)
            if t:
                best = Match(t, text[: m.start()], text[m.end():].strip(" *_\t"))
        if best:
            return best
        if len(text) <= 70:
            t = self.v.lookup(text.rstrip(":? "), self.group)
            if t:
                return Match(t, text, "")
        return None

    def _continues_open(self, m: Match, line: Line) -> bool:
        """Inside a description, a label-like line ('Randomization: patients…') is part of the text
        unless it is clearly a new field (a heading, or a value its field understands)."""
        o = self.open
        if not o or o.target.kind != "longtext":
            return False
        if m.target.path and m.target.path == o.target.path:
            return False
        if not o.has_value or line.kind == HEADING:
            return False
        if not m.value:
            return False
        if m.target.kind in _TEXTISH:
            return len(norm_label(m.label).split()) < 2 and self.last_kind != BLANK
        return normalise(m.target.kind, m.value) is None

    def start(self, m: Match, line: Line) -> None:
        o = self.open
        if o and m.target.path and o.target.path == m.target.path and o.target.kind == "longtext":
            if m.target.verbatim_label:
                o.buf.append(line)
            elif m.value:
                o.buf.append(Line(line.no, m.value, TEXT, (), m.value))
            return
        self.close()
        t = m.target
        if t.group and t.sub is None:
            self.group = t.group
            self.rec.start_group(t.group)
        elif t.group:
            self.group = t.group
        else:
            self.group = None
        self.open = Open(t, line, inline=bool(m.value))
        if t.verbatim_label:
            self.open.buf.append(line)
        elif m.value:
            self.open.buf.append(Line(line.no, m.value, TEXT, (), _value_raw(line, m.value)))
        if not m.value and line.kind != HEADING:
            self.after_heading = True
        if line.kind == HEADING:
            self.after_heading = True
        if t.kind not in _MULTILINE and m.value:
            self.close()

    def _take(self, line: Line) -> bool:
        """Give an unlabelled line to the open label if it belongs to it; True when it did."""
        o = self.open
        assert o is not None
        kind = o.target.kind
        if kind in _MULTILINE and not (o.inline and any(b.kind == BLANK for b in o.buf)) or kind == "longtext":
            o.buf.append(line)
            return True
        if not o.has_value:
            o.buf.append(line)
            self.close()
            return True
        return False

    def close(self) -> None:
        o, self.open = self.open, None
        if not o or not o.has_value:
            return
        first = o.line if o.inline else next(b for b in o.buf if b.kind != BLANK)
        if o.target.kind == "longtext":
            raw = "\n".join(ln.verbatim if ln.kind != BLANK else "" for ln in o.buf)
        elif o.target.kind in _PER_LINE:
            for ln in o.buf:
                if ln.kind != BLANK:
                    self.rec.put(o.target, ln.text, o.line if ln is o.buf[0] and o.inline else ln)
            return
        else:
            raw = "\n".join(ln.text for ln in o.buf if ln.kind != BLANK)
        self.rec.put(o.target, raw, first)

    # ------------------------------------------------------------ rows and tables
    def row(self, lines: list[Line], i: int) -> int:
        line = lines[i]
        if i + 1 < len(lines) and lines[i + 1].kind == SEP:
            self.close()
            self.group = None
            j, related = read_table(self.rec, self.v, lines, i)
            self.related = related
            return j
        cells = list(line.cells)
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) >= 2 and cells[0]:
            t = self.v.lookup(cells[0], self.group)
            if t:
                self.close()
                self.group = t.group
                self.rec.put(t, "|".join(cells[1:]).strip(), line)
                return i + 1
        self.leftover(line)
        return i + 1

    # ------------------------------------------------------------ the rest
    def _starts_related(self, line: Line, lines: list[Line], i: int) -> bool:
        if line.kind == ROW:
            return self.v.is_related_header(line.cells)
        return self.v.is_related(line.text.rstrip(":"))

    def _ends_related(self, line: Line) -> bool:
        """Other trials' listings end at a heading, a known section, or a labelled line of this record."""
        if self.v.is_related(line.text.rstrip(":")) or _NCT.search(line.text):
            return False
        if line.kind == HEADING or self.v.is_section(line.text.rstrip(":")):
            return True
        if line.kind == ROW:
            cells = [c for c in line.cells if c]
            label = cells[0] if len(cells) >= 2 else ""
        else:
            m = self.match(line)
            label = m.label if m and m.value else ""
        return len(norm_label(label).split()) >= 2 and self.v.lookup(label) is not None

    def leftover(self, line: Line) -> None:
        if self.on_unlabelled and self.on_unlabelled(line):
            return
        if line.kind == ROW:
            cells = [c for c in line.cells if c]
            if len(cells) >= 2 and len(cells[0]) <= 60:
                self.rec.unmapped.append((line.no, line.text))
            return
        m = _LOOKS_LABELLED.match(line.text)
        if m and len(m.group("label").split()) <= 8 and not nz.is_none_word(m.group("value") or "x"):
            self.rec.unmapped.append((line.no, line.text))

    def finish(self) -> None:
        self.close()


def _value_raw(line: Line, value: str) -> str:
    raw = line.verbatim
    idx = raw.find(value[:20]) if value else -1
    return raw[idx:] if idx >= 0 else value
