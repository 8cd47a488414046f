"""The absence policy: which silences of a record are presumed absences (rules in `rules/policy.json`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from trialscout.errors import TrialscoutError
from trialscout.model.criteria import Constraint

_LEADING_NEGATION = re.compile(r"^(?:\W*\d+[.)]\s*)?(?:no|not|without|absence\s+of|must\s+not\s+have)\s+",
                               re.IGNORECASE)
"""The question says 'confirm that the patient does not have: X'; the criterion's own 'No' would say it twice."""


@cache
def _rules() -> dict[str, Any]:
    return json.loads(resources.files("trialscout.match").joinpath("rules/policy.json").read_text("utf-8"))


def names() -> tuple[str, ...]:
    """The policies there are (`default`, `strict`)."""
    return tuple(_rules()["policies"])


@dataclass(frozen=True)
class Policy:
    name: str
    presumed: frozenset[str]

    def presumes(self, key: str) -> bool:
        """Whether the record's silence about this kind of thing counts as its absence."""
        return key in self.presumed

    def question(self, key: str, what: str) -> str:
        """What to confirm about a pass presumed under `key`; `what` is the criterion's words."""
        template = _rules()["questions"].get(key, "confirm: {what}")
        return template.format(what=_LEADING_NEGATION.sub("", " ".join(what.split()), count=1))


@cache
def policy(name: str | None = None) -> Policy:
    """The named policy (None: the default). Raises TrialscoutError naming the policies there are."""
    rules = _rules()
    name = name or rules["default_policy"]
    spec = rules["policies"].get(name)
    if spec is None:
        raise TrialscoutError(f"no absence policy {name!r}; there are: {', '.join(names())}", where="--policy")
    return Policy(name, frozenset(spec["presume_absent"]))


def presumed_reason(key: str) -> str:
    """What a pass presumed under `key` adds to its reason (`presumed_reasons`)."""
    reasons = _rules()["presumed_reasons"]
    return str(reasons.get(key, reasons["default"]))


def grounds_of(key: str) -> tuple[tuple[str, ...], int]:
    """The `PatientFacts` groups a pass presumed under `key` rests on, and how many statements to keep."""
    spec = _rules()["grounds"]
    groups = tuple(spec["always"]) + tuple(spec["by_key"].get(key, spec["default"]))
    return groups, int(spec["limit"])


def life_expectancy_presumed_months() -> float:
    """The life expectancy (in months) a record silent on it presumes at least, and presumes nothing beyond."""
    return float(_rules()["life_expectancy_presumed_months"])


@cache
def _cannot_tell() -> re.Pattern[str]:
    patterns = _rules()["record_cannot_tell"]["patterns"]
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@lru_cache(maxsize=1 << 16)
def record_cannot_tell(text: str) -> bool:
    """Whether a criterion asks what a clinical record does not hold (insurance, languages spoken, ties to the
    investigators, a patient's plans): its silence then settles nothing, under any policy."""
    return bool(_cannot_tell().search(" ".join(text.split())))


def presumption_key(c: Constraint | dict[str, Any]) -> str:
    """What kind of absence a constraint's silence would be: its kind, or a narrower key (`metastasis_site`).
    `c` is a Constraint or its contract dict (what evidence carries): the keys read are its kind fields."""
    contract = isinstance(c, dict)
    kind = str(c.get("kind", "unlinked_exclusion")) if contract else c.kind
    for case in _rules()["keys"].get(kind, []):
        value = c.get(case["when"]) if contract else getattr(c, case["when"])
        if value is not None and ("in" not in case or value in case["in"]):
            return str(case["key"])
    return kind
