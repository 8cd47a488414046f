"""Merge the diagnoses found in a note: one per OncoTree code, an ancestor folded into its more specific code."""

from __future__ import annotations

from trialscout.model.patient import Diagnosis
from trialscout.patient.vocab import ancestors


def merge_diagnoses(found: list[Diagnosis]) -> list[Diagnosis]:
    """The same code once; `BRCA` folded into `IDC`; uncoded mentions ('cancer') dropped when a coded one exists."""
    by_code: dict[str | None, Diagnosis] = {}
    for dx in found:
        kept = by_code.get(dx.oncotree_code)
        if kept is None:
            by_code[dx.oncotree_code] = dx.model_copy(deep=True)
        else:
            _fold(dx, kept)
    codes = [c for c in by_code if c]
    if codes:
        uncoded = by_code.pop(None, None)
        if uncoded is not None:
            _fold(uncoded, by_code[codes[0]])
    for code in list(by_code):
        if code is None:
            continue
        child = next((c for c in by_code if c and c != code and code in ancestors(c)), None)
        if child is not None:
            _fold(by_code.pop(code), by_code[child])
    return list(by_code.values())


def _fold(source: Diagnosis, target: Diagnosis) -> None:
    target.histology = target.histology or source.histology
    target.stage = target.stage or source.stage
    target.date = target.date or source.date
    for s in source.setting:
        if s not in target.setting:
            target.setting.append(s)
    for s in source.metastatic_sites:
        if s not in target.metastatic_sites:
            target.metastatic_sites.append(s)
