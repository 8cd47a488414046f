"""Constraints from dictionary mentions: condition, biomarker, therapy, comorbidity, pregnancy, consent, sex."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from trialscout.criteria import rules
from trialscout.criteria.extract_concepts import (
    _CONCURRENT,
    _STRONG_SETTINGS,
    _THERAPY_CUE,
    lesion_counts,
    lines_of_therapy,
    nyha,
    sizes,
    stages,
    windows,
)
from trialscout.criteria.numeric import NUM, comp_re, op_of, parse_num
from trialscout.criteria.vocab import Mention, site_specific
from trialscout.criteria.vocab import find as find_mentions
from trialscout.vocab import clinical, is_within
from trialscout.vocab import comorbidities as comorbidity_vocab

Found = dict[str, Any]

_SYMBOL_STATUS = re.compile(r"\s*(?:\(\s*)?(?P<s>\+|-|−)(?:\s*\))?(?![\w\d])")
_IHC = re.compile(r"\b(?:IHC\s*(?:score\s*(?:of\s*)?)?(?P<a>[0-3])\s*\+?|(?P<b>[0-3])\s*\+\s*(?:by\s+|on\s+)?IHC|"
                  r"(?P<c>[0-3])\+)", re.IGNORECASE)
_ISH_POS = re.compile(r"\b(?:F?ISH|CISH|SISH)\s*(?:\+|positive|amplified)|(?:amplified|positive)\s+by\s+F?ISH",
                      re.IGNORECASE)
_VARIANT = re.compile(r"\b(?:[A-Z]\d{2,4}[A-Z]|exon\s*\d{1,2}\s*(?:deletion|insertion|skipping|mutation)s?|"
                      r"T790M|ITD)\b")
_SCORE_TYPE = r"TPS|CPS|TC|IC|tumou?r\s+proportion\s+score|combined\s+positive\s+score"
_SCORE = re.compile(rf"\s*(?:\(?\s*(?P<type>{_SCORE_TYPE})\s*\)?)?[^\d;.]{{0,25}}?"
                    rf"(?P<comp>{comp_re()})\s*(?P<n>{NUM})\s*%?", re.IGNORECASE)
_QUALIFIER = re.compile(r"\b(active|uncontrolled|symptomatic|severe|significant|clinically\s+significant|chronic|"
                        r"acute|untreated|unstable|known|current|ongoing|serious|progressive|decompensated)\b",
                        re.IGNORECASE)
_FEMALE = re.compile(r"^\W*(?:(?:adult|postmenopausal|post-menopausal|premenopausal|pre-menopausal|perimenopausal)"
                     r"\s+)?(?P<sx>female|females|women|woman|girls)\b|\b(?:sex|gender)\s*[:=]?\s*(?:female|women)\b|"
                     r"(?:^|[,;]\s*)(?:female|women)\s*(?:patients?\s+)?(?:only)?\s*[;,.]?\s*$|"
                     r"\b(?:female|women)\s+(?:patients?|subjects?|participants?)?\s*only\b", re.IGNORECASE)
_MALE = re.compile(r"^\W*(?:adult\s+)?(?:male|males|men|man|boys)\b|\b(?:sex|gender)\s*[:=]?\s*(?:male|men)\b|"
                   r"(?:^|[,;]\s*)(?:male|men)\s*(?:patients?\s+)?(?:only)?\s*[;,.]?\s*$|"
                   r"\b(?:male|men)\s+(?:patients?|subjects?|participants?)?\s*only\b", re.IGNORECASE)
_ALL = re.compile(r"\b(?:male\s*(?:and|or|&|/)\s*female|female\s*(?:and|or|&|/)\s*male|men\s+(?:and|or)\s+women|"
                  r"women\s+(?:and|or)\s+men|both\s+(?:sexes|genders)|either\s+sex|all\s+genders|"
                  r"males\s+(?:and|or)\s+females|females\s+(?:and|or)\s+males)\b", re.IGNORECASE)
_NOT_SEX = re.compile(r"pregnan|childbearing|child-bearing|contracept|lactat|breast-?\s?feed|nursing|reproductive|"
                      r"menarche|fertil|steril|oocyte|sperm|partner|birth\s+control", re.IGNORECASE)


_SEX_WORD = re.compile(r"\b(?:male|female|men|women|woman|man|girl|boy|sex|gender)", re.IGNORECASE)
"""Each of _ALL, _FEMALE and _MALE reads one of these at a word start: without one none of them can match."""


def sex(text: str, section: str | None) -> list[Found]:
    if not _SEX_WORD.search(text) and not (section and section.lower() in ("sex", "gender")):
        return []
    if _NOT_SEX.search(text):
        return []
    for pat, value in ((_ALL, "ALL"), (_FEMALE, "FEMALE"), (_MALE, "MALE")):
        m = pat.search(text)
        if m:
            # the span is the sex word alone: an adjective before it ('postmenopausal') is another constraint's
            span = m.span("sx") if "sx" in pat.groupindex and m.group("sx") else m.span()
            return [{"kind": "sex", "span": span, "sex": value}]
    if section and section.lower() in ("sex", "gender"):
        low = text.lower()
        value = "ALL" if "male" in low and "female" in low else "FEMALE" if "female" in low else (
            "MALE" if "male" in low else None)
        if value:
            return [{"kind": "sex", "span": (0, len(text)), "sex": value}]
    return []


def conditions(text: str, ctype: str, mentions: list[Mention], skip: list[tuple[int, int]]) -> list[Found]:
    out: list[Found] = []
    stage_list, _ = stages(text)
    settings = [m for m in mentions if m.has("condition_setting") and not _modifies_comorbidity(m, mentions, text)]
    setting_names = list(dict.fromkeys(m.get("condition_setting").canon for m in settings  # type: ignore[union-attr]
                                       if m.get("condition_setting").canon != "measurable"))  # type: ignore[union-attr]
    measurable = any(m.get("condition_setting").canon == "measurable" for m in settings)  # type: ignore[union-attr]
    diseases = [m for m in mentions if m.has("oncotree") and not _inside(m, skip)]
    for m in diseases:
        e = m.get("oncotree")
        out.extend(_elided(text, m, stage_list, setting_names, measurable))
        second = _second_primary(text, m.start, e.canon)
        if second is not None:
            out.append({"kind": "comorbidity", "span": (second, m.end), "name": "second_malignancy"})
            continue
        code, end = e.canon, m.end
        refined = site_specific(text, m.start, m.end)
        if refined:
            code, end = refined
        f: Found = {"kind": "condition", "span": (m.start, end), "name": text[m.start:end], "code": code}
        _attach(f, stage_list, setting_names, measurable)
        out.append(f)
    if not diseases:
        strong = [s for s in setting_names if s in _STRONG_SETTINGS]
        if stage_list or strong or measurable:
            _, stage_spans = stages(text)
            first = min([m.start for m in settings] + [s for s, _ in stage_spans] + [len(text)])
            last = max([m.end for m in settings] + [e for _, e in stage_spans] + [first])
            f = {"kind": "condition", "span": (first, last)}
            _attach(f, stage_list, strong if not stage_list else setting_names, measurable)
            out.append(f)
    for m in mentions:
        site = m.get("metastasis_site")
        if site and not _inside(m, skip):
            out.append({"kind": "condition", "span": (m.start, m.end), "name": text[m.start:m.end],
                        "metastasis_site": site.canon})
    out.extend(sizes(text, ctype))
    out.extend(f for f in lesion_counts(text) if not any(_overlap(f["span"], g["span"]) for g in out[-3:]
                                                         if "size_cm" in g))
    return out


_ADJACENT = re.compile(r"[\s-]{0,3}")


def _modifies_comorbidity(m: Mention, mentions: list[Mention], text: str) -> bool:
    """'recurrent asthma', 'disseminated urticaria': a setting word right before a comorbidity describes that
    condition, not the cancer."""
    nxt = next((o for o in mentions if o.start >= m.end), None)
    return bool(nxt and nxt.has("comorbidity") and not nxt.has("oncotree")
                and _ADJACENT.fullmatch(text[m.end:nxt.start]))


MAX_SKIPPED_ITEMS = 3
"""Words in a row, in a coordinated list, that make no cancer with the shared head noun before the walk stops."""
_COORDINATED = re.compile(r"(?P<word>[A-Za-z][\w-]*)\s*(?:,\s*(?:and|or)?|\bor\b|\band\b|/)\s*$", re.IGNORECASE)


def _elided(text: str, m: Mention, stage_list: list[str], settings: list[str], measurable: bool) -> list[Found]:
    """Cancers whose head noun is shared with the next one ('breast or endometrial carcinoma' names breast
    carcinoma too): each coordinated word before the cancer, with the cancer's last word, when that is a cancer."""
    words = text[m.start:m.end].split()
    if len(words) < 2:
        return []
    out: list[Found] = []
    pos, skipped = m.start, 0
    while (w := _COORDINATED.search(text, max(0, pos - 40), pos)) is not None:
        hit = next((x for x in find_mentions(f"{w.group('word')} {words[-1]}") if x.has("oncotree")), None)
        if hit is None or hit.start != 0 or hit.end != len(w.group("word")) + 1 + len(words[-1]):
            # a list item of several words ('head and neck') is passed over; the list goes on before it
            skipped += 1
            if skipped > MAX_SKIPPED_ITEMS:
                break
            pos = w.start("word")
            continue
        skipped = 0
        f: Found = {"kind": "condition", "span": (w.start("word"), w.end("word")), "name": w.group("word"),
                    "code": hit.get("oncotree").canon}  # type: ignore[union-attr]
        _attach(f, stage_list, settings, measurable)
        out.insert(0, f)
        pos = w.start("word")
    return out


_LAST_WORD = re.compile(r"([A-Za-z]+)[\s-]+$")


def _second_primary(text: str, start: int, code: str) -> int | None:
    """Where a qualifier making the cancer at `start` a second primary begins ('bilateral breast cancer'), or None."""
    m = _LAST_WORD.search(text, max(0, start - 20), start)
    if not m:
        return None
    within = rules.load("concepts.json")["_second_primary"]["qualifiers"].get(m.group(1).lower())
    if within is None or (within and not any(is_within(code, w) for w in within)):
        return None
    return m.start()


def _attach(f: Found, stage_list: list[str], settings: list[str], measurable: bool) -> None:
    if stage_list:
        f["stage"] = stage_list
    if settings:
        f["setting"] = settings
    if measurable:
        f["measurable"] = True


def _inside(m: Mention, spans: list[tuple[int, int]]) -> bool:
    return any(a <= m.start < b for a, b in spans)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def biomarkers(text: str, mentions: list[Mention], skip: list[tuple[int, int]]) -> list[Found]:
    out: list[Found] = []
    bms = [(i, m) for i, m in enumerate(mentions) if m.has("biomarker") and not _inside(m, skip)]
    for idx, (i, m) in enumerate(bms):
        e = m.get("biomarker")
        f: Found = {"kind": "biomarker", "span": (m.start, m.end), "name": e.canon}
        status, end = _status(text, mentions, i, bms[idx + 1:])
        status = _own_status(e.canon, text[m.start:m.end]) or status
        if status:
            f["status"] = status
            f["span"] = (m.start, max(m.end, end))
        _extras(f, text, m, e.canon)
        out.append(f)
    for m in mentions:
        s = m.get("condition_setting")
        if s and s.canon == "triple_negative":
            out.extend({"kind": "biomarker", "span": (m.start, m.end), "name": n, "status": "negative"}
                       for n in ("ER", "PR", "HER2"))
    return out


def _own_status(canon: str, written: str) -> str | None:
    low = written.lower()
    if canon == "MSI":
        return "stable" if ("stable" in low or low == "mss") else ("high" if re.search(r"h(igh)?$", low) else None)
    if canon == "MMR":
        return "deficient" if low.startswith("d") or "defici" in low else ("proficient" if low.startswith("p") or
                                                                            "profici" in low else None)
    if canon == "TMB" and re.search(r"h(igh)?$", low):
        return "high"
    return None


def _status(text: str, mentions: list[Mention], i: int, later: list[tuple[int, Mention]]) -> tuple[str | None, int]:
    m = mentions[i]
    sym = _SYMBOL_STATUS.match(text, m.end)
    if sym:
        return ("positive" if sym.group("s") == "+" else "negative"), sym.end()
    for nxt in mentions[i + 1:i + 5]:
        if nxt.start - m.end > 30 or re.search(r"[;.]", text[m.end:nxt.start]):
            break
        st = nxt.get("biomarker_status")
        if st:
            return st.canon, nxt.end
        if not (nxt.has("biomarker") or nxt.has("oncotree")):
            break
    for prev in reversed(mentions[max(0, i - 2):i]):
        st = prev.get("biomarker_status")
        if st and m.start - prev.end <= 12 and re.fullmatch(r"[\s-]*(?:for|to)?\s*", text[prev.end:m.start]):
            return st.canon, m.end
    return None, m.end


def _extras(f: Found, text: str, m: Mention, canon: str) -> None:
    window = text[m.end:m.end + 60]
    if canon == "HER2":
        ihc = _IHC.search(window) or _IHC.search(text[max(0, m.start - 30):m.start])
        if ihc:
            score = int(next(g for g in ihc.groups() if g is not None))
            f["method"] = "IHC"
            ish = _ISH_POS.search(text)
            f["status"] = "positive" if score == 3 or (score == 2 and ish) else (
                "equivocal" if score == 2 else "negative")
        elif _ISH_POS.search(window):
            f["method"], f["status"] = "ISH", "amplified"
    if canon == "PD-L1":
        sc = _SCORE.match(window)
        if sc:
            op = op_of(sc)
            f.update(op=op, value=parse_num(sc.group("n")))
            kind = (sc.group("type") or "").upper()
            f["score_type"] = "TPS" if "PROPORTION" in kind else "CPS" if "COMBINED" in kind else (kind or None)
            if f["score_type"] is None:
                del f["score_type"]
            f.setdefault("status", "positive" if op in (">=", ">") and (f["value"] or 0) > 0 else "negative")
    var = _VARIANT.search(window[:40])
    if var and canon not in ("PD-L1", "HER2"):
        f["variant"] = var.group()
        f.setdefault("status", "mutated")


def section_therapy(text: str, section: str | None, found: list[Found]) -> list[Found]:
    """A washout under a PDQ therapy label ('Chemotherapy: At least 4 weeks since therapy'): the label names the
    therapy the bare 'since therapy' means."""
    if not section or any(f["kind"] == "prior_therapy" for f in found):
        return []
    label = next((m for m in find_mentions(section) if m.has("modality", "prior_therapy_class")), None)
    wins = [w for w in windows(text) if w[2] in (">=", ">")]
    if label is None or not wins or not _THERAPY_CUE.search(text):
        return []
    s, e, op, days = wins[0]
    entry = label.get("modality") or label.get("prior_therapy_class")
    field = "modality" if label.has("modality") else "agent_class"
    return [{"kind": "prior_therapy", "span": (s, e), field: entry.canon,  # type: ignore[union-attr]
             "window_op": op, "window_days": days}]


def therapies(text: str, mentions: list[Mention], skip: list[tuple[int, int]]) -> list[Found]:
    thera = [m for m in mentions if m.has("drug", "prior_therapy_class", "modality") and not _inside(m, skip)]
    lines = lines_of_therapy(text)
    if not _THERAPY_CUE.search(text) and not lines:
        return []
    wins = windows(text)
    concurrent = bool(_CONCURRENT.search(text))
    response = next((m.get("response").canon for m in mentions if m.has("response")), None)  # type: ignore[union-attr]
    setting = next((m.get("therapy_setting").canon for m in mentions if m.has("therapy_setting")), None)  # type: ignore[union-attr]
    out: list[Found] = []
    for m in thera:
        out.append(_therapy(text, m, wins, concurrent, response, setting, lines))
    if not out and lines:
        out.append({"kind": "prior_therapy", "span": lines[2], "modality": "systemic_therapy",
                    "lines_op": lines[0], "lines": lines[1]})
    return out


def _therapy(text: str, m: Mention, wins: list[tuple[int, int, str, float]], concurrent: bool,
             response: str | None, setting: str | None, lines: tuple[str, float, tuple[int, int]] | None) -> Found:
    f: Found = {"kind": "prior_therapy", "span": (m.start, m.end)}
    drug, cls, mod = m.get("drug"), m.get("prior_therapy_class"), m.get("modality")
    if drug:
        f.update(agent=drug.canon, agent_class=drug.extra)
    elif cls:
        f["agent_class"] = cls.canon
    elif mod:
        f["modality"] = mod.canon
    win = _nearest_window(m, wins)
    if win:
        f.update(window_op=win[2], window_days=win[3])
    if lines:
        f.update(lines_op=lines[0], lines=lines[1])
    if concurrent:
        f["concurrent"] = True
    if response:
        f["response"] = response
    if setting:
        f["therapy_setting"] = setting
    return f


def _nearest_window(m: Mention, wins: list[tuple[int, int, str, float]]) -> tuple[int, int, str, float] | None:
    if not wins:
        return None
    after = [w for w in wins if w[0] >= m.end]
    return after[0] if after else wins[-1]


def comorbidities(text: str, mentions: list[Mention], skip: list[tuple[int, int]]) -> list[Found]:
    out: list[Found] = []
    wins = windows(text)
    ny = nyha(text)
    comorb = [m for m in mentions if m.has("comorbidity")]
    for m in comorb:
        e = m.get("comorbidity")
        if e is None or _inside(m, skip) or m.has("oncotree", "metastasis_site", "biomarker"):
            continue
        if e.canon == "active_infection" and _specific_infection_near(m, comorb):
            continue
        f: Found = {"kind": "comorbidity", "span": (m.start, m.end), "name": e.canon}
        codes = _concept_codes(text[m.start:m.end])
        if codes:
            f["codes"] = codes
        quals = _qualifiers(text, m, e.canon)
        if quals:
            f["qualifier"] = quals
        win = next((w for w in wins if w[0] >= m.end and w[2] in ("<=", "<")
                    and not re.search(r"[;]|\.\s", text[m.end:w[0]])
                    and not any(m.end <= o.start < w[0] and o.get("comorbidity").canon != e.canon  # type: ignore[union-attr]
                                for o in comorb)), None)
        if win:
            f["within_months"] = round(win[3] / 30, 1) if win[3] % 365 else round(win[3] / 365 * 12, 1)
        if ny and e.canon == "heart_failure":
            f.update(nyha_op=ny[0], nyha_class=ny[1])
        cond = rules.load("concepts.json")["_comorbidity_conditional"].get(e.canon)
        if cond and re.match(cond, text[m.end:], re.IGNORECASE):
            f["hypothetical"] = True
        out.append(f)
    return _dedupe(out, "name", text)


_MEANS = re.compile(r"\b(?:on|by|with|using|via|at|during|for|from|in|through|per|under|(?:seen|found|shown|detected|"
                    r"documented|evaluated|measured|assessed|confirmed|verified|diagnosed)\s+(?:on|by|with|at))"
                    r"(?:\s+(?:the|a|an|admission|baseline|screening|routine|initial|prior|previous))*\s*$",
                    re.IGNORECASE)
"""A procedure named as the means or the occasion ('on admission ECG', 'by echocardiography', 'suitable for
resection') is no thing the patient must have or lack: it is left unread."""
def is_means(text: str, start: int, ids: tuple[str, ...] | list[str], end: int | None = None) -> bool:
    """Whether a procedure or device named at `start` is the means or occasion of something else ('on ECG',
    'ultrasound shows')."""
    if not ids or clinical.kind(ids[0]) not in ("procedure", "device"):
        return False
    return bool(_MEANS.search(text[:start])) or (end is not None and bool(_SHOWS.match(text, end)))


_SHOWS = re.compile(r"(?:\s+(?:or|and|/)\s+[\w-]+){0,3}\s+(?:(?:must|should|to|can|may|will|does|do)\s+)?"
                    r"(?:shows?|showing|reveals?|revealing|demonstrates?|demonstrating|confirms?|confirming|"
                    r"indicates?|indicating)\b", re.IGNORECASE)
"""A procedure followed by what it shows ('ultrasound or CT shows ...') is a means, not a requirement."""
_CONCEPT_KINDS = frozenset({"disease", "finding", "procedure", "drug", "drug_class", "behaviour", "device"})


def _concept_codes(words: str) -> list[str]:
    """The clinical vocabulary's concepts for exactly these words ('dysphagia' under the comorbidity key for
    digestive disorders): what the note must name, more precisely than the key."""
    hits = clinical.find(words)
    if len(hits) != 1 or hits[0].start != 0 or hits[0].end != len(words):
        return []
    return [i for i in hits[0].ids if not clinical.is_general(i)]


def concepts(text: str, found: list[Found], skip: list[tuple[int, int]], wider: bool = False) -> list[Found]:
    """Clinical concepts the shared vocabulary names that no other constraint took ('valvular heart disease',
    'shortness of breath', 'beta blockers'), each with its concept ids, qualifiers and time window. With `wider`,
    a concept that strictly contains a comorbidity's words is kept too (the caller chooses between them)."""
    def contains(f: Found, a: int, b: int) -> bool:
        return wider and f["kind"] == "comorbidity" and a <= f["span"][0] and f["span"][1] <= b \
            and (a, b) != tuple(f["span"])

    taken = [(f["span"], f) for f in found] + [(s, None) for s in skip]
    wins = windows(text)
    out: list[Found] = []
    for m in clinical.find(text):
        if any(a < m.end and m.start < b and not (f is not None and contains(f, m.start, m.end))
               for (a, b), f in taken):
            continue
        ids = [i for i in m.ids if not clinical.is_general(i) and clinical.kind(i) in _CONCEPT_KINDS]
        if not ids or is_means(text, m.start, ids, m.end):
            continue
        f: Found = {"kind": "concept", "span": (m.start, m.end), "name": m.text, "codes": ids,
                    "concept_kind": clinical.kind(ids[0])}
        quals = _qualifiers(text, Mention(m.start, m.end, ()), "")
        if quals:
            f["qualifier"] = quals
        win = next((w for w in wins if w[0] >= m.end and w[2] in ("<=", "<")
                    and not re.search(r"[;]|\.\s", text[m.end:w[0]])), None)
        if win:
            f["within_months"] = round(win[3] / 30, 1) if win[3] % 365 else round(win[3] / 365 * 12, 1)
        out.append(f)
    return out


_TRAILING_QUALIFIER = re.compile(r"^\s*,?\s*(?:that|which|who)\s+(?:is|are|has|have|remains?)\s+(?:been\s+)?"
                                 r"((?:not|poorly|inadequately)\s+(?:well\s+|adequately\s+)?controlled|uncontrolled|"
                                 r"symptomatic|unstable|active|severe)\b", re.IGNORECASE)


def _qualifiers(text: str, m: Mention, key: str) -> list[str]:
    """Qualifier words before a comorbidity ("known", "active"), the narrowing ones also in its own words
    ("uncontrolled hypertension") or just after it ("hypertension that is not controlled"), narrowing ones in their
    canonical spelling (vocab/comorbidities.json qualifiers). When the key already says one ("active" in
    active_infection), the condition is not narrowed further ("active or uncontrolled infection")."""
    prefix = text[max(0, m.start - 30):m.start]
    before = [" ".join(q.lower().split()) for q in _QUALIFIER.findall(prefix)]
    after = _TRAILING_QUALIFIER.match(text[m.end:m.end + 60])
    narrowing = comorbidity_vocab.qualifiers_in(f"{prefix} {text[m.start:m.end]} {after.group(1) if after else ''}")
    canon = _qualifier_canon()
    quals = list(dict.fromkeys([canon.get(q, q) for q in before] + narrowing))
    own = set(key.split("_"))
    if own & set(quals):
        return [q for q in quals if q not in own and q not in narrowing]
    return quals


@cache
def _qualifier_canon() -> dict[str, str]:
    """Qualifier word -> its canonical qualifier (vocab/comorbidities.json `qualifiers`), built once."""
    return {w: q for q, ws in comorbidity_vocab.qualifiers().items() for w in ws}


def _specific_infection_near(m: Mention, comorb: list[Mention], reach: int = 40) -> bool:
    """'HIV infection', 'infection with hepatitis B': the generic infection is only the head noun of a specific one."""
    specific = set(rules.load("concepts.json")["_infection_specific"])
    return any(o is not m and o.get("comorbidity").canon in specific  # type: ignore[union-attr]
               and (0 <= m.start - o.end <= reach or 0 <= o.start - m.end <= reach) for o in comorb)


def simple(text: str, mentions: list[Mention], category: str, kind: str, field: str,
           skip: list[tuple[int, int]]) -> list[Found]:
    out = []
    for m in mentions:
        e = m.get(category)
        if e and not _inside(m, skip):
            value = e.canon
            if value == "compliance" and re.match(rules.load("concepts.json")["_compliance_with_treatment"],
                                                  text[m.end:m.end + 60], re.IGNORECASE):
                value = "adherence"  # compliance with a physician's treatment, not with a trial's protocol
            out.append({"kind": kind, "span": (m.start, m.end), field: value})
    return _dedupe(out, field, text)


def _dedupe(found: list[Found], field: str, text: str) -> list[Found]:
    """One constraint per value; a second mention right beside the first ('voluntary informed consent') widens
    the first's span, so that its words count as read."""
    first: dict[Any, Found] = {}
    out = []
    for f in found:
        kept = first.get(f[field])
        if kept is None:
            first[f[field]] = f
            out.append(f)
        elif _BESIDE.fullmatch(text, kept["span"][1], f["span"][0]):
            kept["span"] = (kept["span"][0], f["span"][1])
    return out


_BESIDE = re.compile(r"[\s-]*(?:\w+[\s-]+)?")
"""What may stand between two mentions of one value for them to read as one phrase: at most one word."""
