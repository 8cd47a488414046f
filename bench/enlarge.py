"""Build an enlarged copy of a legacy-XML bulk ZIP for benchmarks: real records replicated, every copy with a
new NCT ID and perturbed text, so the index sees distinct documents and term statistics, not exact repeats.

Copy 0 is the original record. Copy k >= 1 of the i-th record gets NCT ID 10,000,000 + (k-1)*N + i (N records
in the source), which never collides with a real ID of the sample (all below NCT05000000), and in each
<textblock> (summaries, descriptions, criteria) about 4% of words dropped and 4% of neighbouring word pairs
swapped, seeded by (copy, record) so the corpus is the same on every run.

Usage: python bench/enlarge.py SRC OUT (--factor 10 | --size 570000)
"""

from __future__ import annotations

import argparse
import random
import re
import zipfile
from pathlib import Path

_NCT = re.compile(rb"NCT(\d{8})")
_TEXTBLOCK = re.compile(rb"(<textblock>)(.*?)(</textblock>)", re.DOTALL)
FIRST_SYNTHETIC = 10_000_000


def perturb(text: bytes, rng: random.Random, drop: float = 0.04, swap: float = 0.04) -> bytes:
    words = text.split(b" ")
    kept = [w for w in words if not w.strip() or rng.random() >= drop]
    for i in range(len(kept) - 1):
        if rng.random() < swap:
            kept[i], kept[i + 1] = kept[i + 1], kept[i]
    return b" ".join(kept)


def variant(data: bytes, old: int, new: int, seed: int) -> bytes:
    rng = random.Random(seed)
    data = data.replace(b"NCT%08d" % old, b"NCT%08d" % new)
    return _TEXTBLOCK.sub(lambda m: m.group(1) + perturb(m.group(2), rng) + m.group(3), data)


def enlarge(src: Path, out: Path, *, size: int | None = None, factor: int | None = None) -> int:
    """Write `size` records (or `factor` copies of every record) to `out`; returns the record count."""
    with zipfile.ZipFile(src) as zin:
        members = [i for i in zin.infolist() if not i.is_dir() and i.filename.endswith(".xml")]
        n = len(members)
        target = size if size is not None else n * (factor or 1)
        written = 0
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
            for copy in range((target + n - 1) // n):
                for i, info in enumerate(members):
                    if written >= target:
                        return written
                    data = zin.read(info)
                    old = int(_NCT.search(info.filename.encode()).group(1))
                    new = old if copy == 0 else FIRST_SYNTHETIC + (copy - 1) * n + i
                    name = f"NCT{new // 10_000:04d}xxxx/NCT{new:08d}.xml"
                    zout.writestr(name, data if copy == 0 else variant(data, old, new, seed=copy * 1_000_003 + i))
                    written += 1
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", type=Path)
    ap.add_argument("out", type=Path)
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--factor", type=int)
    group.add_argument("--size", type=int)
    args = ap.parse_args()
    n = enlarge(args.src, args.out, size=args.size, factor=args.factor or (None if args.size else 10))
    print(f"{n} records -> {args.out}")


if __name__ == "__main__":
    main()
