"""Derive the compact Disease Ontology cancer-slim table shipped in the package (CC0 1.0).

Output `src/trialscout/vocab/do_cancer.json`: {DOID: {"name", "synonyms" (EXACT only), "parents", "mesh"}}.
Usage: python scripts/make_do_cancer.py [../shared/data/vocab/DO_cancer_slim.obo]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

SRC = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/vocab/DO_cancer_slim.obo")
OUT = Path("src/trialscout/vocab/do_cancer.json")


def terms(text: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for block in text.split("\n[Term]\n")[1:]:
        block = block.split("\n[")[0]
        if re.search(r"^is_obsolete: true", block, re.M):
            continue
        doid = re.search(r"^id: (DOID:\d+)", block, re.M).group(1)
        out[doid] = {
            "name": re.search(r"^name: (.+)$", block, re.M).group(1),
            "synonyms": re.findall(r'^synonym: "(.+?)" EXACT', block, re.M),
            "parents": re.findall(r"^is_a: (DOID:\d+)", block, re.M),
            "mesh": re.findall(r"^xref: MESH:(\w+)", block, re.M),
        }
    return out


def main() -> None:
    table = terms(SRC.read_text("utf-8"))
    doc = {"_source": f"Human Disease Ontology cancer slim ({SRC.name}), CC0 1.0", "terms": table}
    OUT.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"{len(table)} terms -> {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
