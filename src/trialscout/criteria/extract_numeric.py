"""Numeric constraints: age, performance status, life expectancy and lab values (with units and ULN multiples)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from trialscout.criteria import rules
from trialscout.criteria.numeric import (
    NUM,
    WORDNUM,
    comp_re,
    infer_op,
    op_of,
    parse_num,
    postfix_op,
    word_or_num,
)
from trialscout.criteria.text import may_contain
from trialscout.criteria.units import analyte_spec, convert, to_ucum
from trialscout.criteria.vocab import Mention

Found = dict[str, Any]
"""A constraint as found: kind, span (relative to the criterion) and kind fields."""

_AGE_UNIT = r"(?:years?|yrs?|y\.?o\.?|y|months?|mos?|weeks?|wks?|days?)"
_TAIL_CORE = (rf"(?P<n1>{NUM})(?:\s*(?:-|to|and)\s*(?P<n2>{NUM}))?\s*(?P<u>{_AGE_UNIT})"
              r"(?=[\s-]*(?:old|of\s+age|or\s+older|and\s+older|or\s+above|and\s+above|or\s+over|and\s+over|"
              r"or\s+younger|and\s+younger|or\s+more\s+of\s+age|of\s+age\s+or\s+older))")
"""The `tail` age pattern after its optional comparator: where that pattern matches, this matches too (at the
number), and it is quick to look for (it starts at a digit or a dot), so a text without it skips the pattern."""
_TAIL_CORE_RE = re.compile(_TAIL_CORE, re.IGNORECASE)


@cache
def _age_res() -> tuple[re.Pattern[str], ...]:
    c = comp_re()
    kw = (rf"\b(?:age[ds]?|aged|ages)\b[^\d;.]{{0,30}}?(?:(?P<comp>{c})\s*)?(?P<n1>{NUM})\s*(?P<u1>{_AGE_UNIT}\b)?"
          rf"(?:\s*(?:-|to|and|through)\s*(?P<n2>{NUM}))?\s*(?P<u>{_AGE_UNIT})?\b")
    tail = rf"(?:(?P<comp>{c})\s*)?{_TAIL_CORE}"
    older = rf"\b(?P<dir>older|younger)\s+than\s+(?P<n1>{NUM})\s*(?P<u>{_AGE_UNIT})?"
    person = (r"\b(?:adults?|patients?|subjects?|participants?|men|women|males?|females?|children|persons?|"
              rf"individuals?|volunteers?)\b[^\d;.]{{0,25}}?(?P<comp>{c})\s*(?P<n1>{NUM})\s*(?P<u>years?|yrs?)\b"
              r"(?!\s*(?:since|after|from|prior|before|ago|of\s+(?:follow|treatment|smoking|diagnosis)))")
    return tuple(re.compile(p, re.IGNORECASE) for p in (older, kw, tail, person))


def _years(n: float, unit: str | None) -> float:
    u = (unit or "y").lower()
    if u.startswith("mo"):
        return round(n / 12, 2)
    if u.startswith("w"):
        return round(n / 52, 2)
    if u.startswith("d"):
        return round(n / 365, 3)
    return n


def _age_from(m: re.Match[str], text: str, ctype: str) -> Found | None:
    n1 = parse_num(m.group("n1"))
    if n1 is None:
        return None
    gd = m.groupdict()
    unit = gd.get("u")
    if unit and unit.lower().startswith(("h",)):
        return None
    n2 = parse_num(gd["n2"]) if gd.get("n2") else None
    a1, a2 = _years(n1, gd.get("u1") or unit), (_years(n2, unit) if n2 is not None else None)
    if a1 > 120 or (a2 is not None and a2 > 120):
        return None
    end = m.end()
    if gd.get("dir"):
        op = ">" if gd["dir"].lower() == "older" else "<"
    elif a2 is not None:
        return {"kind": "age", "span": (m.start(), end), "min_years": a1, "max_years": a2}
    else:
        op = op_of(m) if gd.get("comp") else None
        post = postfix_op(text, end)
        if post:
            op, end = post[0], post[1]
        if op in (None, "="):
            op = ">="
    field = "min_years" if op in (">=", ">") else "max_years"
    return {"kind": "age", "span": (m.start(), end), field: a1}


_HAS_AGE = re.compile(r"\bage|year|\byrs?\b|month|older|younger|\bold\b|adult", re.IGNORECASE)
_AGE_WORDS = ("age", "year", "yr", "month", "old", "younger", "adult")
"""Every `_HAS_AGE` match holds one of these (`may_contain`)."""
_DIGIT = re.compile(r"\d")
"""Every age, performance status and blood pressure pattern reads a number (`NUM`, `\\d`): a text without a digit
skips them (the same test the patterns make, so the same result)."""
_TAIL_CUE = re.compile(r"old|of\s+age|above|over|younger", re.IGNORECASE)
"""What the `tail` age pattern's closing lookahead ('18 years or older') cannot match without: it is skipped then."""


def ages(text: str, ctype: str, section: str | None) -> list[Found]:
    out: list[Found] = []
    taken: list[tuple[int, int]] = []
    pats: tuple[re.Pattern[str], ...] = ()
    if _DIGIT.search(text) and may_contain(text, _AGE_WORDS) and _HAS_AGE.search(text):
        older, kw, tail, person = _age_res()
        pats = (older, kw, tail, person) if _TAIL_CUE.search(text) and _TAIL_CORE_RE.search(text) \
            else (older, kw, person)
    for pat in pats:
        for m in pat.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            f = _age_from(m, text, ctype)
            if f:
                out.append(f)
                taken.append(f["span"])
    if not out and section and section.lower().startswith("age"):
        out.extend(_section_age(text))
    return _merge_ages(out)


def _section_age(text: str) -> list[Found]:
    m = re.search(rf"(?:(?P<comp>{comp_re()})\s*)?(?P<n1>{NUM})(?:\s*(?:-|to|and)\s*(?P<n2>{NUM}))?"
                  rf"\s*(?P<u>{_AGE_UNIT})?", text, re.IGNORECASE)
    f = _age_from(m, text, "inclusion") if m else None
    return [f] if f else []


def _merge_ages(found: list[Found]) -> list[Found]:
    """`at least 18 and no more than 75 years` read as two pieces becomes one age range."""
    if len(found) == 2 and all(len(f) == 3 for f in found):
        a, b = found
        if ("min_years" in a) != ("min_years" in b):
            merged = {"kind": "age", "span": (min(a["span"][0], b["span"][0]), max(a["span"][1], b["span"][1]))}
            merged.update({k: v for f in found for k, v in f.items() if k.endswith("_years")})
            return [merged]
    return found


_SCALES = {"ecog": "ECOG", "eastern cooperative oncology group": "ECOG", "who": "ECOG", "zubrod": "ECOG",
           "world health organization": "ECOG", "swog": "ECOG", "gog": "ECOG", "calgb": "ECOG",
           "karnofsky": "KARNOFSKY", "kps": "KARNOFSKY", "lansky": "LANSKY", "ps": None, "performance status": None}


@cache
def _ps_re() -> re.Pattern[str]:
    scale = (r"(?P<scale>ecog|eastern\s+cooperative\s+oncology\s+group|zubrod|karnofsky|kps|lansky|"
             r"(?:who|world\s+health\s+organization|swog|gog|calgb)(?=[^\d;.]{0,25}performance)|performance\s+status|\bps)")
    nums = r"(?P<n1>\d{1,3})\s*%?(?P<rest>(?:\s*(?:-|to|,|or|and|/)\s*(?:or\s+)?\d{1,3}\s*%?)*)"
    return re.compile(rf"\b{scale}\b[^\d;.]{{0,45}}?(?:(?P<comp>{comp_re()})\s*)?{nums}", re.IGNORECASE)


def performance(text: str, ctype: str, section: str | None) -> list[Found]:
    out = []
    for m in _ps_re().finditer(text) if _DIGIT.search(text) else ():
        f = _ps_from(m, text, ctype, _SCALES.get(" ".join(m.group("scale").lower().split())))
        if f:
            out.append(f)
    if not out and section and section.lower().startswith("performance"):
        text = _before_next_label(text)
        m = re.search(rf"(?P<scale>)(?:(?P<comp>{comp_re()})\s*)?(?P<n1>\d{{1,3}})\s*%?"
                      r"(?P<rest>(?:\s*(?:-|to|,|or|and)\s*\d{1,3}\s*%?)*)", text, re.IGNORECASE)
        f = _ps_from(m, text, ctype, _scale_in(text)) if m else None
        if f:
            out.append(f)
    return out


_NEXT_LABEL = re.compile(r"\b[A-Z][a-z]+(?:\s+[a-z]+){0,2}\s*:")


def _before_next_label(text: str) -> str:
    """The words of a section before another PDQ label starts ('Not specified Life expectancy: More than 2 months'
    says nothing about performance status)."""
    m = _NEXT_LABEL.search(text)
    return text[:m.start()] if m else text


def _scale_in(text: str) -> str | None:
    low = text.lower()
    for k, v in _SCALES.items():
        if v and k in low:
            return v
    return None


def _ps_from(m: re.Match[str], text: str, ctype: str, scale: str | None) -> Found | None:
    values = [float(x) for x in re.findall(r"\d{1,3}", m.group("n1") + " " + (m.group("rest") or ""))]
    if scale is None:
        scale = _scale_in(text[m.start():m.end() + 40]) or ("ECOG" if max(values) <= 5 else "KARNOFSKY")
    top = 5 if scale == "ECOG" else 100
    if max(values) > top or (scale != "ECOG" and max(values) < 10):
        return None
    lo, hi = min(values), max(values)
    op = op_of(m) if m.group("comp") else None
    post = postfix_op(text, m.end())
    end = post[1] if post else m.end()
    if post:
        op = post[0]
    f: Found = {"kind": "performance_status", "span": (m.start(), end), "scale": scale}
    if len(values) > 1 and op in (None, "="):
        if (scale == "ECOG" and lo == 0) or (scale != "ECOG" and hi == 100):
            f.update(op="<=" if scale == "ECOG" else ">=", value=hi if scale == "ECOG" else lo)
        else:
            f.update(op="between", value=lo, value_high=hi)
        return f
    if op in (None, "="):
        op = infer_op("max" if scale == "ECOG" else "min", ctype)
        if m.group("comp") and m.group("comp").strip() == "=":
            f["op_inferred"] = True
    f.update(op=op, value=values[0])
    return f


@cache
def _life_re() -> re.Pattern[str]:
    kw = (r"(?:life\s+expectancy|expected\s+survival|estimated\s+(?:patient\s+)?survival|survival\s+expectancy|"
          r"predicted\s+survival|anticipated\s+survival|expectation\s+of\s+life|projected\s+survival|"
          r"expected\s+to\s+(?:live|survive))")
    return re.compile(rf"\b{kw}\b[^\d;.]{{0,35}}?(?:(?P<comp>{comp_re()})\s*)?(?P<n>{WORDNUM})\s*"
                      r"(?P<u>weeks?|wks?|months?|mos?|years?|yrs?|days?|hours?|hrs?)\b", re.IGNORECASE)


def life_expectancy(text: str, ctype: str, section: str | None) -> list[Found]:
    low = text.lower()
    m = _life_re().search(text) if ("surviv" in low or "expectan" in low or "live" in low) else None
    if not m and section and section.lower().startswith("life"):
        m = re.search(rf"(?P<x>)(?:(?P<comp>{comp_re()})\s*)?(?P<n>{WORDNUM})\s*"
                      r"(?P<u>weeks?|wks?|months?|mos?|years?|yrs?|days?)\b", text, re.IGNORECASE)
    if not m:
        return []
    n = word_or_num(m.group("n"))
    if n is None:
        return []
    u = m.group("u").lower()
    months = n * 12 if u.startswith("y") else n * 12 / 52 if u.startswith("w") else n / 30.4 if u.startswith(
        "d") else n / (30.4 * 24) if u.startswith("h") else n
    op = op_of(m) if m.group("comp") else None
    end = m.end()
    post = postfix_op(text, end)
    if post:
        op, end = post
    f: Found = {"kind": "life_expectancy", "span": (m.start(), end), "months": round(months, 1)}
    if op in (None, "="):
        f["op_inferred"] = bool(m.group("comp"))
        op = infer_op("min", ctype)
    f["op"] = op
    return f and [f]


# ---- labs -------------------------------------------------------------------------------------------

_UNIT = (r"\s*(?P<unit>(?:[x*]\s*10\s*(?:\^|\*\*|[eE]\+?)?\s*\(?-?[0-9⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2}\)?\s*)?(?:cells?\s*)?"
         r"(?:[°º]\s*[CF]\b|[℃℉]|mm\s*(?:of\s+)?Hg\b|[A-Za-z%][A-Za-z0-9%]*\.?)?(?:\s*/\s*(?:[0-9.,]+\s*)?[A-Za-z0-9]+(?:\^?[23]|\([23]\))?){0,2})")


@cache
def _unit_re() -> re.Pattern[str]:
    return re.compile(_UNIT)


@cache
def _uln_re() -> re.Pattern[str]:
    data = rules.load("patterns.json")["uln"]
    up = "|".join(r"\s*".join(re.escape(w) for w in p.split()) for p in sorted(data["upper"], key=len, reverse=True)
                  if p != "n")
    low = "|".join(r"\s*".join(re.escape(w) for w in p.split()) for p in sorted(data["lower"], key=len, reverse=True))
    mult = r"(?:x|times|time|fold|-fold|\*)"
    return re.compile(rf"\s*(?:{mult}\s*)?(?:the\s+)?(?:institutional\s+|site\s+)?"
                      rf"(?:(?P<uln>{up})|(?P<lln>{low})|(?<=[x*s])\s*(?P<nrm>normal))\b", re.IGNORECASE)


@cache
def _value_re() -> re.Pattern[str]:
    return re.compile(rf"(?P<filler>[^\d;≥≤<>=]{{0,45}}?)(?:(?P<comp>{comp_re()})\s*)?(?:(?:to|of|than)\s+)?"
                      rf"(?P<num>{NUM})(?:\s*(?:-|to)\s*(?P<num2>{NUM}))?", re.IGNORECASE)


@cache
def _bare_uln_re() -> re.Pattern[str]:
    return re.compile(rf"[^\d;]{{0,30}}?(?P<comp>{comp_re()})\s*(?:the\s+)?(?:institutional\s+)?"
                      r"(?:(?P<uln>ULN|upper\s+limits?\s+of\s+(?:the\s+)?(?:institutional\s+)?normal)|"
                      r"(?P<lln>LLN|lower\s+limits?\s+of\s+(?:the\s+)?(?:institutional\s+)?normal))", re.IGNORECASE)


_NORMAL = re.compile(r"[^\d;]{0,25}?\b(?:within\s+(?:the\s+)?(?:institutional\s+)?normal\s+(?:limits?|ranges?)|"
                     r"wnl|(?:is|are|be|levels?)\s+normal)\b|\s*:?\s*normal\b(?!\s+(?:limits?|ranges?|upper|lower))",
                     re.IGNORECASE)
_WORD_MULTIPLE = re.compile(rf"[^\d;]{{0,25}}?(?P<comp>{comp_re()})\s*(?P<mult>twice|two\s+times|double|thrice|"
                            r"three\s+times|four\s+times|five\s+times)\s+(?:the\s+)?(?:institutional\s+)?"
                            r"(?:upper\s+limits?\s+of\s+)?(?:the\s+)?normal\b", re.IGNORECASE)
_MULTIPLES = {"twice": 2.0, "two times": 2.0, "double": 2.0, "thrice": 3.0, "three times": 3.0, "four times": 4.0,
              "five times": 5.0}
_TIME_AFTER = re.compile(r"\s*(?:days?|weeks?|months?|years?|hours?|hrs?|wks?|minutes?|mins?|seconds?|secs?|cycles?|"
                         r"doses?|times?\s+per)\b",
                         re.IGNORECASE)


@cache
def _applies_if() -> list[tuple[re.Pattern[str], str]]:
    data = rules.load("patterns.json")["applies_if"]
    return [(re.compile("|".join(r"\b" + re.escape(p) for p in ps), re.IGNORECASE), k)
            for k, ps in data.items() if not k.startswith("_")]


def _analyte_groups(mentions: list[Mention], text: str) -> list[tuple[list[str], int, int]]:
    """Runs of analyte mentions joined by `and`/`or`/`/`/`,` share the value that follows them."""
    groups: list[tuple[list[str], int, int]] = []
    for m in mentions:
        named = list(dict.fromkeys(x.canon for x in m.entries if x.category == "analyte"))  # 'transaminases': 2
        if not named:
            continue
        if groups and re.fullmatch(r"[\s,/()&]*(?:and/or|and|or|&)?[\s,/()]*", text[groups[-1][2]:m.start]):
            names, s, _ = groups[-1]
            groups[-1] = (names + [n for n in named if n not in names], s, m.end)
        else:
            groups.append((named, m.start, m.end))
    return groups


def labs(text: str, ctype: str, mentions: list[Mention]) -> tuple[list[Found], list[tuple[int, int]]]:
    """Lab constraints, and the spans of `applies_if` phrases (a condition there is no requirement)."""
    out: list[Found] = []
    used: list[tuple[int, int]] = []
    groups = _analyte_groups(mentions, text)
    for gi, (names, gs, ge) in enumerate(groups):
        limit = groups[gi + 1][1] if gi + 1 < len(groups) else len(text)
        semi = text.find(";", ge, limit)
        limit = min(limit, ge + 160, semi if semi >= 0 else limit)
        values = _values(text, ge, limit)
        if not values:
            values = _no_number(text, ge, limit)
        for v in values:
            cond = _condition(text, v, limit)
            if cond:
                used.append(cond[1])
            for name in names:
                f = _lab(name, v, ctype, gs, cond[0] if cond else None)
                if f:
                    out.append(f)
    return _lab_conditions(text, out, used)


@cache
def _bp_pair_re() -> re.Pattern[str]:
    cue = rules.load("patterns.json")["blood_pressure_pair"]["cue"]
    return re.compile(rf"(?:{cue})[^.;\d]{{0,40}}?(?P<comp>{comp_re()})\s*(?P<s>\d{{2,3}})\s*/\s*(?P<d>\d{{2,3}})\b"
                      r"(?:\s*mm\s*(?:of\s+)?Hg\b)?", re.IGNORECASE)


def blood_pressure_pairs(text: str) -> list[Found]:
    """A blood pressure limit written as one pair ('BP > 150/100 mmHg'): a systolic and a diastolic limit, both
    spanning the pair (rule `blood_pressure_pair` in patterns.json)."""
    out: list[Found] = []
    for m in _bp_pair_re().finditer(text) if _DIGIT.search(text) else ():
        op = op_of(m)
        if op in (None, "="):
            continue
        span = (m.start("comp"), m.end())
        for analyte, group in (("systolic_bp", "s"), ("diastolic_bp", "d")):
            out.append({"kind": "lab", "span": span, "analyte": analyte, "op": op, "value": float(m.group(group)),
                        "unit": "mm[Hg]"})
    return out


@cache
def _lab_condition_re() -> re.Pattern[str]:
    cues = rules.load("patterns.json")["lab_condition"]["cues"]
    alt = "|".join(r"\s+".join(re.escape(w) for w in c.split()) for c in sorted(cues, key=len, reverse=True))
    return re.compile(rf"[\s,(]*(?:only\s+)?(?:{alt})\s*", re.IGNORECASE)


def _lab_conditions(text: str, found: list[Found],
                    used: list[tuple[int, int]]) -> tuple[list[Found], list[tuple[int, int]]]:
    """A lab limit followed by 'if' and another lab limit ('SGOT > 1.5 x ULN if alkaline phosphatase > 2.5 x ULN'):
    the second is only the condition (dropped, its span no requirement), the first holds only then (hypothetical)."""
    out: list[Found] = []
    for f in found:
        prev = out[-1] if out else None
        if prev and prev["span"][1] <= f["span"][0] and _lab_condition_re().fullmatch(
                text, prev["span"][1], f["span"][0]):
            prev["hypothetical"] = True
            used = used + [f["span"]]
            continue
        out.append(f)
    return out, used


def _values(text: str, pos: int, limit: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while pos < limit and len(out) < 3:
        m = _value_re().match(text, pos, limit)
        if not m:
            break
        if m.group("filler") and out and len(m.group("filler")) > 40:
            break
        v = _read_value(text, m, limit)
        pos = v.pop("_end")
        if v.get("skip"):
            continue
        out.append(v)
    return out


def _read_value(text: str, m: re.Match[str], limit: int) -> dict[str, Any]:
    end = m.end()
    v: dict[str, Any] = {"num": parse_num(m.group("num")), "start": m.start("num"), "_end": end}
    if m.group("comp"):
        v["op"], v["start"] = op_of(m), m.start("comp")
        v["raw_op"] = m.group("comp").strip()
    if m.group("num2") and ("between" in (m.group("filler") or "").lower() or not m.group("comp")):
        v["num2"] = parse_num(m.group("num2"))
    elif m.group("num2"):
        end = m.end("num")
    if _TIME_AFTER.match(text, end, limit):
        v["skip"] = True
        v["_end"] = end
        return v
    u = _uln_re().match(text, end, limit)
    if u:
        v["uln" if not u.group("lln") else "lln"] = True
        end = u.end()
    else:
        um = _unit_re().match(text, end, limit)
        unit = to_ucum(um.group("unit").strip()) if um and um.group("unit").strip() else None
        if unit:
            v["unit"], end = unit, um.end()
            u = _uln_re().match(text, end, limit)
            if u:
                v["uln" if not u.group("lln") else "lln"], end = True, u.end()
    post = postfix_op(text, end, limit)
    if post:
        v["op"], end = post
    v["_end"], v["end"] = end, end
    return v


def _no_number(text: str, pos: int, limit: int) -> list[dict[str, Any]]:
    m = _bare_uln_re().match(text, pos, limit)
    if m:
        return [{"num": 1.0, "op": op_of(m), "uln" if m.group("uln") else "lln": True,
                 "start": m.start("comp"), "end": m.end()}]
    w = _WORD_MULTIPLE.match(text, pos, limit)
    if w:
        return [{"num": _MULTIPLES[" ".join(w.group("mult").lower().split())], "op": op_of(w), "uln": True,
                 "start": w.start("comp"), "end": w.end()}]
    n = _NORMAL.match(text, pos, limit)
    if n:
        return [{"num": 1.0, "normal": True, "start": pos, "end": n.end()}]
    return []


def _condition(text: str, v: dict[str, Any], limit: int) -> tuple[str, tuple[int, int]] | None:
    after = text[v["end"]:min(limit, v["end"] + 70)]
    for pat, name in _applies_if():
        m = pat.search(after)
        if m and not re.search(r"[≤≥<>]|\d", after[:m.start()]):
            return name, (v["end"] + m.start(), v["end"] + m.end())
    return None


def _lab(name: str, v: dict[str, Any], ctype: str, gs: int, cond: str | None) -> Found | None:
    spec = analyte_spec(name)
    f: Found = {"kind": "lab", "span": (gs, v["end"]), "analyte": name}
    op = v.get("op")
    if op in (None, "=") or v.get("normal"):
        if v.get("raw_op") == "=":
            f["op_inferred"] = True
        op = infer_op(spec["direction"], ctype)
    if v.get("num") is None:
        return None
    if v.get("normal"):
        if spec["direction"] == "min":
            f.update(op=">=", lln_multiple=1.0)
        else:
            f.update(op="<=", uln_multiple=1.0)
    elif v.get("uln") or v.get("lln"):
        f.update(op=op, **{"uln_multiple" if v.get("uln") else "lln_multiple": v["num"]})
    else:
        conv = convert(name, v["num"], v.get("unit"))
        if conv is None:
            if v.get("unit") is None:
                return None
            conv = (v["num"], v["unit"], False)
        f.update(op=op, value=conv[0], unit=conv[1])
        if conv[2]:
            f["unit_inferred"] = True
        if v.get("num2") is not None:
            hi = convert(name, v["num2"], v.get("unit"))
            f.update(op="between", value_high=hi[0] if hi else v["num2"])
    if cond:
        f["applies_if"] = cond
    return f
