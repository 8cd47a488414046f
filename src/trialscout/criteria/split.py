"""Split an eligibility block into criteria: headings, bullets, numbering, nesting and run-together text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from trialscout.criteria import rules
from trialscout.criteria.text import normalize

MAX_PIECE = 1500
"""Items longer than this with no other separator are cut at sentence ends (keeps time per item bounded)."""

_MARKER = re.compile(
    r"(?P<m>[-*•+>o]+(?=\s)|[-•*](?=[A-Za-z])|\d{1,2}(?:\.\d{1,2})*[.)](?=\s)|\(\d{1,2}\)|\(?[a-zA-Z][.)](?=\s)"
    r"|\([ivxIVX]{1,4}\)|[ivxIVX]{1,4}[.)](?=\s))[ ]*"
)
_LINE_CONNECTIVE = re.compile(
    r"(?:[,\-/(&]|\b(?:and|or|of|the|with|to|than|for|in|by|a|an|at|on|as|from|including|e\.g\.|i\.e\.|"
    r"per|is|are|be|must|who|which|that|not|no|any)) *$", re.IGNORECASE)
_INLINE_NUM = re.compile(r"(?:(?<=\s)|^)(\d{1,2})[.)](?=\s+\S)")
_INLINE_BULLET = re.compile(r"(?<=[^\s\d])\s+[-•*]\s+(?=[A-Za-z(\"'])|(?<=\d)\s+[-•*]\s+(?=[A-Z][a-z])")
_HARD_BULLET = re.compile(r"\s*•\s*")
_SENTENCE = re.compile(r"(?<=[.;!?。])\s+(?=\S)")
_PDQ_SENTENCE = re.compile(r"(?<=[a-z0-9%)\]])[.;]\s+(?=[A-Z])")
_CONNECTIVE_BEFORE = re.compile(r"\b(?:and|or|of|with|the|to|than|by|in|for|on|at|from|e\.g|i\.e|including|nor|"
                                r"no|not|without|any)\W*$", re.IGNORECASE)
_EXCEPT_LIST = re.compile(r"\b(?:except|excepting|other\s+than)(?:\s+for)?\s*:", re.IGNORECASE)
"""'No second malignancy except: A. B.': the sentences after the colon are the exceptions, not new criteria."""


@dataclass
class Piece:
    """One criterion as found in the text: its span and context (before any extraction)."""

    start: int
    end: int
    type: str = "inclusion"
    section: str | None = None
    level: int = 0
    parent: int | None = None
    indent: int = -1
    ends_with_colon: bool = False


@dataclass
class _Ctx:
    type: str = "inclusion"
    section: str | None = None
    pdq: bool = False
    events: list[tuple[int, int, str, str | None, bool]] = field(default_factory=list)


@cache
def _line_rules() -> list[tuple[re.Pattern[str], str, bool]]:
    data = rules.load("headings.json")
    return [(re.compile(r["pattern"], rules.flags_of(r)), r["type"], bool(r.get("pdq"))) for r in data["line"]]


@cache
def _inline_rules() -> list[tuple[re.Pattern[str], str, bool]]:
    data = rules.load("headings.json")
    return [(re.compile(r["pattern"], rules.flags_of(r)), r["type"], bool(r.get("pdq"))) for r in data["inline"]]


@cache
def _not_criterion() -> re.Pattern[str]:
    pats = rules.load("headings.json")["not_a_criterion"]["patterns"]
    return re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE)


@cache
def _pdq_labels() -> re.Pattern[str]:
    labels = sorted(rules.load("headings.json")["pdq_labels"]["labels"], key=len, reverse=True)
    alt = "|".join(re.escape(x) for x in labels)
    return re.compile(rf"(?<![\w/-])(?P<label>{alt})\s*:\s*", re.IGNORECASE)


@cache
def _starters() -> re.Pattern[str]:
    words = rules.load("patterns.json")["pdq_starters"]["words"]
    alt = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<=[A-Za-z0-9%)\]])\s+(?=(?:{alt})\b)")


def heading_type(line: str) -> tuple[str, bool] | None:
    """The type of a heading line (`inclusion`/`exclusion`/`neutral`, is-PDQ) or None if it is no heading."""
    s = line.strip()
    m = _MARKER.match(s)
    if m:
        s = s[m.end():]
    if not s or len(s) > 220:
        return None
    for pat, typ, pdq in _line_rules():
        if pat.search(s):
            return typ, pdq
    return None


def _lines(t: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    while pos < end:
        nl = t.find("\n", pos, end)
        stop = end if nl < 0 else nl
        out.append((pos, stop))
        pos = stop + 1
    return out


def _heading_events(t: str) -> list[tuple[int, int, str, str | None, bool]]:
    """(start, end, type, label, pdq) of every heading, in text order."""
    events = []
    max_words = rules.load("headings.json")["generic_heading"]["max_words"]
    prev_blank = True
    for ls, le in _lines(t, 0, len(t)):
        line = t[ls:le]
        stripped = line.strip()
        was_blank, prev_blank = prev_blank, not stripped
        if not stripped:
            continue
        hit = heading_type(line)
        if hit:
            events.append((ls, le, hit[0], stripped.rstrip(":. ").strip(), hit[1]))
            continue
        if (was_blank and stripped.endswith(":") and len(stripped.split()) <= max_words and not _MARKER.match(stripped)
                and len(stripped) < 80):
            events.append((ls, le, "neutral", stripped.rstrip(": "), False))
            continue
        for pat, typ, pdq in _inline_rules():
            for m in pat.finditer(line):
                kind = typ
                if typ == "by-word":
                    kind = "exclusion" if m.group().upper().startswith("EXCL") else "inclusion"
                events.append((ls + m.start(), ls + m.end(), kind, m.group().rstrip(": "), pdq))
    events.sort()
    return events


def _apply_event(ctx: _Ctx, typ: str, label: str | None, pdq: bool) -> None:
    if typ in ("inclusion", "exclusion"):
        ctx.type, ctx.section, ctx.pdq = typ, None, False
    else:
        ctx.section = label
        ctx.pdq = ctx.pdq or pdq


def split_spans(text: str) -> list[Piece]:
    """The criteria of a block as pieces with spans into `text` (no extraction)."""
    if not text or not text.strip():
        return []
    t = normalize(text)
    ctx = _Ctx()
    pieces: list[Piece] = []
    pos = 0
    for es, ee, typ, label, pdq in _heading_events(t):
        if es < pos:
            continue
        pieces.extend(_region(t, pos, es, ctx))
        _apply_event(ctx, typ, label, pdq)
        pos = ee
    pieces.extend(_region(t, pos, len(t), ctx))
    _nest(pieces)
    return pieces


def _region(t: str, start: int, end: int, ctx: _Ctx) -> list[Piece]:
    raw = _raw_items(t, start, end, ctx.pdq)
    out: list[Piece] = []
    for s, e, indent, marked in raw:
        for ps, pe, section in _inline_split(t, s, e, marked, ctx.pdq):
            ps, pe = _trim(t, ps, pe)
            if pe <= ps or _not_criterion().search(t[ps:pe]):
                continue
            out.append(Piece(ps, pe, ctx.type, section or ctx.section, indent=indent,
                             ends_with_colon=t[ps:pe].rstrip().endswith(":")))
    return out


def _raw_items(t: str, start: int, end: int, pdq: bool) -> list[tuple[int, int, int, bool]]:
    """Items of a region from its line layout: (start, end, marker indent or -1, has marker)."""
    lines = _lines(t, start, end)
    nonblank = [i for i, (s, e) in enumerate(lines) if t[s:e].strip()]
    paragraph_mode = pdq or any(not t[s:e].strip() for s, e in lines[nonblank[0]:nonblank[-1]]) if nonblank else False
    items: list[list[int]] = []  # [start, end, indent, marked]
    prev_blank, prev_line = True, ""
    for s, e in lines:
        line = t[s:e]
        body = line.lstrip(" ")
        if not body.strip():
            prev_blank = True
            continue
        indent = len(line) - len(body)
        m = _MARKER.match(body)
        if m:
            items.append([s + indent + m.end(), e, indent, 1])
        elif not items or _starts_new(items[-1], indent, body, prev_line, prev_blank, paragraph_mode):
            items.append([s + indent, e, -1, 0])
        else:
            items[-1][1] = e
        prev_blank, prev_line = False, line
    return [(a, b, c, bool(d)) for a, b, c, d in items]


def _starts_new(cur: list[int], indent: int, body: str, prev_line: str, prev_blank: bool, para: bool) -> bool:
    if prev_blank:
        return not (cur[3] and indent > cur[2] and para is False)
    if para:
        return False
    if cur[3] and indent > cur[2]:
        return False
    return not (_LINE_CONNECTIVE.search(prev_line) or body[:1].islower())


def _inline_split(t: str, s: int, e: int, marked: bool, pdq: bool) -> list[tuple[int, int, str | None]]:
    spans = _split_numbered(t, s, e)
    spans = [p for a, b in spans for p in _split_bullets(t, a, b, marked)]
    if pdq:
        return [p for a, b in spans for p in _split_pdq(t, a, b)]
    out: list[tuple[int, int, str | None]] = []
    for a, b in spans:
        out.extend((x, y, None) for x, y in _split_long(t, a, b))
    return out


def _split_numbered(t: str, s: int, e: int) -> list[tuple[int, int]]:
    """`1. a; 2. b; 3. c` on one line: split where numbers run on in sequence."""
    found: dict[int, list[re.Match[str]]] = {}
    for m in _INLINE_NUM.finditer(t, s, e):
        found.setdefault(int(m.group(1)), []).append(m)
    n = 1 if 1 in found else 2
    chain: list[re.Match[str]] = []
    last = -1
    while n in found:
        nxt = next((m for m in found[n] if m.start() > last), None)
        if nxt is None:
            break
        chain.append(nxt)
        last, n = nxt.start(), n + 1
    if len(chain) < 2 and not (len(chain) == 1 and chain[0].group(1) == "2"):
        return [(s, e)]
    starts = [s] + [m.end() for m in chain]
    ends = [m.start() for m in chain] + [e]
    return list(zip(starts, ends, strict=True))


def _split_bullets(t: str, s: int, e: int, marked: bool) -> list[tuple[int, int]]:
    cuts = [m for m in _INLINE_BULLET.finditer(t, s, e)]
    if "•" in t[s:e]:
        cuts = sorted(set(cuts) | set(_HARD_BULLET.finditer(t, s, e)), key=lambda m: m.start())
    elif not cuts or (len(cuts) < 2 and not marked):
        return [(s, e)]
    out, pos = [], s
    for m in cuts:
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = max(pos, m.end())
    out.append((pos, e))
    return out


def _split_pdq(t: str, s: int, e: int) -> list[tuple[int, int, str | None]]:
    """Old NCI layout: `Age: 18 and over Performance status: ECOG 0-1 ...` -> one piece per label/sentence."""
    parts: list[tuple[int, int, str | None]] = []
    pos, label = s, None
    for m in _pdq_labels().finditer(t, s, e):
        parts.append((pos, m.start(), label))
        pos, label = m.end(), m.group("label")
    parts.append((pos, e, label))
    out = []
    for a, b, lab in parts:
        starts = {m.end() for m in _starters().finditer(t, a, b)
                  if not _CONNECTIVE_BEFORE.search(t, max(a, m.start() - 12), m.start())}
        cuts = sorted({a, b} | {m.end() for m in _PDQ_SENTENCE.finditer(t, a, b)} | starts)
        exceptions = _EXCEPT_LIST.search(t, a, b)
        if exceptions:
            cuts = [c for c in cuts if c <= exceptions.start() or c == b]
        out.extend((cuts[i], cuts[i + 1], lab) for i in range(len(cuts) - 1))
    return out


def _split_long(t: str, s: int, e: int) -> list[tuple[int, int]]:
    if e - s <= MAX_PIECE:
        return [(s, e)]
    cuts = [s] + [m.end() for m in _SENTENCE.finditer(t, s, e)] + [e]
    out, a = [], s
    for c in cuts[1:]:
        if c - a >= 200 or c == e:
            out.extend(_hard_cut(a, c))
            a = c
    return out


def _hard_cut(a: int, b: int) -> list[tuple[int, int]]:
    return [(x, min(x + MAX_PIECE, b)) for x in range(a, b, MAX_PIECE)]


_TRIM_HEAD = " \n-*•+>;:,.|"
_TRIM_TAIL = " \n;,|"


def _trim(t: str, s: int, e: int) -> tuple[int, int]:
    while s < e and t[s] in _TRIM_HEAD:
        s += 1
    while e > s and t[e - 1] in _TRIM_TAIL:
        e -= 1
    for tail in (" and", " or", " AND", " OR"):
        if t.endswith(tail, s, e):
            e -= len(tail)
            while e > s and t[e - 1] in _TRIM_TAIL:
                e -= 1
    return s, e


def _nest(pieces: list[Piece]) -> None:
    """A marked item indented under another (or under a lead-in line ending in ':') is its child."""
    stack: list[int] = []
    for i, p in enumerate(pieces):
        if p.indent < 0:
            stack = [i] if p.ends_with_colon else []
            continue
        while stack and pieces[stack[-1]].indent >= p.indent:
            stack.pop()
        if stack:
            parent = pieces[stack[-1]]
            if parent.type == p.type and parent.section == p.section:
                p.parent, p.level = stack[-1], parent.level + 1
        stack.append(i)


def split_criteria(text: str) -> list[tuple[str, int, int, str]]:
    """Bare split: (type, start, end, text) of every criterion, with whitespace collapsed in the text."""
    return [(p.type, p.start, p.end, " ".join(text[p.start:p.end].split())) for p in split_spans(text)]
