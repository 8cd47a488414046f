"""The label vocabulary (labels.json): which page label means which v2 field, chrome and helper patterns."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


def norm_label(text: str) -> str:
    """`'Condition(s):'` → `'conditions'`; `'If Stopped, Why?'` → `'if stopped why'`."""
    t = re.sub(r"\((s|es)\)", r"\1", text.lower()).replace("&", " and ")
    return re.sub(r"[^a-z0-9#]+", " ", t).replace("#", "").strip()


@dataclass(frozen=True)
class Target:
    """Where a label's value goes: a top-level field, or a sub-field of a group (arm, location, …)."""

    key: str                      # field key, or group name
    kind: str                     # normaliser name (values.py)
    path: tuple[str, ...] = ()    # v2 paths for top-level fields
    group: str | None = None      # group name for group targets
    sub: str | None = None        # sub-field in the group; None = the group's start label
    sets: tuple[tuple[str, str], ...] = ()   # extra sub values the label implies (role, date type)
    verbatim_label: bool = False  # keep the label line itself in the value (Inclusion Criteria)

    @property
    def is_group(self) -> bool:
        return self.group is not None


@dataclass
class Vocab:
    fields: dict[str, Target] = field(default_factory=dict)
    top: dict[str, Target] = field(default_factory=dict)          # norm label → target
    group_subs: dict[str, dict[str, Target]] = field(default_factory=dict)  # group → norm label → target
    unique_subs: dict[str, Target] = field(default_factory=dict)  # sub labels owned by one group only
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    sections: set[str] = field(default_factory=set)
    related: set[str] = field(default_factory=set)
    related_headers: list[set[str]] = field(default_factory=list)
    chrome: list[re.Pattern[str]] = field(default_factory=list)
    helpers: list[re.Pattern[str]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    countries: set[str] = field(default_factory=set)

    def lookup(self, label: str, group: str | None = None) -> Target | None:
        """The target of a label: in the open group first, then top level, then group-only labels."""
        key = norm_label(label)
        if not key:
            return None
        if group and key in self.group_subs.get(group, {}):
            start = self.top.get(key)
            if start is not None and start.group == group and start.sub is None:
                return start
            return self.group_subs[group][key]
        found = self.top.get(key) or self.unique_subs.get(key)
        if found:
            return found
        return self._qualified(key, group)

    def _qualified(self, key: str, group: str | None) -> Target | None:
        """`'Est. completion date'` → completion date with type ESTIMATED."""
        first, _, rest = key.partition(" ")
        qual = self.raw["date_qualifiers"].get(first)
        if not qual or not rest:
            return None
        base = self.lookup(rest, group)
        if base is None or base.kind not in ("datestruct", "enrollment"):
            return None
        return Target(base.key, base.kind, base.path, base.group, base.sub, base.sets + (("type", qual),))

    def is_section(self, text: str) -> bool:
        return norm_label(text) in self.sections

    def is_related(self, text: str) -> bool:
        return norm_label(text) in self.related

    def is_chrome(self, text: str) -> bool:
        low = text.lower()
        return any(p.search(low) for p in self.chrome)

    def is_helper(self, text: str) -> bool:
        low = text.lower()
        return any(p.search(low) for p in self.helpers)

    def is_related_header(self, cells: tuple[str, ...]) -> bool:
        names = {norm_label(c) for c in cells if c.strip()}
        return any(sig <= names for sig in self.related_headers)


def _labels(entries: list[Any]) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    out = []
    for e in entries:
        if isinstance(e, str):
            out.append((e, ()))
        else:
            out.append((e["label"], tuple(sorted(e.get("set", {}).items()))))
    return out


def _read_json(name: str) -> dict[str, Any]:
    return json.loads(resources.files("trialscout.sources.pages").joinpath(name).read_text("utf-8"))


@cache
def vocab() -> Vocab:
    raw = _read_json("labels.json")
    v = Vocab(raw=raw)
    for key, spec in raw["fields"].items():
        paths = spec["path"] if isinstance(spec["path"], list) else [spec["path"]]
        for label, sets in _labels(spec["labels"]):
            t = Target(key, spec["kind"], tuple(paths), sets=sets, verbatim_label=spec.get("verbatim_label", False))
            v.top.setdefault(norm_label(label), t)
        v.fields[key] = Target(key, spec["kind"], tuple(paths))
    _load_groups(v, raw["groups"])
    v.sections = {norm_label(s) for s in raw["sections"]}
    v.related = {norm_label(s) for s in raw["related"]}
    v.related_headers = [{norm_label(c) for c in sig} for sig in raw["related_table_headers"]]
    v.chrome = [re.compile(p) for p in raw["chrome"]]
    v.helpers = [re.compile(p) for p in raw["helpers"]]
    v.countries = {c.lower() for c in _read_json("places.json")["countries"]}
    return v


def _load_groups(v: Vocab, groups: dict[str, Any]) -> None:
    owners: dict[str, set[str]] = {}
    for name, spec in groups.items():
        v.groups[name] = spec
        for label, sets in _labels(spec["start"]):
            kind = spec.get("key_kind", spec["subs"][spec["key"]]["kind"])
            v.top.setdefault(norm_label(label), Target(name, kind, group=name, sub=None, sets=sets))
        subs: dict[str, Target] = {}
        for sub, sspec in spec["subs"].items():
            for label, sets in _labels(sspec["labels"]):
                subs.setdefault(norm_label(label), Target(name, sspec["kind"], group=name, sub=sub, sets=sets))
                owners.setdefault(norm_label(label), set()).add(name)
        v.group_subs[name] = subs
    generic = {"type", "name", "description", "title", "label", "status", "class", "id", "role", "link", "domain",
               "measure", "outcome", "site", "organization", "organisation", "intervention", "interventions", "arm",
               "arms", "group", "agency", "affiliation", "institution", "details"}
    for label, names in owners.items():
        if len(names) == 1 and label not in v.top and label not in generic:
            (name,) = names
            v.unique_subs[label] = v.group_subs[name][label]
