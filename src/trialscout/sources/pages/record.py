"""Collect normalised values into a v2-shaped dict, remembering for each field the page line it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from trialscout.sources import normalize as nz
from trialscout.sources.pages.lines import Line
from trialscout.sources.pages.values import normalise
from trialscout.sources.pages.vocab import Target, vocab

_MERGE_KINDS = {"datestruct", "enrollment", "masking", "agerange"}
_LIST_KINDS = {"list", "mesh", "who_masked"}
_ITEM_KINDS = {"arm_item", "intervention_item", "outcome_item", "official_item", "location_item", "collaborators",
               "id_list", "address"}
_REQUIRED = {"leadSponsor": "name", "collaborator": "name", "secondaryId": "id", "arm": "label",
             "intervention": "name", "primaryOutcome": "measure", "secondaryOutcome": "measure",
             "otherOutcome": "measure"}
Where = tuple[int, str]


@dataclass
class Record:
    """A page's values on their way to a v2 dict, with provenance and the lines that were not mapped."""

    data: dict[str, Any] = field(default_factory=dict)
    prov: dict[str, Where] = field(default_factory=dict)
    unmapped: list[Where] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fresh: set[str] = field(default_factory=set)

    # ------------------------------------------------------------ top-level fields
    def put(self, target: Target, raw: str, line: Line) -> bool:
        """Normalise `raw` for `target` and store it; False (and a note) when the page gives no value."""
        if target.group:
            return self.group_put(target.group, target.sub, target.kind, raw, line, target.sets)
        value = normalise(target.kind, raw)
        if value is None:
            self._not_understood(raw, line)
            return False
        if target.kind in ("datestruct", "enrollment") and isinstance(value, dict):
            for k, v in target.sets:
                value.setdefault(k, v)
        for path in target.path:
            self.set_path(path, target.kind, value, line)
        return True

    def _not_understood(self, raw: str, line: Line) -> None:
        if raw.strip() and not nz.is_none_word(raw.split("\n")[0]):
            self.unmapped.append((line.no, line.text))
            self.warnings.append(f"line {line.no}: value not understood: {raw.strip()[:80]!r}")

    def set_path(self, path: str, kind: str, value: Any, line: Line) -> None:
        parent, _, leaf = path.rpartition(".")
        node = self._node(parent)
        if kind in _MERGE_KINDS:
            target = self._node(path) if kind == "agerange" else node.setdefault(leaf, {})
            for k, v in value.items():
                self._store(target, k, v, f"{path}.{k}", line)
        elif kind in _LIST_KINDS:
            items = node.setdefault(leaf, [])
            for v in value:
                if v not in items:
                    items.append(v)
                    self.prov[f"{path}[{len(items) - 1}]"] = (line.no, line.text)
        else:
            self._store(node, leaf, value, path, line)

    def _store(self, node: dict[str, Any], key: str, value: Any, path: str, line: Line) -> None:
        if key in node and node[key] != value:
            old = self.prov.get(path, (0, ""))[0]
            self.warnings.append(f"line {line.no}: {path} already read from line {old}; kept {node[key]!r}, "
                                 f"ignored {value!r}")
            return
        node[key] = value
        self.prov.setdefault(path, (line.no, line.text))

    def _node(self, path: str) -> dict[str, Any]:
        node = self.data
        for part in path.split("."):
            if part:
                node = node.setdefault(part, {})
        return node

    def has(self, path: str) -> bool:
        node: Any = self.data
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    # ------------------------------------------------------------ groups (arms, locations, …)
    def start_group(self, group: str) -> None:
        """The next value put into `group` begins a new object (a heading like 'Intervention:' was seen)."""
        self.fresh.add(group)

    def group_put(self, group: str, sub: str | None, kind: str, raw: str, line: Line,
                  sets: tuple[tuple[str, str], ...] = ()) -> bool:
        spec = vocab().groups[group]
        value = normalise(kind, raw)
        if value is None:
            self._not_understood(raw, line)
            return False
        key = sub or spec["key"]
        parts = value if kind in _ITEM_KINDS and isinstance(value, list) else [value]
        for part in parts:
            values = part if isinstance(part, dict) else {key: part}
            self._object_put(group, dict(values), line, dict(sets), start=sub is None)
        return True

    def _object_put(self, group: str, values: dict[str, Any], line: Line, sets: dict[str, str], start: bool) -> None:
        spec = vocab().groups[group]
        objs = self.objects.setdefault(group, [])
        if not spec["multi"]:
            new = not objs
        else:
            new = start or group in self.fresh or not objs or any(k in objs[-1] for k in values)
        if new:
            objs.append({"_prov": {}})
            self.fresh.discard(group)
        obj = objs[-1]
        for k, v in {**sets, **values}.items():
            if k in obj and obj[k] != v:
                self.warnings.append(f"line {line.no}: {group} {k} already set; ignored {v!r}")
                continue
            obj[k] = v
            obj["_prov"].setdefault(k, (line.no, line.text))

    # ------------------------------------------------------------ the v2 dict
    def finish(self) -> dict[str, Any]:
        """Write the groups into the dict (dropping incomplete objects with a warning) and return it."""
        known = self._known_names()
        for group, objs in self.objects.items():
            spec = vocab().groups[group]
            out = []
            for obj in _split_collaborators(objs, known) if group == "collaborator" else objs:
                required = _REQUIRED.get(group)
                if required and not obj.get(required) or len(obj) <= 1:
                    self.warnings.append(f"line {_first_line(obj)}: incomplete {group} left out "
                                         f"({ {k: v for k, v in obj.items() if k != '_prov'} })")
                    continue
                out.append(obj)
            if not out:
                continue
            if spec["multi"]:
                self._write_list(spec["path"], out)
            else:
                self._write_object(spec["path"], out[0])
        return self.data

    def _write_list(self, path: str, objs: list[dict[str, Any]]) -> None:
        parent, _, leaf = path.rpartition(".")
        items = self._node(parent).setdefault(leaf, [])
        for obj in objs:
            prov = obj.pop("_prov")
            clean = {k: v for k, v in obj.items() if not k.startswith("_")}
            if clean in items:
                continue
            items.append(clean)
            for k in clean:
                self.prov[f"{path}[{len(items) - 1}].{k}"] = prov.get(k, (0, ""))

    def _write_object(self, path: str, obj: dict[str, Any]) -> None:
        prov = obj.pop("_prov")
        node = self._node(path)
        for k, v in obj.items():
            if not k.startswith("_") and k not in node:
                node[k] = v
                self.prov[f"{path}.{k}"] = prov.get(k, (0, ""))

    def _known_names(self) -> set[str]:
        names = set()
        for group in ("leadSponsor", "location", "official"):
            for obj in self.objects.get(group, []):
                for k in ("name", "facility", "affiliation"):
                    if isinstance(obj.get(k), str):
                        names.add(obj[k].lower())
        return names


def _first_line(obj: dict[str, Any]) -> int:
    return min((w[0] for w in obj.get("_prov", {}).values()), default=0)


def _split_collaborators(objs: list[dict[str, Any]], known: set[str]) -> list[dict[str, Any]]:
    out = []
    for obj in objs:
        if not obj.pop("_split", False):
            out.append(obj)
            continue
        for name in split_names(obj["name"], known):
            out.append({**obj, "name": name, "_prov": dict(obj["_prov"])})
    return out


def split_names(text: str, known: set[str]) -> list[str]:
    """Split 'A, B, Hospital X, China' on commas, keeping 'Hospital X, China', 'Acme, Inc.' and known names whole."""
    v = vocab()
    suffixes = {s.lower().rstrip(".") for s in v.raw["name_suffixes"]}
    parts = [p.strip() for p in re.split(r",(?!\d)", text) if p.strip()]
    out: list[str] = []
    i = 0
    while i < len(parts):
        for j in range(len(parts), i + 1, -1):
            if ", ".join(parts[i:j]).lower() in known:
                out.append(", ".join(parts[i:j]))
                i = j
                break
        else:
            p = parts[i]
            low = p.lower().rstrip(".")
            if out and (low in v.countries or low in suffixes or p[:1].islower()):
                out[-1] = f"{out[-1]}, {p}"
            else:
                out.append(p)
            i += 1
    return out
