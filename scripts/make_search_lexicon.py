"""Write src/trialscout/search/rules/lexicon.json.gz: the query-expansion lexicon built from its sources (OncoTree,
the Disease Ontology cancer slim, drugs.json, expansions.json), with their fingerprint. A search uses it while the
sources are unchanged and rebuilds in memory otherwise; tests/search/test_expand.py checks it is current.

    .venv/bin/python scripts/make_search_lexicon.py
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from trialscout.search.expand import LEXICON_FILE, lexicon_document

OUT = Path(__file__).resolve().parents[1] / "src" / "trialscout" / "search" / LEXICON_FILE


def main() -> None:
    doc = lexicon_document()
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    OUT.write_bytes(gzip.compress(data, mtime=0))
    print(f"{OUT}: {len(doc['lexicon'])} phrases, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
