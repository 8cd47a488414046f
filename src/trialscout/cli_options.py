"""Command-line options that several commands share (the store, and the search filters), declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DbOption = Annotated[Path | None, typer.Option("--db", help="SQLite store (default: $TRIALSCOUT_DB, "
                                                            "else the per-user data directory).")]
CondOption = Annotated[str | None, typer.Option(help="Words in the conditions and keywords.")]
StatusOption = Annotated[list[str] | None, typer.Option(help="Overall status, e.g. RECRUITING (repeatable).")]
PhaseOption = Annotated[list[str] | None, typer.Option(help="Phase, e.g. PHASE2 (repeatable).")]
TypeOption = Annotated[list[str] | None, typer.Option("--type", help="INTERVENTIONAL, OBSERVATIONAL, "
                                                                     "EXPANDED_ACCESS.")]
SexOption = Annotated[str | None, typer.Option(help="Trials open to this sex: FEMALE or MALE.")]
AgeOption = Annotated[float | None, typer.Option(help="Trials whose age range includes this age (years).")]
CountryOption = Annotated[list[str] | None, typer.Option(help="Trials with a site in this country.")]
