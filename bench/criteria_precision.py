"""Precision and recall per constraint kind on the hand-checked sample (tests/fixtures/criteria/sample.json).

Usage: python bench/criteria_precision.py [--update]

Every item carries `expected`: the constraints a reader finds in the criterion (kind, key fields, and the
`negated`/`hypothetical` flags that decide a verdict). The engine's output is compared with it by `key()`:
a found constraint is correct when an expected one has the same key. `known_miss` / `known_wrong` record the
differences the engine still has (the test allows them, nothing else); `--update` rewrites them from the
current engine output, so a fix shrinks them and a regression shows up in `git diff`.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "tests/fixtures/criteria/sample.json"

KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "age": ("min_years", "max_years"),
    "sex": ("sex",),
    "performance_status": ("scale", "op", "value", "value_high"),
    "lab": ("analyte", "op", "value", "value_high", "uln_multiple", "lln_multiple", "applies_if"),
    "life_expectancy": ("op", "months"),
    "condition": ("code", "stage", "setting", "metastasis_site", "measurable", "size_op", "size_cm",
                  "lesion_count_op", "lesion_count"),
    "biomarker": ("name", "status"),
    "prior_therapy": ("agent", "agent_class", "modality", "window_op", "window_days", "lines_op", "lines"),
    "pregnancy": ("status",),
    "comorbidity": ("name", "nyha_class", "within_months"),
    "consent_or_compliance": ("aspect",),
    "other": ("name",),
}
FLAGS = ("negated", "hypothetical")


def _norm(v: object) -> object:
    if isinstance(v, float):
        return round(v, 2)
    if isinstance(v, list):
        return tuple(sorted(str(x) for x in v))
    return v


def key(c: dict) -> tuple:
    """What decides a constraint's verdict: kind, key fields, polarity flags (a drug's class is implied by it)."""
    fields = KEY_FIELDS[c["kind"]]
    if c["kind"] == "prior_therapy" and c.get("agent"):
        fields = tuple(f for f in fields if f != "agent_class")
    vals = tuple((f, _norm(c[f])) for f in fields if c.get(f) not in (None, False))
    return (c["kind"], vals, tuple(f for f in FLAGS if c.get(f)))


def slim(c: dict) -> dict:
    """A constraint reduced to its key fields (the form stored in the fixture)."""
    kind, vals, flags = key(c)
    out: dict = {"kind": kind}
    out.update({f: c[f] for f, _ in vals})
    out.update({f: True for f in flags})
    return out


def compare(item: dict, found: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """(correct found, wrong found, expected not found), each as slim constraints. Only the kinds the sample was
    checked for count: a `concept` (any clinical concept of the shared vocabulary, added after the sample was
    checked) is measured on the dev annotations instead (`trialscout eval criteria`)."""
    want = {key(c) for c in item["expected"]}
    got = {key(c): slim(c) for c in found if c["kind"] in KEY_FIELDS}
    ok = [c for k, c in got.items() if k in want]
    wrong = [c for k, c in got.items() if k not in want]
    concepts = [c for c in found if c["kind"] == "concept"]
    missed = [slim(c) for c in item["expected"] if key(c) not in got and not _as_concept(c, concepts)]
    return ok, wrong, missed


def _as_concept(expected: dict, concepts: list[dict]) -> bool:
    """An expected comorbidity found as a narrower (or the same) concept of the shared vocabulary ('human
    immunodeficiency virus infection' for `hiv`, 'end-stage liver disease' for `liver_disease`)."""
    if expected["kind"] != "comorbidity" or not concepts:
        return False
    from trialscout.match.vocab import comorbidity_codes, concept_within

    codes = list(comorbidity_codes(expected["name"]))
    return bool(codes) and any(concept_within(c["codes"], codes) for c in concepts)


def _tally(items: list[dict]) -> tuple[Counter, Counter, Counter, Counter]:
    from trialscout.criteria.extract import find_all

    ok, found, hit, expected = Counter(), Counter(), Counter(), Counter()
    for it in items:
        good, wrong, missed = compare(it, find_all(it["text"], it["type"]))
        for c in good:
            ok[c["kind"]] += 1
        for c in good + wrong:
            found[c["kind"]] += 1
        for c in it["expected"]:
            expected[c["kind"]] += 1
            hit[c["kind"]] += key(c) not in {key(m) for m in missed}
    return ok, found, hit, expected


def update(items: list[dict]) -> None:
    from trialscout.criteria.extract import find_all

    for it in items:
        _, wrong, missed = compare(it, find_all(it["text"], it["type"]))
        it["known_wrong"], it["known_miss"] = wrong, missed
    SAMPLE.write_text(json.dumps(items, indent=1, ensure_ascii=False) + "\n", "utf-8")


def main() -> None:
    items = json.loads(SAMPLE.read_text("utf-8"))
    checked = [it for it in items if it.get("checked")]
    if "--update" in sys.argv:
        update(items)
    ok, found, hit, expected = _tally(checked)
    print(f"sample: {len(items)} criteria, hand-checked: {len(checked)}")
    print(f"  {'kind':22s} {'precision':>16s} {'recall':>16s}")
    for kind in sorted(set(found) | set(expected), key=lambda k: -found[k]):
        p = f"{ok[kind]}/{found[kind]} = {ok[kind] / found[kind]:.0%}" if found[kind] else "-"
        r = f"{hit[kind]}/{expected[kind]} = {hit[kind] / expected[kind]:.0%}" if expected[kind] else "-"
        print(f"  {kind:22s} {p:>16s} {r:>16s}")
    n_ok, n_found, n_hit, n_exp = (sum(x.values()) for x in (ok, found, hit, expected))
    print(f"  {'ALL':22s} {f'{n_ok}/{n_found} = {n_ok / n_found:.0%}':>16s} "
          f"{f'{n_hit}/{n_exp} = {n_hit / n_exp:.0%}':>16s}")


if __name__ == "__main__":
    main()
