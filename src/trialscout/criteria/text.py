"""Length-preserving text normalisation and tokenisation, so every span points into the original text."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

_ONE_TO_ONE = {
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ", "\u200b": " ", "\u3000": " ",
    "\u2002": " ", "\u2003": " ", "\t": " ", "\r": " ", "\f": " ", "\v": " ",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2015": "-", "\ufe63": "-", "\uff0d": "-", "~": "-", "\u301c": "-",
    "\u2265": "≥", "\u2267": "≥", "\u2a7e": "≥", "\u2264": "≤", "\u2266": "≤", "\u2a7d": "≤",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00b4": "'",
    "\u00b5": "u", "\u03bc": "u", "\u00d7": "x", "\u2715": "x", "\u2a2f": "x", "\u00b7": ".",
    "\u2022": "•", "\u25cf": "•", "\u25aa": "•", "\u25e6": "•", "\u2023": "•", "\u2043": "•",
    "\uf0b7": "•", "\u25a0": "•", "\u25a1": "•", "\u27a2": "•", "\u2219": "•", "\u00a7": "•",
    "\u00b3": "3", "\u00b2": "2", "\u00ba": " ",
    "\uff1a": ":", "\uff1b": ";", "\uff08": "(", "\uff09": ")", "\uff0c": ",", "\u3001": ",", "\u3002": ".",
    "\u2170": "i", "\u2160": "I",
}
_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
"""Superscripts stay as they are (10⁹ must not become 109); the unit patterns read them."""


@cache
def _table() -> dict[int, str]:
    table = {ord(k): v for k, v in _ONE_TO_ONE.items()}
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII -> ASCII
        table[cp] = chr(cp - 0xFEE0)
    table[ord("\u00b3")] = "3"
    return table


def normalize(text: str) -> str:
    """Same length as `text`: odd spaces, dashes, full-width forms and look-alike comparators made plain."""
    out = text.translate(_table())
    if len(out) != len(text):  # a mapping must never change the length
        raise AssertionError("normalisation changed the text length")
    return out


def superscript_to_int(s: str) -> int:
    return int("".join(str(_SUPERSCRIPT_DIGITS.index(ch)) if ch in _SUPERSCRIPT_DIGITS else ch for ch in s))


_TOKEN = re.compile(r"[A-Za-z0-9]+|[^\x00-\x7f\s]")
_LEMMA = {
    "metastases": "metastasis", "metastatic": "metastatic", "tumours": "tumor", "tumour": "tumor",
    "tumors": "tumor", "oesophageal": "esophageal", "oesophagus": "esophagus", "haemoglobin": "hemoglobin",
    "leukaemia": "leukemia", "leukaemias": "leukemia", "anaemia": "anemia", "haematological": "hematologic",
    "hematological": "hematologic", "haematologic": "hematologic", "oestrogen": "estrogen",
    "diseases": "disease", "women": "woman", "men": "man", "children": "child", "lymphomas": "lymphoma",
    "carcinomas": "carcinoma", "sarcomas": "sarcoma", "neoplasms": "neoplasm", "lesions": "lesion",
    "therapies": "therapy", "malignancies": "malignancy", "status": "status", "diabetes": "diabetes",
    "herpes": "herpes", "mellitus": "mellitus", "centimeters": "cm", "centimetres": "cm",
    "analyses": "analysis", "abscess": "abscess", "hypertensive": "hypertension",
    "infections": "infection", "taxanes": "taxane", "anthracyclines": "anthracycline", "platins": "platinum",
    "inhibitors": "inhibitor", "antibodies": "antibody", "agents": "agent", "regimens": "regimen",
    "lines": "line", "surgeries": "surgery", "ovaries": "ovary", "kidneys": "kidney", "bones": "bone",
}


@lru_cache(maxsize=65536)
def lemma(tok: str) -> str:
    t = tok.lower()
    hit = _LEMMA.get(t)
    if hit is not None:
        return hit
    if len(t) > 4 and t.endswith("s") and not t.endswith(("ss", "us", "is", "ous", "ps")) and t.isalpha():
        return t[:-1]
    return t


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Word tokens as (lemma, start, end); hyphens and slashes separate words."""
    return [(lemma(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def phrase_key(text: str) -> str:
    return " ".join(t for t, _, _ in tokens(text))


@cache
def _stemmer() -> Any:
    import snowballstemmer  # pure Python; imported on first use

    return snowballstemmer.stemmer("english")


WORD_KEY_CHARS = 7
"""Word keys keep this many letters of the stem: 'compliance'/'compliant', 'diagnosis'/'diagnoses' meet."""


@lru_cache(maxsize=65536)
def word_key(word: str) -> str:
    """A word's comparison key: lower case, possessive dropped, Snowball stem cut to `WORD_KEY_CHARS` letters."""
    low = word.lower().replace("’", "'").removesuffix("'s").strip("'-")
    return _stemmer().stemWord(low)[:WORD_KEY_CHARS]


def may_contain(text: str, words: tuple[str, ...]) -> bool:
    """False only when `text` holds none of the lower-case ASCII `words`, in any letter case: a quick test before a
    case-insensitive pattern that cannot match without one of them. Text with other than ASCII characters may
    (Unicode case folding matches more than `str.lower` gives), so it always passes to the pattern."""
    if not text.isascii():
        return True
    low = text.lower()
    return any(w in low for w in words)
