"""What every command-line entry point shares: the consoles, and errors turned into one line and an exit code."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console

from trialscout.errors import TrialscoutError


def policy_names() -> tuple[str, ...]:
    """The absence policies, for help texts: read from the rules file itself (as trialscout.match.policy.names does),
    so that `--help` does not import the matcher."""
    import json
    from importlib import resources

    rules = resources.files("trialscout").joinpath("match/rules/policy.json").read_text("utf-8")
    return tuple(json.loads(rules)["policies"])

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_INTERRUPTED = "interrupted: committed work is kept; run the same command again to complete it"


def reports_errors(fn: F | None = None, *, interrupted: str = DEFAULT_INTERRUPTED) -> Any:
    """Our errors end the command with one line on stderr and exit 1; Ctrl-C says what was kept and exits 130.
    Use as `@reports_errors` or `@reports_errors(interrupted="...")`."""

    def decorate(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except TrialscoutError as exc:
                err.print(f"error: {exc}", markup=False)
                raise typer.Exit(1) from None
            except KeyboardInterrupt:
                err.print(interrupted, markup=False)
                raise typer.Exit(130) from None

        return wrapper  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate
