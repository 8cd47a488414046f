"""Read the vocabulary data files shipped in `trialscout/vocab/` (parsed once, shared by every reader)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> Any:
    """The parsed JSON of one vocabulary file (cached; callers must not mutate it)."""
    return json.loads(resources.files("trialscout.vocab").joinpath(name).read_text("utf-8"))
