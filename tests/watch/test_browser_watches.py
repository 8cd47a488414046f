"""The watches page in a real browser (headless Debian Chromium, as tests/web/test_browser.py drives it) against a
real `trialscout serve` over a store whose hostile record a watch found: rendered as text, no script runs, no CSP
violation."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_server import free_port, stop_server, wait_until_up
from tests.conftest import XSS_ID, XSS_TITLE
from tests.watch.conftest import change, set_status
from tests.web.test_browser import REPORT_CSP, TIMEOUT_MS, Watch, browser, chromium  # noqa: F401 (fixtures)
from trialscout.store import SqliteStore
from trialscout.watch import WatchSpec, add_watch, run_watches


@pytest.fixture
def served_watches(db: Path, tmp_path: Path) -> Iterator[str]:
    with SqliteStore(db) as store:
        change(store, XSS_ID, set_status("RECRUITING"))
        add_watch(store, name="hostile titles", spec=WatchSpec(query="alert", statuses=["RECRUITING"]))
        change(store, XSS_ID, set_status("WITHDRAWN"))
        assert run_watches(store).findings == 1
    port = free_port()
    with (tmp_path / "serve.log").open("w") as out:
        proc = subprocess.Popen([sys.executable, "-c", "from trialscout.cli import app; app()", "serve", "--port",
                                 str(port), "--db", str(db)], env={**os.environ, "TRIALSCOUT_API_KEY": ""},
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc, seconds=60)
        yield base
    finally:
        stop_server(proc)


def test_the_watches_page_shows_findings_as_text(browser: Any, served_watches: str) -> None:  # noqa: F811
    context = browser.new_context(base_url=served_watches)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(REPORT_CSP)
    page = context.new_page()
    seen = Watch()
    seen.attach(page)
    try:
        response = page.goto("/watches")
        assert response is not None and response.ok
        finding = page.locator("li.finding-gone")
        assert finding.count() == 1
        assert finding.locator(".title").inner_text() == XSS_TITLE  # the markup shown as text
        assert "RECRUITING → WITHDRAWN" in finding.locator(".reason").inner_text()
        assert page.locator("script:not([src])").count() == 0 and page.locator("img").count() == 0
        page.locator(f"a[href='/studies/{XSS_ID}']").click()
        page.wait_for_url(f"**/studies/{XSS_ID}")
        seen.assert_clean()
    finally:
        context.close()
