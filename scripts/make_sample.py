"""Rebuild the bundled demo sample: real oncology records from the shared legacy-XML sample.

Selection (deterministic): records whose conditions or MeSH condition terms name a cancer, with an
eligibility criteria block; all that are recruiting or not yet recruiting, then the rest in NCT order
until --size. Usage: python scripts/make_sample.py [SRC_ZIP] [--size 300]
"""

from __future__ import annotations

import argparse
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

CANCER = re.compile(r"cancer|carcinom|neoplas|tumou?r|lymphom|leukem|leukaem|sarcom|melanom|myelom|glioma|"
                    r"blastoma|metasta|malignan|oncolog|mesothelioma", re.I)
OPEN = {"Recruiting", "Not yet recruiting", "Active, not recruiting", "Enrolling by invitation"}


def is_oncology(root: ET.Element) -> bool:
    terms = [e.text or "" for e in root.iterfind("condition")]
    terms += [e.text or "" for e in root.iterfind("condition_browse/mesh_term")]
    return any(CANCER.search(t) for t in terms)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src", nargs="?", default="../shared/data/ctgov-xml/AllPublicXML-sample.zip")
    ap.add_argument("--size", type=int, default=300)
    ap.add_argument("--out", default="src/trialscout/data/sample-oncology.zip")
    args = ap.parse_args()
    open_first, rest = [], []
    with zipfile.ZipFile(args.src) as zf:
        for name in sorted(zf.namelist()):
            root = ET.fromstring(zf.read(name))
            if not is_oncology(root) or root.find("eligibility/criteria/textblock") is None:
                continue
            (open_first if root.findtext("overall_status") in OPEN else rest).append(name)
        chosen = sorted((open_first + rest)[: args.size])
        with zipfile.ZipFile(args.out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
            for name in chosen:
                out.writestr(name, zf.read(name))
    print(f"{len(chosen)} records ({len(open_first)} open) -> {args.out} ({Path(args.out).stat().st_size} bytes)")


if __name__ == "__main__":
    main()
