"""Turn a saved page (plain text or HTML) into numbered lines that keep headings, table rows and lists."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from trialscout.errors import RecordError

TEXT, BLANK, HEADING, ROW, SEP, ITEM = "text", "blank", "heading", "row", "sep", "item"

_SEP_RE = re.compile(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*$")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")


@dataclass(frozen=True)
class Line:
    """One line of a page: its 1-based line number in the source, its text and what it is."""

    no: int
    text: str
    kind: str = TEXT
    cells: tuple[str, ...] = field(default=())
    raw: str = ""

    @property
    def verbatim(self) -> str:
        return self.raw or self.text


@dataclass
class PageText:
    """The lines of one page plus what the conversion noticed (HTML truncated, …)."""

    lines: list[Line]
    is_html: bool
    warnings: list[str] = field(default_factory=list)


def decode_page(where: str, data: bytes) -> tuple[str, bool]:
    """Bytes → text; (text, is_html). Raises RecordError for binary or undecodable bytes."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise RecordError(f"starts as UTF-16 text but is not (byte {exc.start}: {exc.reason})",
                              where=where) from None
    else:
        if b"\x00" in data[:4096]:
            raise RecordError("binary data, not a text or HTML page", where=where)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            text = _decode_declared(data)
            if text is None:
                raise RecordError(f"not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r}) "
                                  "and no charset declared", where=where) from exc
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t\f")
    if controls > max(8, len(text[:4096]) // 50):
        raise RecordError("binary data, not a text or HTML page", where=where)
    return text, looks_html(text[:2048])


def _decode_declared(data: bytes) -> str | None:
    m = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", data[:4096], re.I)
    if not m:
        return None
    try:
        return data.decode(m.group(1).decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        return None


def looks_html(head: str) -> bool:
    h = head.lstrip().lower()
    return h.startswith(("<!doctype html", "<html", "<head", "<body", "<meta")) or bool(
        re.search(r"<(html|body|div|table|p|h[1-6]|dl|ul)[\s>]", h[:2048]))


def page_lines(text: str, is_html: bool) -> PageText:
    if is_html:
        return html_lines(text)
    return PageText(text_lines(text), is_html=False)


def clean(text: str) -> str:
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


def classify(no: int, raw: str) -> Line:
    raw = _INVISIBLE.sub("", raw).rstrip()
    text = clean(raw)
    if not text:
        return Line(no, "", BLANK)
    if "|" in text and _SEP_RE.fullmatch(text):
        return Line(no, text, SEP)
    if m := _MD_HEADING.match(text):
        return Line(no, m.group(1), HEADING, (), m.group(1))
    if "|" in text and (text.endswith("|") or text.startswith("|")):
        inner = text.strip("|")
        return Line(no, text, ROW, tuple(c.strip() for c in inner.split("|")), raw)
    return Line(no, text, TEXT, (), raw)


def text_lines(text: str) -> list[Line]:
    return [classify(i, raw) for i, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1)]


# ---------------------------------------------------------------- HTML

_SKIP = {"script", "style", "noscript", "template", "svg", "button", "select", "option", "iframe", "nav", "form",
         "input", "textarea", "head"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "dt", "th-label", "caption", "legend", "summary"}
_BLOCKS = {"p", "div", "section", "article", "header", "footer", "main", "aside", "ul", "ol", "dl", "dd", "li",
           "blockquote", "figure", "figcaption", "address", "fieldset", "details", "hr", "body", "html", "center"}
_PARAS = {"p", "blockquote", "pre", "ul", "ol", "dl", "table", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6"}


class _Collector:
    """Walks an lxml tree in document order, gathering inline text into lines at block edges."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.buf: list[str] = []
        self.buf_no = 0
        self.term = False

    def text(self, s: str | None, no: int) -> None:
        if s:
            if not self.buf or not "".join(self.buf).strip():
                self.buf_no = no
            self.buf.append(s.replace("\n", " "))

    def flush(self, kind: str = TEXT) -> None:
        joined = "".join(self.buf)
        self.buf = []
        t = clean(joined)
        if t:
            if kind == TEXT:
                line = classify(self.buf_no, t)
            else:
                line = Line(self.buf_no, t, kind, ("dt",) if self.term else (), t)
            self.lines.append(line)

    def blank(self, no: int) -> None:
        if self.lines and self.lines[-1].kind != BLANK:
            self.lines.append(Line(no, "", BLANK))

    def walk(self, el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        no = el.sourceline or (self.lines[-1].no if self.lines else 1)
        if tag in _SKIP or not tag:
            self.text(el.tail, no)
            return
        if tag == "br":
            self.flush()
            self.text(el.tail, no)
            return
        if tag in ("table", "pre") or tag in _HEADINGS or tag in _BLOCKS:
            self.block(el, tag, no)
        else:
            self.text(el.text, no)
            for child in el:
                self.walk(child)
        self.text(el.tail, no)

    def block(self, el: etree._Element, tag: str, no: int) -> None:
        self.flush()
        if tag in _PARAS:
            self.blank(no)
        if tag == "table":
            self.table(el)
        elif tag == "pre":
            for i, raw in enumerate((el.text_content() or "").split("\n")):
                self.lines.append(classify(no + i, raw))
        else:
            self.text(el.text, no)
            for child in el:
                self.walk(child)
            kind = HEADING if tag in _HEADINGS else ITEM if tag == "li" else TEXT
            self.term = tag == "dt"
            self.flush(kind)
            self.term = False
        if tag in _PARAS or tag in _HEADINGS:
            self.blank(no)

    def table(self, table: etree._Element) -> None:
        caption = table.find("caption")
        if caption is not None:
            self.lines.append(Line(caption.sourceline or 1, clean(caption.text_content()), HEADING))
        for tr in table.iter("tr"):
            cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
            if not cells:
                continue
            texts = tuple(_cell_text(c) for c in cells)
            no = tr.sourceline or 1
            line_text = " | ".join(t.replace("\n", " ") for t in texts) + " |"
            self.lines.append(Line(no, line_text, ROW, texts, line_text))
            is_header = all(c.tag == "th" for c in cells) and len(cells) > 1
            if is_header or tr.getparent() is not None and tr.getparent().tag == "thead":
                self.lines.append(Line(no, "---|", SEP))


def _cell_text(cell: etree._Element) -> str:
    """A table cell's text; <br>, <p> and <li> inside it become line breaks."""
    for br in cell.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for el in cell.iter("p", "li", "div"):
        el.tail = "\n" + (el.tail or "")
    parts = [clean(p) for p in cell.text_content().split("\n")]
    return "\n".join(p for p in parts if p)


def html_lines(text: str) -> PageText:
    warnings: list[str] = []
    if not re.search(r"</(html|body)\s*>", text[-4096:], re.I):
        warnings.append("HTML ends before </body> or </html>: the page may be truncated")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise RecordError(f"unreadable HTML ({exc})") from exc
    col = _Collector()
    title = root.find(".//title")
    if title is not None and clean(title.text_content()):
        col.lines.append(Line(title.sourceline or 1, clean(title.text_content()), "title"))
    body = root.find("body")
    col.walk(body if body is not None else root)
    col.flush()
    return PageText(col.lines, is_html=True, warnings=warnings)
