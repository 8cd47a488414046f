"""Pattern-based readers for single kinds of facts in a note: age, sex, stage, labs, biomarkers, scores, pregnancy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from trialscout.patient.matcher import analyte_matcher
from trialscout.patient.rules import load, regex
from trialscout.patient.vocab import biomarker_aliases, biomarker_status, status_words
from trialscout.vocab.biomarkers import shorthand

_ROMAN = {"0": "0", "1": "I", "2": "II", "3": "III", "4": "IV"}
_UNIT_SCALE = {"years": 1.0, "months": 1 / 12, "weeks": 7 / 365.25, "days": 1 / 365.25}
_MINUS = str.maketrans({"−": "-", "–": "-", "—": "-"})


@dataclass
class Found:
    """One value found in a note with its span."""

    value: Any
    start: int
    end: int
    extra: dict[str, Any] | None = None


def _pattern(rule: dict[str, Any]) -> re.Pattern[str]:
    return regex(rule["pattern"], rule.get("flags", "i"))


def find_age(text: str) -> Found | None:
    """The first stated age, in years ("45-year-old", "58 yo", "48 M", "5 months old", "3-day-old")."""
    hits = []
    for rule in load("note_patterns.json")["age"]:
        m = _pattern(rule).search(text)
        if m:
            hits.append(Found(float(m.group(1)) * _UNIT_SCALE[rule["unit"]], m.start(), m.end()))
    return min(hits, key=lambda f: f.start) if hits else None


def find_sex(text: str) -> Found | None:
    """FEMALE/MALE from the first sex word ("woman", "M", "girl"), else from a clear majority of pronouns."""
    p = load("note_patterns.json")
    female = regex(p["sex_female"], "c").search(text) or regex(p["sex_female"].split("|\\b\\d")[0]).search(text)
    male = regex(p["sex_male"], "c").search(text) or regex(p["sex_male"].split("|\\b\\d")[0]).search(text)
    if female or male:
        first = min((m for m in (female, male) if m), key=lambda m: m.start())
        return Found("FEMALE" if first is female else "MALE", first.start(), first.end())
    she = list(regex(p["pronoun_female"]).finditer(text))
    he = list(regex(p["pronoun_male"]).finditer(text))
    if len(she) >= 2 * max(len(he), 1) and she:
        return Found("FEMALE", she[0].start(), she[0].end(), {"pronouns": True})
    if len(he) >= 2 * max(len(she), 1) and he:
        return Found("MALE", he[0].start(), he[0].end(), {"pronouns": True})
    return None


def parse_stage(text: str) -> str | None:
    """'IB' from 'stage 1B', 'IIIA' from 'Stage IIIA', 'T2N1M0' from 'pT2 N1 M0'."""
    p = load("note_patterns.json")
    m = _pattern(p["stage"]).search(text)
    if m:
        return _ROMAN.get(m.group(1), m.group(1).upper()) + (m.group(2) or "").upper()
    m = _pattern(p["tnm"]).search(text)
    return m.group(2).replace(" ", "") if m else None


def find_stages(text: str) -> list[Found]:
    p = load("note_patterns.json")
    out = []
    for m in _pattern(p["stage"]).finditer(text):
        if re.search(r"(?:yahr|hoehn|breast bulb|tanner)\W*$", text[max(0, m.start() - 20):m.start()], re.I):
            continue
        out.append(Found(_ROMAN.get(m.group(1), m.group(1).upper()) + (m.group(2) or "").upper(), m.start(), m.end()))
    out += [Found(m.group(2).replace(" ", ""), m.start(), m.end()) for m in _pattern(p["tnm"]).finditer(text)]
    return out


_NUMBER = re.compile(r"^(?:\s|:|=|\(|\b(?:of|was|is|were|are|level|levels|count|value|total|serum|at|high|low|"
                     r"elevated|decreased|reduced|increased|measured|recent|result)\b)*\s*(<=|>=|[<>≤≥])?\s*"
                     r"(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?)", re.IGNORECASE)
_UNIT = re.compile(r"^\s?((?:x|×)\s?10\s?(?:\^|\*|e)?\s?[0-9⁰-⁹]+\s?/\s?[a-zA-Zµμ.]+[3³]?|[^\s,;()]+)")
_NOT_AFTER = re.compile(r"^\s*(?:/\s*\d|years?\b|yrs?\b|y/o|yo\b|times\b|x\b|days?\b|weeks?\b|months?\b|hours?\b|"
                        r"hrs?\b|cycles?\b|sessions?\b|episodes?\b|pounds\b|lbs\b|kg\b|cm\b|s\b|-?year)", re.I)
_COMPARATOR = {"≤": "<=", "≥": ">="}


def find_labs(text: str) -> list[Found]:
    """Lab results: an analyte name followed closely by a number and maybe a unit ("Platelet: 110,000 /cu.mm")."""
    out = []
    for m in analyte_matcher().find(text):
        window = text[m.end:m.end + 60].translate(_MINUS)
        num = _NUMBER.match(window)
        if not num or _NOT_AFTER.match(window[num.end():]):
            continue
        rest = window[num.end():]
        unit_match = _UNIT.match(rest)
        token = unit_match.group(1).rstrip(".") if unit_match else ""
        unit = token if token and _looks_like_unit(token) else None
        trimmed = len(unit_match.group(1)) - len(token) if unit_match else 0
        end = m.end + num.end() + (unit_match.end() - trimmed if unit_match and unit else 0)
        value = float(num.group(2).replace(",", ""))
        comparator = _COMPARATOR.get(num.group(1) or "", num.group(1))
        out.append(Found(value, m.start, end, {"analyte": m.term.key, "unit": unit, "comparator": comparator,
                                                 "name": m.text}))
    return out


def _looks_like_unit(token: str) -> bool:
    t = token.strip().lower()
    if t in ("%", "u/l", "iu/l") or "/" in t or re.match(r"^(?:x|×)\s?10", t):
        return True
    return t in {"mg", "g", "ng", "pg", "mmol", "umol", "µmol", "meq", "sec", "s", "ms", "msec", "uln", "iu", "u",
                 "mu", "ratio"} or bool(re.match(r"^(?:m|u|µ|n|p|k)?(?:g|mol|l|iu|u)(?:/\w+)?$", t))


def find_performance(text: str) -> list[Found]:
    out = []
    for rule in load("note_patterns.json")["performance"]:
        for m in _pattern(rule).finditer(text.translate(_MINUS)):
            out.append(Found(float(m.group(1)), m.start(), m.end(), {"scale": rule["scale"]}))
    return out


def find_nyha(text: str) -> Found | None:
    m = regex(load("note_patterns.json")["nyha"]).search(text)
    if not m:
        return None
    value = {"I": 1, "II": 2, "III": 3, "IV": 4}.get(m.group(1).upper()) or int(m.group(1))
    return Found(value, m.start(), m.end())


def find_responses(text: str) -> list[Found]:
    out = []
    for label, pattern in load("note_patterns.json")["response"].items():
        out += [Found(label, m.start(), m.end()) for m in regex(pattern).finditer(text)]
    return sorted(out, key=lambda f: f.start)


def find_pregnancy(text: str) -> dict[str, Found]:
    """The reproductive facts a note states: pregnant, not_pregnant, breastfeeding, postmenopausal, premenopausal,
    gestational_weeks (value in weeks)."""
    p = load("note_patterns.json")["pregnancy"]
    out: dict[str, Found] = {}
    for key, pattern in p.items():
        m = regex(pattern).search(text)
        if not m:
            continue
        value: Any = True
        if key == "gestational_weeks":
            days = m.group(2) or m.group(3)
            value = int(m.group(1)) + (int(days) / 7 if days else 0)
        out[key] = Found(value, m.start(), m.end())
    return out


def find_consent(text: str) -> dict[str, Found]:
    """What a note says of consent, protocol compliance and treatment adherence: keys consent, no_consent, comply,
    no_comply, adherence, no_adherence."""
    p = load("note_patterns.json")["consent"]
    out: dict[str, Found] = {}
    for key, pattern in p.items():
        if key.startswith("_"):
            continue
        m = regex(pattern).search(text)
        if m:
            out[key] = Found(True, m.start(), m.end())
    return out


def _biomarker_regex() -> re.Pattern[str]:
    names = "|".join(re.escape(a) for a in sorted(biomarker_aliases(), key=len, reverse=True))
    status = "|".join(re.escape(w) for w in status_words())
    group = rf"(?:{names})(?:\s?[+-](?![\w-]))?"
    return re.compile(
        rf"(?:(?P<pre>positive|negative|expressing)\s+(?:for\s+)?)?(?<![\w-])(?P<names>{group}(?:\s*(?:/|,|and)\s*"
        rf"{group})*)(?P<variant>\s+(?:[A-Z]\d{{2,4}}[A-Z*]|exon\s?\d+\s\w+|\d{{1,2}}(?!\d)|IHC\s?[0-3]\+?))?"
        rf"(?:[\s-]*(?:status\s+)?(?:is\s+|was\s+|were\s+|:\s*)?(?P<status>{status})(?![\w]))?")


_BIOMARKER_RE: list[re.Pattern[str]] = []


def find_biomarkers(text: str) -> list[Found]:
    """Biomarker results: "HER2-positive", "ER/PR negative", "KRAS G12C mutation", "positive for HPV 16",
    "triple negative", "MSI-H", "PD-L1 TPS 50%"."""
    if not _BIOMARKER_RE:
        _BIOMARKER_RE.append(_biomarker_regex())
    out = [f for m in _BIOMARKER_RE[0].finditer(text) for f in _biomarker_hits(m)]
    for word, pairs in shorthand().items():
        for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w])", text):
            out += [Found(name, m.start(), m.end(), {"status": status}) for name, status in pairs]
    for m in re.finditer(r"PD-?L1\s*(?:\(?(TPS|CPS)\)?)?\s*(?:expression\s*)?(?:of|:|=|is|was)?\s*(?:≥|>=|>)?\s*"
                         r"(\d{1,3})\s*%?", text):
        out.append(Found("PD-L1", m.start(), m.end(), {"score": float(m.group(2)),
                                                       "score_type": m.group(1) or "percent"}))
    return sorted(out, key=lambda f: f.start)


def _biomarker_hits(m: re.Match[str]) -> list[Found]:
    group_status = biomarker_status(m.group("status") or m.group("pre"))
    variant = (m.group("variant") or "").strip() or None
    if group_status is None and variant and not variant.isdigit():
        group_status = "positive" if variant.upper().startswith("IHC") else "mutated"
    out = []
    for part in re.split(r"\s*(?:/|,|\band\b)\s*", m.group("names")):
        sign = part[-1] if part[-1:] in "+-" and part[:-1].strip() in biomarker_aliases() else ""
        name = biomarker_aliases().get(part[:-1].strip() if sign else part.strip())
        status = biomarker_status(sign) if sign else group_status
        if name and status:
            out.append(Found(name, m.start(), m.end(), {"status": status, "variant": variant}))
    return out
