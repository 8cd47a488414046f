"""Readers for every criteria text in the shared data sets (XML sample, NLI4CT, HINT, LCT), for the benches."""

from __future__ import annotations

import csv
import html
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared/data"
XML_ZIP = DATA / "ctgov-xml/AllPublicXML-sample.zip"
_CRIT = re.compile(r"<criteria>\s*<textblock>(.*?)</textblock>", re.S)
_COND = re.compile(r"<condition>(.*?)</condition>", re.S)
ONCO = re.compile(r"cancer|carcinom|tumou?r|neoplas|lymphoma|leukemi|leukaemi|melanoma|sarcoma|myeloma|glioma|"
                  r"blastoma|malignan|metasta|oncolog|mesothelioma|myelodysplas", re.IGNORECASE)


def xml_records(path: Path = XML_ZIP, limit: int | None = None) -> Iterator[tuple[str, str, bool]]:
    """(nct_id, criteria text, is_oncology) from the legacy XML zip."""
    with zipfile.ZipFile(path) as z:
        for i, name in enumerate(n for n in z.namelist() if n.endswith(".xml")):
            if limit is not None and i >= limit:
                return
            raw = z.read(name).decode("utf-8", "replace")
            m = _CRIT.search(raw)
            if m:
                conds = " ".join(_COND.findall(raw))
                yield Path(name).stem, html.unescape(m.group(1)), bool(ONCO.search(conds))


def nli4ct_records() -> Iterator[tuple[str, str, bool]]:
    with zipfile.ZipFile(DATA / "criteria-corpora/nli4ct/nli4ct-ctr.zip") as z:
        for name in z.namelist():
            if name.endswith(".json") and "/NCT" in name:
                d = json.loads(z.read(name))
                yield d.get("Clinical Trial ID", name), "\n".join(d.get("Eligibility") or []), True


def hint_records() -> Iterator[tuple[str, str, bool]]:
    csv.field_size_limit(10**8)
    with open(DATA / "criteria-corpora/hint/hint-trials.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            yield row["nctid"], row["criteria"] or "", bool(ONCO.search(row.get("diseases") or ""))


def lct_records() -> Iterator[tuple[str, str, str]]:
    """(doc id, text, brat .ann text)."""
    with zipfile.ZipFile(DATA / "criteria-corpora/lct/lct-brat.zip") as z:
        names = set(z.namelist())
        for name in sorted(n for n in names if n.endswith(".txt")):
            ann = name[:-4] + ".ann"
            text = z.read(name).decode("utf-8")
            yield Path(name).stem, text, z.read(ann).decode("utf-8") if ann in names else ""
