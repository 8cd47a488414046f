"""`trialscout serve`: the REST API on the embedded store, bound to loopback unless told otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from trialscout.errors import TrialscoutError

if TYPE_CHECKING:
    from trialscout.api.settings import ApiSettings

err = Console(stderr=True, highlight=False, soft_wrap=True)


def uvicorn_options(settings: ApiSettings) -> dict[str, object]:
    """How uvicorn runs us: access log of method, path and status only (it never logs bodies, and patient data
    only travels in bodies), no Server header, bounded connections and keep-alive."""
    return {"host": settings.host, "port": settings.port, "access_log": True, "log_level": "info",
            "server_header": False, "proxy_headers": False, "limit_concurrency": 64, "timeout_keep_alive": 5,
            "h11_max_incomplete_event_size": 64 * 1024}


def serve_command(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs --api-key.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    db: Annotated[Path | None, typer.Option("--db", help="SQLite store (default: $TRIALSCOUT_DB, else the per-user "
                                                         "data directory).")] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", envvar="TRIALSCOUT_API_KEY", show_envvar=True,
                                                help="Key the patient endpoints require in X-API-Key.")] = None,
) -> None:
    """Serve the REST API (OpenAPI at /openapi.json) on the store, read-only."""
    import uvicorn

    from trialscout.api import create_app
    from trialscout.api.settings import ApiSettings

    settings = ApiSettings(db=db, host=host, port=port, api_key=api_key or None)
    try:
        app = create_app(settings)
    except TrialscoutError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    shown = f"[{host}]" if ":" in host else host
    err.print(f"trialscout on http://{shown}:{port}/  (web pages; REST API: /api/v2/studies, OpenAPI: "
              "/openapi.json; Ctrl+C stops)", markup=False)
    uvicorn.run(app, **uvicorn_options(settings))  # type: ignore[arg-type]
