"""Build an enlarged copy of a legacy-XML bulk ZIP: every record replicated with a rewritten NCT ID.

Copy k (k = 1..factor-1) of NCTxxxxxxxx gets NCT ID number + k * 10,000,000, so IDs stay unique and valid
for the real sample (whose IDs are all below NCT10000000). Usage: python bench/enlarge.py SRC OUT --factor 10
"""

from __future__ import annotations

import argparse
import re
import zipfile
from pathlib import Path

_NCT = re.compile(rb"NCT(\d{8})")


def rewrite(data: bytes, nct_number: int, new_number: int) -> bytes:
    return data.replace(b"NCT%08d" % nct_number, b"NCT%08d" % new_number)


def enlarge(src: Path, out: Path, factor: int) -> int:
    """Write `factor` copies of every record to `out` (first copy unchanged); returns the record count."""
    n = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            if info.is_dir() or not info.filename.endswith(".xml"):
                continue
            data = zin.read(info)
            number = int(_NCT.search(info.filename.encode()).group(1))
            for k in range(factor):
                new = number + k * 10_000_000
                name = f"NCT{new // 10_000:04d}xxxx/NCT{new:08d}.xml"
                zout.writestr(name, data if k == 0 else rewrite(data, number, new))
                n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("src", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--factor", type=int, default=10)
    args = ap.parse_args()
    print(f"{enlarge(args.src, args.out, args.factor)} records -> {args.out}")


if __name__ == "__main__":
    main()
