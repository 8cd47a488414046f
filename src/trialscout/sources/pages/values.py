"""Normalise a page value to its v2 form, by kind (status, date, phases, age range, masking, …)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from trialscout.model import enums
from trialscout.sources import normalize as nz
from trialscout.sources.pages.vocab import vocab

_QUALIFIER = re.compile(r"\s*[\(\[]\s*(actual|estimated|anticipated|expected|est\.?)\s*[\)\]]\s*$", re.I)
_LEAD_QUALIFIER = re.compile(r"^(actual|estimated|anticipated|expected|est\.?)\s*:?\s+", re.I)
_BULLET = re.compile(r"^\s*(?:[*\u2022\u25cf\u25aa\u2013\u2014-]|\d{1,2}[.)])\s+")
_NCT = re.compile(r"\bNCT\d{8}\b")


def _date_type(word: str | None) -> str | None:
    if not word:
        return None
    return vocab().raw["date_qualifiers"].get(word.lower().rstrip("."))


def split_qualifier(text: str) -> tuple[str, str | None]:
    """`'May 2023 (Actual)'` → (`'May 2023'`, `'ACTUAL'`); `'Anticipated: 120'` → (`'120'`, `'ESTIMATED'`)."""
    if m := _QUALIFIER.search(text):
        return text[: m.start()].strip(), _date_type(m.group(1))
    if m := _LEAD_QUALIFIER.match(text):
        return text[m.end():].strip(), _date_type(m.group(1))
    return text.strip(), None


def text(raw: str) -> str | None:
    return nz.clean_text(re.sub(r"\s+", " ", raw))


def longtext(raw: str) -> str | None:
    lines = [ln.rstrip() for ln in raw.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    out = "\n".join(lines).strip("|").strip()
    return None if nz.is_none_word(out) else out


def nct(raw: str) -> str | None:
    m = _NCT.search(raw.upper())
    return m.group(0) if m else None


def status(raw: str) -> enums.Status | None:
    if raw.strip().lower() in ("unknown", "unknown status"):
        return enums.Status.UNKNOWN
    if nz.is_none_word(raw):
        return None
    return nz.to_status(raw) or nz.to_status(re.split(r"[(\[:;]| - ", raw)[0])


def enum_of(name: str) -> Callable[[str], Any]:
    cls = getattr(enums, name)

    def parse(raw: str) -> Any:
        if nz.is_none_word(raw):
            return None
        return nz.to_enum(cls, raw) or nz.to_enum(cls, re.split(r"[(\[:;]| - ", raw)[0])
    return parse


def agency_class(raw: str) -> enums.AgencyClass | None:
    return enum_of("AgencyClass")(raw)


def date(raw: str) -> str | None:
    value, _ = split_qualifier(raw)
    return nz.to_date(value)


def datestruct(raw: str) -> dict[str, str] | None:
    value, qual = split_qualifier(raw)
    d = nz.to_date(value)
    if d is None:
        return None
    return {"date": d, "type": qual} if qual else {"date": d}


def phases(raw: str) -> list[str] | None:
    if not raw.strip():
        return None
    found = nz.to_phases(raw) or nz.to_phases(re.sub(r"\s+(?=phase)", "/", raw, flags=re.I))
    return [p.value for p in found] or None


def bool_(raw: str) -> bool | None:
    t = re.split(r"[(\[]", raw)[0].strip()
    return nz.to_bool(t)


def enrollment(raw: str) -> dict[str, Any] | None:
    value, qual = split_qualifier(raw)
    count = nz.to_int(value)
    if count is None:
        return None
    return {"count": count, "type": qual} if qual else {"count": count}


def age(raw: str) -> str | None:
    t = re.split(r"[(\[]", raw)[0].strip()
    return nz.to_age(t)


_RANGE = re.compile(r"^\s*(?P<min>\d+(?:\.\d+)?\s*[A-Za-z]*)\s*(?:to|-|–|—|and)\s*"
                    r"(?P<max>\d+(?:\.\d+)?\s*[A-Za-z]*)\s*$")
_OLDER = re.compile(r"^\s*(?P<min>\d+(?:\.\d+)?\s*[A-Za-z]*?)\s*"
                    r"(?:\+|and (?:older|over|above)|or (?:older|over|above)|(?:years? )?and up)\s*$", re.I)
_UPTO = re.compile(r"^\s*(?:up to|under|(?:and|or) younger than|<=?|≤)\s*(?P<max>\d+(?:\.\d+)?\s*[A-Za-z]*)\s*$", re.I)


def agerange(raw: str) -> dict[str, Any] | None:
    """`'18 Years to 75 Years'`, `'18 Years and older (Adult, Older Adult)'`, `'up to 70 Years'`."""
    main, _, paren = raw.partition("(")
    out: dict[str, Any] = {}
    std = [a.value for a in (nz.to_enum(enums.StandardAge, p) for p in re.split(r",|;|/", paren.rstrip(")"))) if a]
    m = _RANGE.match(main) or _OLDER.match(main) or _UPTO.match(main)
    if m:
        groups = m.groupdict()
        unit = re.sub(r"[\d.\s]", "", groups.get("max") or "") or "Years"
        lo = groups.get("min")
        if lo and not re.search(r"[A-Za-z]", lo):
            lo = f"{lo} {unit}"
        if lo and nz.to_age(lo):
            out["minimumAge"] = nz.to_age(lo)
        if groups.get("max") and nz.to_age(groups["max"]):
            out["maximumAge"] = nz.to_age(groups["max"])
    elif not paren:
        std = [a.value for a in (nz.to_enum(enums.StandardAge, p) for p in re.split(r",|;|/", main)) if a]
    if std:
        out["stdAges"] = std
    return out or None


def sex(raw: str) -> enums.Sex | None:
    if nz.is_none_word(raw):
        return None
    return nz.to_sex(raw) or nz.to_sex(next(iter(raw.split()), ""))


def masking(raw: str) -> dict[str, Any] | None:
    """`'Double (Participant, Investigator)'` → masking DOUBLE, whoMasked [PARTICIPANT, INVESTIGATOR]."""
    m = nz.to_enum(enums.Masking, raw)
    who: list[str] = []
    if m is None:
        main, _, paren = raw.partition("(")
        m = nz.to_enum(enums.Masking, main)
        if m is not None and m != enums.Masking.NONE:
            who = who_masked(paren.rstrip(")")) or []
        elif m is None:
            return None
    out: dict[str, Any] = {"masking": m.value}
    if who:
        out["whoMasked"] = who
    return out


def who_masked(raw: str) -> list[str] | None:
    found = [w.value for w in (nz.to_enum(enums.WhoMasked, p) for p in re.split(r",|;|/|\band\b", raw)) if w]
    return list(dict.fromkeys(found)) or None


def items(raw: str) -> list[str]:
    """Lines (bullets stripped); one line splits on `;`/`|`, or on commas when every part is a phrase."""
    lines = [_BULLET.sub("", ln).strip() for ln in raw.split("\n")]
    lines = [ln for ln in lines if ln and not nz.is_none_word(ln)]
    if len(lines) == 1:
        one = lines[0]
        parts = [p.strip() for p in re.split(r"\s*[;|]\s*", one) if p.strip()]
        if len(parts) == 1 and ", " in one:
            commas = [p.strip() for p in one.split(",")]
            if all(len(p.split()) >= 2 for p in commas):
                parts = commas
        lines = parts
    return list(dict.fromkeys(ln.rstrip(",;") for ln in lines if not nz.is_none_word(ln)))


def list_(raw: str) -> list[str] | None:
    return items(raw) or None


def mesh(raw: str) -> list[dict[str, str]] | None:
    return [{"term": t} for t in items(raw)] or None


def _typed_prefix(raw: str, enum_name: str) -> dict[str, Any]:
    """`'Drug: Cisplatin'` → {type: DRUG, rest: 'Cisplatin'}; no known type prefix → {rest: raw}."""
    head, sep, rest = raw.partition(":")
    if sep and rest.strip():
        found = nz.to_enum(getattr(enums, enum_name), head)
        if found is not None:
            return {"type": found.value, "rest": rest.strip()}
    return {"rest": raw.strip()}


def intervention_item(raw: str) -> list[dict[str, Any]] | None:
    out = []
    for item in items(raw) if "\n" in raw or ";" in raw else [raw.strip()]:
        p = _typed_prefix(item, "InterventionType")
        if not nz.is_none_word(p["rest"]):
            out.append({"name": p.pop("rest"), **p})
    return out or None


def arm_item(raw: str) -> list[dict[str, Any]] | None:
    p = _typed_prefix(raw.strip(), "ArmGroupType")
    label = text(p.pop("rest"))
    return [{"label": label, **p}] if label else None


_TIME_FRAME = re.compile(r"\s*\[\s*Time\s*Frame\s*:\s*(?P<tf>[^\]]+)\]\s*", re.I)


def outcome_item(raw: str) -> list[dict[str, Any]] | None:
    """`'Overall survival [Time Frame: 5 years]'` (ClinicalTrials.gov style), one per line."""
    out = []
    for line in [ln for ln in raw.split("\n") if ln.strip()] or [raw]:
        line = _BULLET.sub("", line).strip()
        m = _TIME_FRAME.search(line)
        obj: dict[str, Any] = {}
        if m:
            obj["timeFrame"] = m.group("tf").strip()
            line = (line[: m.start()] + " " + line[m.end():]).strip()
        measure = text(line)
        if measure:
            out.append({"measure": measure, **obj})
    return out or None


def collaborators(raw: str) -> list[dict[str, Any]] | None:
    """Kept whole here; split on commas later, when the page's other names are known (record.py)."""
    parts = [_BULLET.sub("", p) for p in (ln.strip().strip("|").strip() for ln in raw.split("\n"))]
    parts = [p for p in parts if p and not nz.is_none_word(p)]
    return [{"name": p, "_split": len(parts) == 1} for p in parts] or None


def id_list(raw: str) -> list[dict[str, Any]] | None:
    out = []
    for part in re.split(r"\s*[;\n]\s*|,\s+", raw):
        part = part.strip()
        if nz.is_none_word(part):
            continue
        ident, _, note = part.partition(" (")
        out.append({"id": ident.strip()})
    return out or None


def official_item(raw: str) -> list[dict[str, Any]] | None:
    """`'Jane Doe, MD, PhD, Some Hospital'` → name `'Jane Doe, MD, PhD'`, affiliation `'Some Hospital'`."""
    raw = raw.strip()
    if nz.is_none_word(raw):
        return None
    degrees = {d.lower().rstrip(".") for d in vocab().raw["degrees"]}
    parts = [p.strip() for p in re.split(r"\s*[,|;]\s*|\s+[-–—]\s+", raw) if p.strip()]
    name = [parts[0]]
    rest = parts[1:]
    while rest and rest[0].lower().rstrip(".") in degrees:
        name.append(rest.pop(0))
    obj: dict[str, Any] = {"name": ", ".join(name)}
    if rest:
        obj["affiliation"] = ", ".join(rest)
    return [obj]


def address(raw: str) -> dict[str, str] | None:
    """`'Zhengzhou, Henan, China'` → city, state, country; `'Paris, France'` → city, country."""
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts:
        return None
    out: dict[str, str] = {}
    if len(parts) >= 2 and parts[-1].lower() in vocab().countries:
        out["country"] = parts.pop()
    if parts:
        out["city"] = parts.pop(0)
    if parts:
        state = ", ".join(parts)
        m = re.fullmatch(r"(.*?)\s+(\d{4,6}(?:-\d{4})?)", state)
        if m:
            state, out["zip"] = m.group(1), m.group(2)
        if state:
            out["state"] = state
    return out


def location_item(raw: str) -> list[dict[str, Any]] | None:
    """`'Facility, City, State, Country'` (one site a line)."""
    out = []
    for line in [ln for ln in raw.split("\n") if ln.strip()]:
        line = _BULLET.sub("", line).strip()
        if nz.is_none_word(line):
            continue
        parts = [p.strip() for p in line.split(",")]
        has_country = len(parts) >= 2 and parts[-1].lower() in vocab().countries
        n_addr = min(len(parts) - 1, 3 if has_country and len(parts) >= 4 else 2 if has_country else 0)
        obj: dict[str, Any] = {"facility": ", ".join(parts[: len(parts) - n_addr])}
        if n_addr:
            obj.update(address(", ".join(parts[len(parts) - n_addr:])) or {})
        out.append(obj)
    return out or None


NORMALISERS: dict[str, Callable[[str], Any]] = {
    "text": text, "longtext": longtext, "nct": nct, "status": status, "agency_class": agency_class,
    "date": date, "datestruct": datestruct, "phases": phases, "bool": bool_, "enrollment": enrollment,
    "age": age, "agerange": agerange, "sex": sex, "masking": masking, "who_masked": who_masked,
    "list": list_, "mesh": mesh, "intervention_item": intervention_item, "arm_item": arm_item,
    "outcome_item": outcome_item, "collaborators": collaborators, "id_list": id_list,
    "official_item": official_item, "address": address, "location_item": location_item,
}


def normalise(kind: str, raw: str) -> Any:
    """The v2 value of `raw` for `kind`, or None when the text gives none (never a guess)."""
    value = enum_of(kind[5:])(raw) if kind.startswith("enum:") else NORMALISERS[kind](raw)
    if isinstance(value, enums.V2Enum):
        return value.value
    return value
