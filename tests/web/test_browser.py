"""The web pages in a real browser: headless Debian Chromium driven by Playwright, against a real `trialscout serve`.

Chromium comes from the system (`make browser` installs it); Playwright never downloads one here. Without
/usr/bin/chromium these tests fail, so a missing browser is not mistaken for a pass; set TRIALSCOUT_NO_BROWSER=1
to skip them on purpose.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_server import free_port, stop_server, wait_until_up
from tests.conftest import HOSTILE_TEXTS, REPO, XSS_ID, XSS_TITLE
from trialscout.web.views import PAGE_SIZE

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DEMO_NOTE = (REPO / "src" / "trialscout" / "data" / "demo-note.txt").read_text("utf-8")
TIMEOUT_MS = 30_000  # a busy two-core machine: matching can take a few seconds
CSP_WORDS = re.compile(r"content[- ]security[- ]policy", re.I)
# Reports every CSP violation to the console as well, in case the browser's own message changes its wording.
# Playwright injects init scripts itself, so this one is not subject to the page's CSP.
REPORT_CSP = """window.addEventListener("securitypolicyviolation", (e) =>
  console.error(`Content-Security-Policy violation: ${e.violatedDirective} blocked ${e.blockedURI}`));"""
NO_PRINT_DIALOG = "window.print = () => { window.__printed = (window.__printed || 0) + 1; };"


@pytest.fixture(scope="session", autouse=True)  # first of all, so a missing browser is told before any build
def chromium() -> Path:
    if os.environ.get("TRIALSCOUT_NO_BROWSER") == "1":
        pytest.skip("TRIALSCOUT_NO_BROWSER=1: real-browser tests turned off")
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser` to install it (or set TRIALSCOUT_NO_BROWSER=1 "
                    "to skip the real-browser tests)", pytrace=False)
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing from the venv: run `make browser`", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def base_url(chromium: Path, served_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`trialscout serve` for real, on a free loopback port, with no API key (loopback needs none)."""
    port = free_port()
    log = tmp_path_factory.mktemp("browser-serve") / "serve.log"
    env = {**os.environ, "TRIALSCOUT_API_KEY": ""}
    with log.open("w") as out:  # a file, not a pipe: a full pipe would stall the server's access log
        proc = subprocess.Popen([sys.executable, "-c", "from trialscout.cli import app; app()", "serve", "--port",
                                 str(port), "--db", str(served_db)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_up(base, proc, seconds=60)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log.read_text()}") from None
        yield base
    finally:
        stop_server(proc)


@dataclass
class Watch:
    """Everything a page did that it should not: dialogs, console messages, failed loads, script errors."""

    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        def on_response(response: Any) -> None:
            if response.status >= 400:
                self.failed.append(f"{response.status} {response.url}")

        page.on("dialog", on_dialog)
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.failure} {r.url}"))
        page.on("response", on_response)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def csp_violations(self) -> list[str]:
        return list(dict.fromkeys(m[:200] for m in self.console if CSP_WORDS.search(m)))

    def assert_clean(self) -> None:
        assert not self.dialogs, f"a dialog opened: {self.dialogs}"
        assert not self.csp_violations(), f"Content-Security-Policy violations: {self.csp_violations()}"
        assert not self.failed, f"failed loads: {self.failed}"
        assert not self.errors, f"script errors: {self.errors}"


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(REPORT_CSP)
    p = context.new_page()
    p.watch = Watch()  # type: ignore[attr-defined]
    p.watch.attach(p)  # type: ignore[attr-defined]
    try:
        yield p
    finally:
        context.close()


def submit(page: Any, action: Any) -> Any:
    """Run `action` (a click or key press that sends a form) and return the response of the page it leads to."""
    with page.expect_navigation() as nav:
        action()
    response = nav.value
    assert response is not None and response.ok, f"{response and response.status} for {page.url}"
    return response


def shown_total(page: Any) -> int:
    return int(page.locator("p.total strong").inner_text())


def match_demo_note(page: Any, trials: str = "") -> Any:
    page.goto("/match")
    page.fill("textarea#note", DEMO_NOTE)
    if trials:
        page.fill("input[name=trials]", trials)
    response = submit(page, lambda: page.get_by_role("button", name="Find trials").click())
    page.locator("li.ranked-trial").first.wait_for()
    return response


def words(text: str) -> str:
    return " ".join(text.split())


def display(page: Any, selector: str) -> str:
    return str(page.eval_on_selector(selector, "el => getComputedStyle(el).display"))


# (1) search ----------------------------------------------------------------------------------------------------


def test_search_box_then_status_facet_narrows_every_hit(page: Any) -> None:
    page.goto("/search")
    page.locator("#q").press_sequentially("breast cancer")
    submit(page, lambda: page.locator("#q").press("Enter"))
    assert "q=breast+cancer" in page.url
    hits = page.locator("li.hit[data-nct]")
    assert hits.count() > 0
    total = shown_total(page)
    assert total >= hits.count()

    status_values = page.locator("fieldset.facet[data-facet=status] > label.facet-value")
    counts = {}
    for i in range(status_values.count()):
        label = status_values.nth(i)
        counts[label.locator("input").get_attribute("value")] = int(label.locator(".count").inner_text())
    candidates = sorted((n, v) for v, n in counts.items() if 2 <= n < total)
    assert candidates, f"no status facet narrows {total} results: {counts}"
    count, status = candidates[0]

    page.check(f"fieldset.facet[data-facet=status] input[value={status}]")
    submit(page, lambda: page.get_by_role("button", name="Apply filters").click())
    assert f"status={status}" in page.url
    assert page.locator(f"fieldset.facet[data-facet=status] input[value={status}]").is_checked()
    assert page.locator("#q").input_value() == "breast cancer"
    assert shown_total(page) == count < total
    hits = page.locator("li.hit[data-nct]")
    assert hits.count() == min(count, PAGE_SIZE)
    for i in range(hits.count()):
        badge = hits.nth(i).locator("p.meta .badge[class*=status-]")
        assert badge.is_visible()
        assert f"status-{status.lower()}" in (badge.get_attribute("class") or "").split()
    page.watch.assert_clean()


def test_search_near_a_city_shows_the_nearest_site(page: Any) -> None:
    page.goto("/search")
    page.fill("input[name=near]", "Boston")
    page.select_option("select[name=radius]", "100")
    submit(page, lambda: page.get_by_role("button", name="Apply filters").click())
    hits = page.locator("li.hit[data-nct]")
    assert hits.count() > 0
    everything = page.request.get("/search?format=json").json()["total"]
    assert shown_total(page) < everything
    for i in range(hits.count()):
        line = hits.nth(i).locator("p.nearest")
        assert line.is_visible()
        found = re.fullmatch(r"Nearest site: (.+) — ([\d.]+) km", line.inner_text().strip())
        assert found, line.inner_text()
        assert float(found.group(2)) <= 100
    page.watch.assert_clean()


# (2) trial page ------------------------------------------------------------------------------------------------


def test_open_a_trial_from_results_shows_understood_criteria_and_related(page: Any) -> None:
    page.goto("/search?q=breast+cancer")
    first = page.locator("li.hit[data-nct]").first
    nct = first.get_attribute("data-nct")
    submit(page, lambda: first.locator("h2 a").click())
    assert page.url.endswith(f"/studies/{nct}")
    assert nct in page.locator("article.study .meta .nct").inner_text()

    criteria = page.locator("ol.criteria li.criterion")
    assert criteria.count() > 0
    marks = page.locator("ol.criteria li.criterion mark[class*=kind-]")
    assert marks.count() > 0
    assert marks.first.is_visible()
    assert marks.first.get_attribute("title"), "a highlighted word explains itself on hover"
    background = page.eval_on_selector("ol.criteria mark[class*=kind-]", "el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 0)"), "no highlight from style.css"
    assert page.locator("ol.criteria .constraint").count() > 0

    related = page.locator("#related li a[href^='/studies/']")
    assert related.count() > 0
    other = related.first.get_attribute("href")
    assert other != f"/studies/{nct}"
    submit(page, lambda: related.first.click())
    assert page.url.endswith(other)
    page.watch.assert_clean()


# (3) match -----------------------------------------------------------------------------------------------------


def test_match_the_demo_note_then_every_criterion_of_a_failing_trial(page: Any) -> None:
    match_demo_note(page)
    ranked = page.locator("li.ranked-trial[data-nct]")
    assert ranked.count() > 1
    patient = page.locator("details.patient")
    assert "breast" in patient.inner_text().lower()
    failing = page.locator("li.ranked-trial[data-nct]:has(ul.fails)").first
    nct = failing.get_attribute("data-nct")
    shown_fail = failing.locator("ul.fails li").first.inner_text()

    submit(page, lambda: failing.locator(".open-trial button").click())
    assert page.url.endswith(f"/match/{nct}")
    assert nct in page.locator("article.match-trial .meta .nct").inner_text()
    counts = re.findall(r"(\d+) (met|not met|unknown|not applicable|not computable|alternatives)",
                        page.locator("p.counts").inner_text())  # "(n presumed)" is a share of the met ones
    number = {word: int(n) for n, word in counts}
    results = page.locator("ol.results li.result")
    assert results.count() == sum(number.values()) > 0
    for i in range(results.count()):
        li = results.nth(i)
        kind = next(c for c in (li.get_attribute("class") or "").split() if c.startswith("result-"))
        assert kind in ("result-pass", "result-fail", "result-unknown", "result-not_applicable")
        verdict = li.locator("p > .verdict").first
        assert verdict.is_visible() and f"verdict-{kind.removeprefix('result-')}" in verdict.get_attribute("class")
    assert page.locator("li.result-fail:not(.alternative)").count() == number["not met"] > 0

    assert page.locator("li.result-fail mark.verdict-fail").first.is_visible()
    fail = page.locator("li.result-fail").first
    evidence = fail.locator("ul.evidence li.evidence-fail").first
    assert evidence.is_visible()
    assert len(evidence.inner_text().strip()) > 5
    assert "Patient:" in evidence.inner_text()
    assert words(fail.locator(".criterion-text").inner_text())[:40] in words(shown_fail)

    unknowns = page.locator("li.result-unknown:not(.not-computable)")
    assert unknowns.count() > 0
    for i in range(unknowns.count()):
        question = unknowns.nth(i).locator("p.question")
        assert question.is_visible() and question.inner_text().startswith("Ask: ")
    page.watch.assert_clean()


FACTS_NOTE = ("A 62-year-old woman with metastatic breast cancer to the liver, ER positive, HER2 negative. ECOG 1. "
              "She denies smoking. No brain metastases. Platelets 180,000/mm3.")


def test_the_match_page_shows_stated_absent_and_presumed_facts_apart(page: Any) -> None:
    page.goto("/match")
    page.fill("textarea#note", FACTS_NOTE)
    assert page.locator("input[name=policy][value=default]").is_checked()
    submit(page, lambda: page.get_by_role("button", name="Find trials").click())
    box = page.locator("details.patient")
    assert box.locator("section.facts-present").is_visible() and box.locator("section.facts-absent").is_visible()
    assert box.locator("section.facts-presumed").count() == 0  # presumptions belong to one trial's page
    trial = page.locator("li.ranked-trial[data-nct]:has(.to-confirm)").first
    submit(page, lambda: trial.locator(".open-trial button").click())

    box = page.locator("details.patient")
    sections = box.locator("section.fact-group")
    kinds = [(sections.nth(i).get_attribute("class") or "").split()[-1] for i in range(sections.count())]
    assert kinds == ["facts-present", "facts-absent", "facts-presumed"]
    present = words(box.locator("section.facts-present").inner_text())
    absent = words(box.locator("section.facts-absent").inner_text())
    presumed = box.locator("section.facts-presumed li.presumed-item")
    assert "62 years" in present and "“62-year-old”" in present and "ECOG 1" in present
    assert "brain metastases" in absent and "smoking" in absent
    assert "brain metastases" not in present and "smoking" not in present
    for name in ("present", "absent", "presumed"):
        assert box.locator(f"section.facts-{name} h3").is_visible()
    shown_presumed = page.locator("ol.results li.result.presumed:not(.alternative)")
    assert presumed.count() == shown_presumed.count() > 0
    assert page.locator("li.result.presumed .verdict-presumed").first.inner_text() == "✓ presumed — to confirm"
    summary = page.locator("article.match-trial .meta .summary").inner_text()
    assert re.search(rf"{presumed.count()} points? to confirm", summary)
    page.watch.assert_clean()


def test_strict_policy_leaves_nothing_to_confirm(page: Any) -> None:
    page.goto("/match")
    page.fill("textarea#note", FACTS_NOTE)
    page.check("input[name=policy][value=strict]")
    submit(page, lambda: page.get_by_role("button", name="Find trials").click())
    assert page.locator("li.ranked-trial").count() > 0
    assert page.locator(".to-confirm").count() == 0 and page.locator("ul.confirm").count() == 0
    submit(page, lambda: page.locator("li.ranked-trial .open-trial button").first.click())
    assert page.locator("li.result.presumed").count() == 0
    assert page.locator("section.facts-presumed li.presumed-item").count() == 0
    page.watch.assert_clean()


# (4) hostile trial text ----------------------------------------------------------------------------------------


def assert_inert(page: Any) -> None:
    """Nothing the payloads would create exists, and no script but the site's own is on the page."""
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("main svg, svg[onload]").count() == 0
    assert page.locator("b[onmouseover], [onerror], [onload], [onmouseover]").count() == 0
    scripts = page.eval_on_selector_all("script", "els => els.map(e => e.getAttribute('src'))")
    assert scripts == ["/static/app.js"], scripts


def test_hostile_text_is_shown_never_run(page: Any) -> None:
    page.goto(f"/studies/{XSS_ID}")
    title = page.locator("article.study h1")
    assert title.inner_text() == XSS_TITLE
    assert "<script>alert(1)</script>" in page.title()
    assert HOSTILE_TEXTS["condition"] in page.locator("article.study p.conditions").inner_text()
    assert page.get_by_text(HOSTILE_TEXTS["summary"]).first.is_visible()
    criteria = " ".join(page.locator("ol.criteria").all_inner_texts())
    assert "<script>alert(5)</script>" in criteria and "</textarea><svg onload=alert(6)>" in criteria
    facility = page.get_by_text(HOSTILE_TEXTS["facility"]).first
    facility.hover()
    assert_inert(page)

    page.goto("/search?q=alert")
    hit = page.locator(f"li.hit[data-nct={XSS_ID}]")
    assert hit.locator("h2 a").inner_text() == XSS_TITLE
    assert HOSTILE_TEXTS["condition"] in hit.locator("p.conditions").inner_text()
    assert_inert(page)

    match_demo_note(page, trials=XSS_ID)
    ranked = page.locator("li.ranked-trial[data-nct]")
    assert ranked.count() == 1 and ranked.get_attribute("data-nct") == XSS_ID
    assert ranked.locator("h2 a").inner_text() == XSS_TITLE
    assert_inert(page)
    submit(page, lambda: ranked.locator(".open-trial button").click())
    assert page.locator("article.match-trial h1").inner_text() == XSS_TITLE
    texts = page.locator("ol.results").inner_text()
    assert "<script>alert(5)</script>" in texts and "<svg onload=alert(6)>" in texts
    presumed = page.locator("section.facts-presumed").inner_text()  # the silent exclusion, to confirm
    assert "History of heart failure <img src=x onerror=alert(8)>" in presumed
    assert_inert(page)
    assert page.watch.dialogs == []
    page.watch.assert_clean()


# (5) Content-Security-Policy -----------------------------------------------------------------------------------


def test_every_page_keeps_to_its_csp(page: Any) -> None:
    visited = []

    def check(response: Any, what: str) -> None:
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, f"{what}: CSP {policy!r}"
        page.wait_for_load_state("load")
        assert page.evaluate("() => getComputedStyle(document.body).marginTop") == "0px", f"{what}: no stylesheet"
        visited.append(what)

    check(page.goto("/"), "home")
    check(page.goto("/search?q=lung&status=RECRUITING"), "search")
    nct = page.locator("li.hit[data-nct]").first.get_attribute("data-nct")
    check(page.goto(f"/studies/{nct}"), "trial")
    check(page.goto("/match"), "match form")
    check(match_demo_note(page), "ranked list")
    check(submit(page, lambda: page.locator("li.ranked-trial .open-trial button").first.click()), "trial match")
    # the stylesheet and the one script did load, under the policy
    assert display(page, "header.top") == "flex"
    assert page.evaluate("() => [...document.styleSheets].some(s => (s.href || '').endsWith('/static/style.css'))")
    assert visited == ["home", "search", "trial", "match form", "ranked list", "trial match"]
    page.watch.assert_clean()


# (6) printing --------------------------------------------------------------------------------------------------


def test_print_button_and_print_layout_on_the_trial_match_page(page: Any) -> None:
    page.add_init_script(NO_PRINT_DIALOG)
    match_demo_note(page)
    submit(page, lambda: page.locator("li.ranked-trial .open-trial button").first.click())
    button = page.locator("article.match-trial [data-print]")
    assert button.is_visible()
    button.click()
    assert page.evaluate("() => window.__printed") == 1, "the print button did not call window.print()"

    chrome = ["header.top", "footer", "article.match-trial .actions"]
    assert all(display(page, s) != "none" for s in chrome)
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = false; })")
    page.emulate_media(media="print")
    assert {s: display(page, s) for s in chrome} == dict.fromkeys(chrome, "none")
    assert display(page, "ol.results") != "none" and page.locator("ol.results li.result").first.is_visible()
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    assert page.evaluate("() => [...document.querySelectorAll('details')].every(d => d.open)")
    page.emulate_media(media="screen")
    assert display(page, "header.top") != "none"
    page.watch.assert_clean()
