"""Dictionary-based constraints: condition, biomarker, prior therapy, comorbidity, pregnancy, consent, other, sex."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from trialscout.criteria.numeric import NUM, TIME_UNIT, WORDNUM, comp_re, days, op_of, postfix_op, word_or_num
from trialscout.criteria.text import may_contain

Found = dict[str, Any]

_STRONG_SETTINGS = {"metastatic", "recurrent", "locally_advanced", "advanced", "unresectable", "refractory",
                    "castration_resistant", "castration_sensitive", "platinum_sensitive", "platinum_resistant",
                    "triple_negative", "newly_diagnosed"}
_THERAPY_CUE = re.compile(
    r"\b(?:prior|previous(?:ly)?|received?|receiving|treated|treatment\s+with|therapy\s+with|histor(?:y|ies)\s+of|"
    r"since|within|na[iï]ve|refractory|resistant|progress\w*|fail\w*|intoleran\w*|pre-?treated|exposure|exposed|"
    r"concurrent|concomitant|ongoing|currently|undergone|underwent|undergoing|completed|last\s+dose|lines?\s+of|"
    r"regimens?|administration|administered|use\s+of|relapsed?|after|following|recover\w*|toxicit\w+|"
    r"candidates?\s+for|eligible\s+for|planned|scheduled|washout)\b", re.IGNORECASE)
_CONCURRENT = re.compile(r"\b(?:concurrent|concomitant|currently\s+(?:receiving|taking|on|using)|ongoing|"
                         r"receiving|during\s+the\s+study|while\s+on\s+study|undergoing)\b", re.IGNORECASE)
_ROMAN = {"0": 0, "I": 1, "II": 2, "III": 3, "IV": 4, "Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_STAGE_RE = re.compile(r"\bstage[s]?\s*(?P<list>(?:(?:0|IV|III|II|I|Ⅳ|Ⅲ|Ⅱ|Ⅰ|[1-4])[A-C]?[1-3]?"
                       r"(?:(?:\s*(?:-|to|through|or|/|,|and|&))+\s*(?:stage\s*)?)?)+)", re.IGNORECASE)
_STAGE_ITEM = re.compile(r"(0|IV|III|II|I|Ⅳ|Ⅲ|Ⅱ|Ⅰ|[1-4])([A-C]?[1-3]?)", re.IGNORECASE)
_TNM_RE = re.compile(r"\b[cpy]?T(?:[0-4][a-d]?|is|x)\s*,?\s*N[0-3x][a-c]?\s*,?\s*M[01x][a-c]?\b")


def stages(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    out: list[str] = []
    spans = []
    for m in _STAGE_RE.finditer(text):
        items = _STAGE_ITEM.findall(m.group("list"))
        if not items:
            continue
        spans.append((m.start(), m.end()))
        lst = [(r.upper(), s.upper()) for r, s in items]
        ranged = re.search(r"\d|[IVⅠ-Ⅳ]\s*(?:-|to|through)\s*", m.group("list")) and len(lst) == 2 and re.search(
            r"(?:-|to|through)", m.group("list"))
        if ranged and not lst[0][1] and not lst[1][1]:
            lo, hi = _ROMAN.get(lst[0][0], 0), _ROMAN.get(lst[1][0], 0)
            names = ["0", "I", "II", "III", "IV"]
            out.extend(names[i] for i in range(lo, hi + 1))
        else:
            out.extend(_roman(r) + s for r, s in lst)
    for m in _TNM_RE.finditer(text):
        out.append(m.group().replace(" ", "").replace(",", ""))
        spans.append((m.start(), m.end()))
    return list(dict.fromkeys(out)), spans


def _roman(r: str) -> str:
    return {"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV", "1": "I", "2": "II", "3": "III", "4": "IV"}.get(r, r)


@cache
def _size_res() -> tuple[re.Pattern[str], re.Pattern[str]]:
    c = comp_re()
    a = re.compile(rf"\b(?:tumou?rs?|lesions?|mass(?:es)?|nodules?|diameter|size|largest|longest|dimension|"
                   rf"measuring)\b[^\d;.]{{0,40}}?(?:(?P<comp>{c})\s*)?(?P<n>{NUM})(?:\s*(?:-|to)\s*(?P<n2>{NUM}))?"
                   r"\s*(?P<u>cm|mm|centimet(?:er|re)s?|millimet(?:er|re)s?)\b", re.IGNORECASE)
    b = re.compile(rf"(?:(?P<comp>{c})\s*)?(?P<n>{NUM})(?:\s*(?:-|to)\s*(?P<n2>{NUM}))?\s*(?P<u>cm|mm)\b"
                   r"(?=\s+(?:in\s+)?(?:(?:greatest|maximum|largest|longest|maximal)\s+)?(?:diameter|size|tumou?r|"
                   r"lesion|dimension|mass))", re.IGNORECASE)
    return a, b


_HAS_SIZE = re.compile(r"\d\s*(?:cm|mm|centimet|millimet)", re.IGNORECASE)
_A_NUMBER = re.compile(WORDNUM, re.IGNORECASE)
"""The count a lesion-count pattern reads (`WORDNUM`): a text without one skips the pattern."""
_HAS_COUNT = re.compile(r"lesion|metasta|tumou?r|nodule|foci|focus|\bmets\b|sites?\s+of", re.IGNORECASE)
_COUNT_WORDS = ("lesion", "metasta", "tumo", "nodule", "foc", "mets", "site")
"""Every `_HAS_COUNT` match holds one of these (`may_contain`)."""
_HAS_TIME = re.compile(r"\b(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?|\d+\s*[dwyh])\b", re.IGNORECASE)
_HAS_LINES = re.compile(r"\b(?:lines?|regimens?)\b", re.IGNORECASE)


def sizes(text: str, ctype: str) -> list[Found]:
    out: list[Found] = []
    if not _HAS_SIZE.search(text):
        return out
    for pat in _size_res():
        for m in pat.finditer(text):
            if any(f["span"][0] <= m.start("n") < f["span"][1] for f in out):
                continue
            n = word_or_num(m.group("n"))
            if n is None:
                continue
            cm = n / 10 if m.group("u").lower().startswith("m") else n
            f: Found = {"kind": "condition", "span": (m.start(), m.end()), "size_cm": round(cm, 2)}
            op = op_of(m) if m.group("comp") else None
            if m.group("n2"):
                op = None
            if op == "=" and m.group("comp").strip() == "=":
                op = ">=" if ctype == "inclusion" else "<="
                f["op_inferred"] = True
            f["size_op"] = op or "="
            out.append(f)
    return out


_COUNT_RE = re.compile(
    rf"(?:(?P<comp>{comp_re()})\s*)?(?P<n>{WORDNUM})(?!\s*(?:cm|mm|%|x\b|×|\.\d))(?:\s*(?:-|to)\s*(?P<n2>{WORDNUM}))?"
    r"(?P<post>\s*(?:or\s+(?:more|fewer|less)))?\s+(?:[\w-]+\s+){0,3}?"
    r"(?:lesions?|metastases|metastasis|tumou?rs?|nodules?|foci|mets|sites?\s+of\s+disease)\b", re.IGNORECASE)


def lesion_counts(text: str) -> list[Found]:
    out: list[Found] = []
    if not may_contain(text, _COUNT_WORDS) or not _HAS_COUNT.search(text) or not _A_NUMBER.search(text):
        return out
    for m in _COUNT_RE.finditer(text):
        n = word_or_num(m.group("n"))
        if n is None or n > 100:
            continue
        f: Found = {"kind": "condition", "span": (m.start(), m.end()), "lesion_count": n}
        if m.group("n2"):
            hi = word_or_num(m.group("n2"))
            f.update(lesion_count_op="between", lesion_count_high=hi)
        elif m.group("post"):
            f["lesion_count_op"] = ">=" if "more" in m.group("post").lower() else "<="
        else:
            op = op_of(m) if m.group("comp") else None
            f["lesion_count_op"] = op if op and op != "=" else "="
        out.append(f)
    return out


_WINDOW_RES = (
    (re.compile(rf"\b(?:within|in|during|over)\s+(?:the\s+)?(?:(?:last|past|previous|prior|preceding)\s+)?"
                rf"(?P<n>{WORDNUM})\s*(?P<u>{TIME_UNIT})", re.IGNORECASE), "<="),
    (re.compile(r"\b(?:within|in|during)\s+(?:the\s+)?(?:last|past|previous|prior|preceding)\s+(?P<u>year|month|week)",
                re.IGNORECASE), "<="),
    (re.compile(rf"(?P<n>{WORDNUM})\s*(?P<u>{TIME_UNIT})\s*(?:have\s+)?(?:elapsed\s+)?"
                r"(?:since|from|after|following|between|prior\s+to|before)", re.IGNORECASE), ">="),
    (re.compile(rf"(?P<n>{WORDNUM})\s*(?P<u>{TIME_UNIT})\s*(?:or\s+more|or\s+longer)\s+(?:since|from|after|before|"
                r"prior)", re.IGNORECASE), ">="),
    (re.compile(rf"(?P<n>{WORDNUM})\s*(?P<u>{TIME_UNIT})\s*(?:prior\s+to|before|preceding)", re.IGNORECASE), "<="),
)


_WINDOW_COUNTED = (True, False, True, True, True)
r"""Which of _WINDOW_RES must read a count and its unit (`(?P<n>WORDNUM)\s*(?P<u>TIME_UNIT)`, not optional): a text
without such a pair (`_COUNT_AND_UNIT`) skips them."""
_COUNT_AND_UNIT = re.compile(rf"{WORDNUM}\s*{TIME_UNIT}", re.IGNORECASE)
_COMP_BEFORE = re.compile(rf"(?P<comp>{comp_re()})\s*$", re.IGNORECASE)


@lru_cache(maxsize=64)
def windows(text: str) -> list[tuple[int, int, str, float]]:
    """Time windows: (start, end, op, days); `within 4 weeks` is <= 28, `at least 6 months since` is >= 180."""
    out: list[tuple[int, int, str, float]] = []
    if not _HAS_TIME.search(text):
        return out
    numbered = _COUNT_AND_UNIT.search(text) is not None
    for (pat, default), counted in zip(_WINDOW_RES, _WINDOW_COUNTED, strict=True):
        if counted and not numbered:
            continue
        for m in pat.finditer(text):
            if any(s <= m.start() < e for s, e, _, _ in out):
                continue
            n = word_or_num(m.group("n")) if "n" in pat.groupindex and m.group("n") else 1.0
            if n is None:
                continue
            op = default
            if default == ">=" and "since" not in m.group().lower() and "or" not in m.group().lower():
                cm = _COMP_BEFORE.search(text, max(0, m.start() - 30), m.start())
                got = op_of(cm) if cm else None
                if got is None:
                    continue
                op = got if got in (">=", ">") else ("<=" if got in ("<=", "<") else default)
            elif default == ">=":
                cm = _COMP_BEFORE.search(text, max(0, m.start() - 30), m.start())
                got = op_of(cm) if cm else None
                op = "<=" if got in ("<=", "<") else (got if got in (">=", ">") else ">=")
            out.append((m.start(), m.end(), op, days(n, m.group("u"))))
    return out


_NYHA_RE = re.compile(
    rf"(?:(?P<comp0>{comp_re()})\s*)?(?:NYHA|New\s+York\s+Heart\s+Association)(?:\s*\(NYHA\))?[^\d;.]{{0,25}}?"
    rf"(?:(?P<comp>{comp_re()})\s*)?(?:class\s*)?(?P<c1>IV|III|II|I|[1-4])\b(?:\s*(?:-|to|or|and|/|,)\s*"
    r"(?:class\s*)?(?P<c2>IV|III|II|I|[1-4])\b)?(?P<post>\s*(?:or\s+(?:greater|higher|above|worse|more)|\+))?",
    re.IGNORECASE)


def nyha(text: str) -> tuple[str, int, tuple[int, int]] | None:
    if "nyha" not in text.lower() and "new york" not in text.lower():
        return None
    m = _NYHA_RE.search(text)
    if not m:
        return None
    c1 = _ROMAN.get(m.group("c1").upper(), 0)
    op = None
    for g in ("comp0", "comp"):
        if m.group(g):
            op = op_of(m, g)
    if m.group("c2") or m.group("post") or op in (None, "="):
        op = ">=" if op in (None, "=") else op
    return op, c1, (m.start(), m.end())


_LINES_RE = re.compile(
    rf"(?:(?P<comp>{comp_re()})\s*)?(?P<n>{WORDNUM})(?:\s*(?:-|to|or)\s*(?P<n2>{WORDNUM}))?"
    r"(?P<post>\s*(?:or\s+more|or\s+fewer|or\s+less|\+))?\s+(?:[a-z-]+\s+){0,4}?(?:lines?|regimens?)\b",
    re.IGNORECASE)


def lines_of_therapy(text: str) -> tuple[str, float, tuple[int, int]] | None:
    if not _HAS_LINES.search(text):
        return None
    m = _LINES_RE.search(text)
    if not m:
        return None
    n = word_or_num(m.group("n"))
    if n is None or n > 20:
        return None
    op = op_of(m) if m.group("comp") else None
    if m.group("post"):
        op = ">=" if re.search(r"more|\+", m.group("post")) else "<="
    if m.group("n2"):
        op = ">="
    post = postfix_op(text, m.end())
    if post:
        op = post[0]
    return (op if op and op != "=" else "="), n, (m.start(), m.end())
