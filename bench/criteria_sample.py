"""Draw the fixed-seed sample of criteria for hand checking -> tests/fixtures/criteria/sample.json.

Usage: python bench/criteria_sample.py [N]   (default 300; seed 20240604; keeps existing `checked` verdicts)
Each item: corpus, record id, type, text, and the constraints the engine found (contract form, spans relative
to the criterion). A reviewer sets `checked: true` and corrects `expected` (and per-constraint `ok` verdicts).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from criteria_data import hint_records, lct_records, nli4ct_records, xml_records  # noqa: E402
from trialscout.criteria import parse_criteria  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "tests/fixtures/criteria/sample.json"
SEED = 20240604


def _pool() -> list[tuple[str, str, str]]:
    pool = []
    rng = random.Random(SEED)
    for name, recs in (("ctgov-xml", xml_records()), ("nli4ct", nli4ct_records()), ("hint", hint_records()),
                       ("lct", ((r, t, False) for r, t, _ in lct_records()))):
        recs = list(recs)
        for rid, text, _ in rng.sample(recs, min(150, len(recs))):
            pool.append((name, rid, text))
    return pool


def _strip(c: dict, base: int) -> dict:
    out = {k: v for k, v in c.items() if k != "span" and v not in (False, None)}
    out["span"] = [c["span"][0] - base, c["span"][1] - base]
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rng = random.Random(SEED)
    items = []
    for name, rid, text in _pool():
        crit = parse_criteria(text)
        if crit:
            c = rng.choice(crit)
            items.append({"corpus": name, "id": rid, "type": c.type, "text": text[c.span[0]:c.span[1]],
                          "found": [_strip(k.to_contract(), c.span[0]) for k in c.constraints]})
    rng.shuffle(items)
    old = {(i["id"], i["text"]): i for i in json.loads(OUT.read_text())} if OUT.exists() else {}
    out = [old.get((i["id"], i["text"]), i) for i in items[:n]]
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False), "utf-8")
    print(f"{len(out)} criteria -> {OUT}")


if __name__ == "__main__":
    main()
