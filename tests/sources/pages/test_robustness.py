"""The same seed pages re-dressed (sections in another order, site chrome, CRLF, HTML) give the same study."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.sources.pages.conftest import SEED_NAMES, as_html, as_pre, seed_text
from trialscout.sources.pages import explain

S0, S1, S2, S3, S4 = SEED_NAMES
CHROME = ["Log in to your account", "Share", "Did you forget your password?", "Print",
          "To hear about similar clinical trials, please enter your email below", "Back to search", "Subscribe"]


def _split_at(lines: list[str], starts: Callable[[int, str], bool]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for i, line in enumerate(lines):
        if starts(i, line) and parts[-1]:
            parts.append([])
        parts[-1].append(line)
    return parts


def _with_chrome(parts: list[list[str]]) -> list[str]:
    out: list[str] = []
    for k, part in enumerate(parts):
        out += ["", CHROME[k % len(CHROME)], ""] + part
    return out + ["", "Sign up for email alerts", ""]


def reshuffle_dump(text: str) -> str:
    lines = text.split("\n")
    heads = {"Study Overview", "Study Oversight", "Secondary ID Infos"}
    parts = _split_at(lines, lambda i, ln: ln in heads)
    head, sections = parts[0], parts[1:]
    head = head[:5] + list(reversed(head[5:11])) + head[11:]   # the label lines of the header, reversed
    return "\n".join(_with_chrome([head] + list(reversed(sections))))


def reshuffle_pipes(text: str) -> str:
    lines = text.split("\n")
    rows, summary = lines[3:9], lines[9]
    locations, sponsors, outcomes = lines[18:26], lines[26:30], lines[30:40]
    related = lines[40:]
    parts = [lines[:3], list(reversed(rows)), related, sponsors, lines[10:18], outcomes, [summary], locations]
    return "\n".join(_with_chrome(parts))


def reshuffle_headed(text: str) -> str:
    lines = text.split("\n")
    helper_next = {i for i in range(len(lines) - 2) if lines[i] and not lines[i + 1] and lines[i + 2].startswith(
        ("Get ", "Review ", "Dive ", "See ", "Understand ", "Learn ", "Check ", "Meet ", "Identify ", "Explore ",
         "Additional clinical"))}
    parts = _split_at(lines, lambda i, ln: i in helper_next)
    return "\n".join(_with_chrome([parts[0]] + list(reversed(parts[1:]))))


def reshuffle_listing(text: str) -> str:
    blocks = [b for b in text.split("\n\n") if b.strip()]
    return "\n".join(_with_chrome([b.split("\n") for b in reversed(blocks)]))


RESHUFFLE = {S0: reshuffle_dump, S1: reshuffle_pipes, S2: reshuffle_headed, S3: reshuffle_listing,
             S4: reshuffle_dump}
VARIANTS: dict[str, Callable[[str, str], str]] = {
    "crlf": lambda name, t: t.replace("\n", "\r\n"),
    "html": lambda name, t: as_html(t),
    "pre": lambda name, t: as_pre(t),
    "reshuffled": lambda name, t: RESHUFFLE[name](t),
    "reshuffled+crlf": lambda name, t: RESHUFFLE[name](t).replace("\n", "\r\n"),
    "reshuffled+html": lambda name, t: as_html(RESHUFFLE[name](t)),
    "bom+trailing-spaces": lambda name, t: "\ufeff" + "\n".join(ln + "  " for ln in t.split("\n")),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", SEED_NAMES)
def test_redressed_page_gives_the_same_study(name: str, variant: str) -> None:
    text = seed_text(name)
    base = explain(name, text.encode("utf-8"))
    other = explain(name, VARIANTS[variant](name, text).encode("utf-8"))
    assert other.record == base.record
    assert (other.error is None) == (base.error is None)
    if variant != "reshuffled":
        assert other.layout == base.layout


def test_reshuffle_really_moves_sections() -> None:
    for name in SEED_NAMES:
        text = seed_text(name)
        shuffled = RESHUFFLE[name](text)
        kept = [ln for ln in shuffled.split("\n") if ln and ln not in CHROME and ln != "Sign up for email alerts"]
        original = [ln for ln in text.split("\n") if ln and ln not in CHROME]
        assert sorted(kept) == sorted(original)
        assert kept != original


def test_html_table_version_of_the_pipes_page() -> None:
    """The pipes page as a real HTML table page (th/td cells), not text inside paragraphs."""
    lines = seed_text(S1).split("\n")

    def row(line: str, cell: str = "td") -> str:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        return "<tr>" + "".join(f"<{cell}>{c}</{cell}>" for c in cells) + "</tr>"

    body = [f"<h1>{lines[0]}</h1>", f"<p>{lines[1]}</p>", f"<p>{lines[2]}</p>", "<table>"]
    body += [row(ln) for ln in lines[3:9]] + ["</table>", f"<p>{lines[9]}</p>", "<table>"]
    body += [row(ln) for ln in lines[10:18]] + ["</table>"]
    for start, end in ((18, 26), (26, 29), (30, 40)):
        body += ["<table><thead>", row(lines[start], "th"), "</thead><tbody>"]
        body += [row(ln) for ln in lines[start + 2:end]] + ["</tbody></table>"]
    body += ["<table><tr><th>Status</th><th>Clinical Trial</th><th>Phase</th></tr>",
             "<tr><td>Recruiting</td><td>NCT03838718 - REtroperitoneal SArcoma Registry</td><td></td></tr></table>"]
    page = "<html><body>" + "\n".join(body) + "</body></html>"
    base = explain(S1, seed_text(S1).encode())
    other = explain(S1, page.encode())
    assert other.record == base.record
