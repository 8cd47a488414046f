"""Shared vocabularies shipped as data: OncoTree (tumour types and their tree)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class TumorType:
    code: str
    name: str
    parent: str | None
    main_type: str | None
    tissue: str | None


@cache
def oncotree() -> dict[str, TumorType]:
    """Every OncoTree code (2025-10-03 release) with its name, parent, main type and tissue."""
    raw = json.loads(resources.files("trialscout.vocab").joinpath("oncotree.json").read_text("utf-8"))
    return {code: TumorType(code, *row) for code, row in raw["codes"].items()}


def lineage(code: str) -> list[str]:
    """The code and its ancestors, nearest first (`IDC` → `["IDC", "BRCA", "BREAST"]`)."""
    tree = oncotree()
    out: list[str] = []
    while code in tree and code not in out:
        out.append(code)
        code = tree[code].parent or ""
    return out


def is_within(code: str, ancestor: str) -> bool:
    """True when `code` is `ancestor` or lies below it in the tree."""
    return ancestor in lineage(code)


def criterion_scope(code: str) -> str:
    """What a criterion naming `code` admits. An unspecified type directly under an organ ("Breast Neoplasm, NOS"
    under Breast) names the organ's cancers, not one sibling among them; every other code names itself."""
    tree = oncotree()
    node = tree.get(code)
    parent = tree.get(node.parent or "") if node else None
    if node and parent and parent.parent is None and node.name.endswith(", NOS"):
        return parent.code
    return code
