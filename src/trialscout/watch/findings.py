"""From what a watch saw before and sees now, the findings: new, now matching, changed, gone; each with its reason
and the change that caused it (the sync change log where it has rows, else the difference in what decides)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trialscout.watch.look import Looked, Seen

DECISIVE = (("status", "overallStatus"), ("verdict", "verdict"), ("sites", "sitesWithinRadius"))
"""State keys that decide whether a trial matches, and the names findings give them."""
QUIET_FIELDS = ("lastUpdatePostDate", "statusVerifiedDate")
"""Change-log fields too routine to be the cause of a finding."""


@dataclass(frozen=True)
class Marks:
    """Where a watch last looked: the highest study row and change-log row, and when."""

    study_id: int
    change_id: int
    looked_at: str | None


@dataclass(frozen=True)
class Draft:
    nct_id: str
    kind: str
    title: str | None
    status: str | None
    reason: str
    changes: list[dict[str, Any]]


def compare(now: list[Looked], seen: dict[str, Seen], marks: Marks,
            logged: dict[str, list[dict[str, Any]]]) -> list[Draft]:
    """The findings, in NCT ID order. `logged`: change-log rows since `marks.change_id`, by NCT ID."""
    drafts = []
    for trial in sorted(now, key=lambda t: t.nct_id):
        kind = _kind(trial, seen.get(trial.nct_id), marks, logged)
        if kind is not None:
            drafts.append(_draft(trial, seen.get(trial.nct_id), kind, logged.get(trial.nct_id, [])))
    return drafts


def _kind(trial: Looked, before: Seen | None, marks: Marks, logged: dict[str, list[dict[str, Any]]]) -> str | None:
    if before is None:
        if not trial.matched:
            return None
        if trial.study_id is not None and trial.study_id > marks.study_id:
            return "new"
        stored_since = marks.looked_at is not None and (trial.ingested_at or "") >= marks.looked_at
        changed = trial.nct_id in logged or stored_since
        # an old, unchanged trial seen for the first time (a patient's candidates move as others change): not news
        return "now_matches" if changed else None
    if before.matched != trial.matched:
        return "now_matches" if trial.matched else "gone"
    if trial.matched and decisive_diff(before.state, trial.state):
        return "changed"
    return None


def decisive_diff(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields that decide a match and differ between two states (sites: only when the watch has a radius)."""
    out = []
    for key, name in DECISIVE:
        if key not in new or old.get(key) == new.get(key):
            continue
        if key == "sites":
            added = [s for s in new["sites"] if s not in (old.get("sites") or [])]
            removed = [s for s in old.get("sites") or [] if s not in new["sites"]]
            out.append({"field": name, "old": None, "new": None, "added": added, "removed": removed})
        else:
            out.append({"field": name, "old": old.get(key), "new": new.get(key)})
    return out


def _draft(trial: Looked, before: Seen | None, kind: str, log: list[dict[str, Any]]) -> Draft:
    diff = decisive_diff(before.state if before else {}, trial.state) if before else []
    cause = [c for c in log if c["field"] not in QUIET_FIELDS]
    return Draft(trial.nct_id, kind, trial.state.get("title"), trial.state.get("status"),
                 _reason(kind, trial, diff, cause), cause or diff)


def _reason(kind: str, trial: Looked, diff: list[dict[str, Any]], cause: list[dict[str, Any]]) -> str:
    verdict = trial.state.get("verdict")
    parts = [describe(d) for d in diff] or [describe(c) for c in cause[:3]]
    said = "; ".join(parts)
    if kind == "new":
        return "new trial that matches" + (f" (verdict: {verdict})" if verdict else "")
    if kind == "now_matches":
        return "now matches" + (f": {said}" if said else f": its record changed since the last run ({_now(trial)})")
    if kind == "changed":
        return f"still matches; {said}"
    if trial.state.get("removed"):
        return "no longer matches: the trial is no longer in the store"
    return "no longer matches" + (f": {said}" if said else ": its record changed")


def _now(trial: Looked) -> str:
    """What decides the match now, for a trial the watch had not kept a state of."""
    bits = [f"overallStatus {trial.state.get('status') or 'unknown'}"]
    if trial.state.get("verdict"):
        bits.append(f"verdict {trial.state['verdict']}")
    if trial.state.get("sites"):
        bits.append(f"{len(trial.state['sites'])} site(s) within the radius")
    return ", ".join(bits)


def describe(change: dict[str, Any]) -> str:
    """One change in words, for reasons, e-mails and pages (trial text in it is escaped where it is shown)."""
    name = change["field"]
    if "added" in change:
        bits = [f"new site within the radius: {s}" for s in change["added"][:3]]
        bits += [f"no longer a site within the radius: {s}" for s in change["removed"][:3]]
        return "; ".join(bits) or "sites within the radius changed"
    old, new = change.get("old"), change.get("new")
    if name.startswith("locations["):
        if old is None and new is not None:
            return f"site added: {name[10:].split(']')[0]}"
        if new is None and old is not None:
            return f"site removed: {name[10:].split(']')[0]}"
    if isinstance(old, str | int | float | type(None)) and isinstance(new, str | int | float | type(None)):
        if old is None and new is None:
            return f"{name} changed"
        return f"{name}: {_short(old)} → {_short(new)}"
    return f"{name} changed"


def _short(value: Any, limit: int = 80) -> str:
    text = "none" if value is None else str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"
