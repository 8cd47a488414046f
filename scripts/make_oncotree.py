"""Derive the compact OncoTree table shipped in the package from the full tree (CC BY 4.0, cBioPortal).

Output `src/trialscout/vocab/oncotree.json`: {code: [name, parent_code, main_type, tissue]}.
Usage: python scripts/make_oncotree.py [../shared/data/vocab/oncotree_2025_10_03.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SRC = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/vocab/oncotree_2025_10_03.json")
OUT = Path("src/trialscout/vocab/oncotree.json")


def walk(node: dict, parent: str | None, table: dict) -> None:
    code = node["code"]
    if code != "TISSUE":
        table[code] = [node["name"], parent if parent != "TISSUE" else None, node.get("mainType"), node.get("tissue")]
    for child in (node.get("children") or {}).values():
        walk(child, code, table)


def main() -> None:
    tree = json.loads(SRC.read_text("utf-8"))
    table: dict[str, list] = {}
    walk(tree["TISSUE"], None, table)
    doc = {"_source": f"OncoTree {SRC.name} (cBioPortal, CC BY 4.0)", "codes": dict(sorted(table.items()))}
    OUT.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"{len(table)} codes -> {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
