"""Helpers for the page-reader tests: the five seed pages and ways to re-dress them."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
REPO = HERE.parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "pages"
SHARED_SEEDS = REPO.parent / "shared" / "seeds"
SEED_NAMES = ["000_f1e35e3a65172f8b.txt", "001_5df66866aaec1231.txt", "002_e86db2eb6b133d5a.txt",
              "003_72ca5ff14c6eaf47.txt", "004_cf0a217b1bebf5ab.txt"]


def seed_path(name: str) -> Path:
    """The seed from ../shared/seeds when present, else the copy in tests/fixtures/pages/seeds."""
    shared = SHARED_SEEDS / name
    return shared if shared.exists() else FIXTURES / "seeds" / name


def seed_text(name: str) -> str:
    return seed_path(name).read_text("utf-8")


def seed_lines(name: str) -> list[str]:
    return seed_text(name).split("\n")


def block(name: str, first: int, last: int, drop_prefix: str = "", drop_suffix: str = "") -> str:
    """Lines first..last (1-based, inclusive) of a seed page, as the page gives them."""
    lines = seed_lines(name)[first - 1:last]
    if drop_prefix:
        assert lines[0].startswith(drop_prefix)
        lines[0] = lines[0][len(drop_prefix):]
    if drop_suffix:
        assert lines[-1].endswith(drop_suffix)
        lines[-1] = lines[-1][: -len(drop_suffix)]
    return "\n".join(lines)


def as_html(text: str) -> str:
    """Wrap a text page the way a saved web page would hold it: paragraphs, <br>, site chrome around."""
    paras = text.replace("\r\n", "\n").split("\n\n")
    body = "\n".join("<p>" + "<br>\n".join(html.escape(ln) for ln in p.split("\n")) + "</p>" for p in paras)
    return ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Clinical trial</title>"
            "<script>var tracking = 'Status: RECRUITING';</script><style>p{margin:0}</style></head><body>\n"
            "<nav><a href='/'>Home</a> <a href='/login'>Log in</a> NCT99999999</nav>\n"
            f"<main>\n{body}\n</main>\n<footer><p>Privacy policy</p><p>© 2025 Some Trials Site</p></footer>"
            "</body></html>\n")


def as_pre(text: str) -> str:
    return f"<html><body><div>Sign in</div><pre>{html.escape(text)}</pre></body></html>"


@pytest.fixture(params=SEED_NAMES)
def seed_name(request: pytest.FixtureRequest) -> str:
    return request.param
