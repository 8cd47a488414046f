"""Drug name variants (generic, brand, other names) from the drug-named-entity-recognition package
(about 20,000 drugs and 107,000 names, MIT), kept as an indexed SQLite copy in the user cache."""

from __future__ import annotations

import bz2
import os
import pickle
import sqlite3
from functools import cache, lru_cache
from importlib import metadata, resources
from pathlib import Path

from platformdirs import user_cache_dir

PACKAGE = "drug_named_entity_recognition"
MAX_NAMES = 12


@cache
def _db() -> sqlite3.Connection | None:
    """The name table, built once per package version; None when the package's data cannot be read."""
    try:
        version = metadata.version("drug-named-entity-recognition")
    except metadata.PackageNotFoundError:
        return None
    path = Path(user_cache_dir("trialscout", appauthor=False)) / f"drugnames-{version}.sqlite"
    if not path.exists():
        rows = _variants()
        if rows is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        conn = sqlite3.connect(tmp)
        conn.execute("CREATE TABLE variant (name TEXT NOT NULL, canonical TEXT NOT NULL)")
        conn.executemany("INSERT INTO variant VALUES (?, ?)", rows)
        conn.execute("CREATE INDEX variant_name ON variant(name)")
        conn.execute("CREATE INDEX variant_canonical ON variant(canonical)")
        conn.commit()
        conn.close()
        tmp.replace(path)
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def _variants() -> list[tuple[str, str]] | None:
    # The package ships its dictionary as a bz2 pickle (variant -> canonical names); read it without importing
    # the package, whose import loads everything and takes seconds. Its own file, from the installed wheel.
    try:
        with bz2.open(resources.files(PACKAGE).joinpath("drug_ner_dictionary.pkl.bz2"), "rb") as fh:
            data = pickle.load(fh)  # noqa: S301
        table = data["drug_variant_to_canonical"]
    except (OSError, KeyError, TypeError, pickle.UnpicklingError, ModuleNotFoundError):
        return None
    return [(str(v).lower(), str(c).lower()) for v, cs in table.items() for c in cs]


@lru_cache(maxsize=4096)
def drug_names(name: str) -> tuple[str, ...]:
    """Every name of the drug(s) called `name` (`keytruda` → pembrolizumab, keytruda, lambrolizumab), shortest
    first, at most MAX_NAMES; empty when the name is not a known drug."""
    db = _db()
    if db is None or not name.strip():
        return ()
    rows = db.execute("SELECT DISTINCT v2.name FROM variant v1 JOIN variant v2 ON v2.canonical = v1.canonical "
                      "WHERE v1.name = ?", (name.lower().strip(),)).fetchall()
    names = sorted({r[0] for r in rows if r[0].isascii()}, key=lambda n: (len(n), n))
    return tuple(names[:MAX_NAMES])
