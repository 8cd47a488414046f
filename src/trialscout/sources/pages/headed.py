"""Layout 'headed': a title line, then headed sections each followed by a helper sentence ('Get a concise
snapshot of the trial…') and values on their own lines; arms, sponsors, officials, sites and identifiers
are blocks of lines closed by marker lines ('Group Type EXPERIMENTAL', 'Sponsor Role lead', 'Site Status')."""

from __future__ import annotations

import re
from collections.abc import Callable

from trialscout.sources import normalize as nz
from trialscout.sources.pages import values
from trialscout.sources.pages.engine import Reader
from trialscout.sources.pages.lines import BLANK, HEADING, TEXT, Line, PageText
from trialscout.sources.pages.record import Record
from trialscout.sources.pages.vocab import Vocab, norm_label, vocab

NAME = "headed"
_GROUP_TYPE = re.compile(r"^Group Type\s+(\S+)$", re.I)
_INTERVENTION_TYPE = re.compile(r"^Intervention Type\s+(\S+)$", re.I)
_SPONSOR_ROLE = re.compile(r"^Sponsor Role\s+(\S+)$", re.I)
_ROLE = re.compile(r"^Role:\s*(\S+)$", re.I)
_SITE_STATUS = re.compile(r"^Site Status\b\s*(.*)$", re.I)
_RESPONSIBILITY = re.compile(r"^Responsibility Role\s+(.+)$", re.I)
_ID_TYPE = re.compile(r"^Identifier Type:\s*(.*)$", re.I)
_ID_SOURCE = re.compile(r"^Identifier Source:\s*(.*)$", re.I)


def read(page: PageText, rec: Record) -> None:
    v = vocab()
    lines = _mark_headings(page.lines, v)
    reader = Reader(rec)
    _title(lines, rec, reader)
    specials = {norm_label(k): s for k, s in v.raw["headed_sections"].items()}
    arm_map: dict[str, list[str]] = {}
    for heading, body in _sections(lines):
        special = specials.get(norm_label(heading.text)) if heading else None
        if special is None:
            reader.feed(([heading] if heading else []) + body)
            continue
        reader.close()
        reader.group = None
        reader.related = False
        tokens = [ln for ln in body if ln.kind != BLANK and not v.is_chrome(ln.text)]
        if tokens and v.is_helper(tokens[0].text):
            tokens = tokens[1:]
        if special == "arms":
            _arms(tokens, rec, arm_map)
        elif special in _SPECIALS:
            _SPECIALS[special](tokens, rec)
    reader.finish()
    _link_arms(rec, arm_map)


def _mark_headings(lines: list[Line], v: Vocab) -> list[Line]:
    """A line followed by a helper sentence, or naming a known block, is a heading."""
    specials = {norm_label(k) for k in v.raw["headed_sections"]}
    out = list(lines)
    for i, line in enumerate(lines):
        if line.kind != TEXT:
            continue
        nxt = next((ln for ln in lines[i + 1:] if ln.kind != BLANK), None)
        helper_next = nxt is not None and v.is_helper(nxt.text) and not v.is_helper(line.text)
        if helper_next or norm_label(line.text) in specials or v.is_related(line.text):
            out[i] = Line(line.no, line.text, HEADING, (), line.raw)
    return out


def _sections(lines: list[Line]) -> list[tuple[Line | None, list[Line]]]:
    out: list[tuple[Line | None, list[Line]]] = [(None, [])]
    for line in lines:
        if line.kind == HEADING:
            out.append((line, []))
        else:
            out[-1][1].append(line)
    return out


def _title(lines: list[Line], rec: Record, reader: Reader) -> None:
    first = next((ln for ln in lines if ln.kind not in (BLANK, "title") and not reader.v.is_chrome(ln.text)), None)
    if first and first.kind == TEXT and not reader.match(first) and not re.search(r"\bNCT\d{8}\b", first.text):
        rec.put(vocab().fields["briefTitle"], first.text, first)


def _chunks(tokens: list[Line], marker: re.Pattern[str]) -> list[tuple[list[Line], re.Match[str], Line]]:
    """Split tokens into (lines before a marker, the marker match, the marker line)."""
    out, start = [], 0
    for k, t in enumerate(tokens):
        if m := marker.match(t.text):
            out.append((tokens[start:k], m, t))
            start = k + 1
    return out


def _arms(tokens: list[Line], rec: Record, arm_map: dict[str, list[str]]) -> None:
    marks = [k for k, t in enumerate(tokens) if _GROUP_TYPE.match(t.text)]
    floor = 0
    for n, g in enumerate(marks):
        head = tokens[max(floor, g - 2):g]
        end = marks[n + 1] if n + 1 < len(marks) else len(tokens) + 2
        region = tokens[g + 1:end - 2] if n + 1 < len(marks) else tokens[g + 1:]
        if not head:
            continue
        rec.start_group("arm")
        rec.group_put("arm", "label", "text", head[0].text, head[0])
        if len(head) > 1:
            rec.group_put("arm", "description", "text", head[1].text, head[1])
        rec.group_put("arm", "type", "enum:ArmGroupType", _GROUP_TYPE.match(tokens[g].text).group(1), tokens[g])
        for before, m, _line in _chunks(region, _INTERVENTION_TYPE):
            if before:
                kind = nz.to_enum(values.enums.InterventionType, m.group(1))
                name = before[-1].text
                shown = f"{kind.value.replace('_', ' ').title()}: {name}" if kind else name
                rec.group_put("arm", "interventionNames", "list", shown, before[-1])
                arm_map.setdefault(name, []).append(head[0].text)
        its = [k for k, t in enumerate(region) if _INTERVENTION_TYPE.match(t.text)]
        floor = g + 1 + (its[-1] + 1 if its else 0)


def _interventions(tokens: list[Line], rec: Record) -> None:
    for before, m, line in _chunks(tokens, _INTERVENTION_TYPE):
        if not before:
            continue
        rec.start_group("intervention")
        rec.group_put("intervention", "name", "text", before[0].text, before[0])
        if len(before) > 1:
            desc = "\n".join(b.text for b in before[1:])
            rec.group_put("intervention", "description", "longtext", desc, before[1])
        rec.group_put("intervention", "type", "enum:InterventionType", m.group(1), line)


def _sponsors(tokens: list[Line], rec: Record) -> None:
    for before, m, _line in _chunks(tokens, _SPONSOR_ROLE):
        group = "leadSponsor" if m.group(1).lower().startswith("lead") else "collaborator"
        rec.start_group(group)
        for b in before:
            if values.agency_class(b.text) is not None and b is not before[0]:
                rec.group_put(group, "class", "agency_class", b.text, b)
            elif b is before[0]:
                rec.group_put(group, "name", "text", b.text, b)


def _responsible(tokens: list[Line], rec: Record) -> None:
    for t in tokens:
        if m := _RESPONSIBILITY.match(t.text):
            rec.put(vocab().fields["responsiblePartyType"], m.group(1), t)
        else:
            rec.unmapped.append((t.no, t.text))


def _officials(tokens: list[Line], rec: Record) -> None:
    marks = [k for k, t in enumerate(tokens) if _ROLE.match(t.text)]
    for n, k in enumerate(marks):
        if k == 0:
            continue
        rec.start_group("official")
        rec.group_put("official", "name", "text", tokens[k - 1].text, tokens[k - 1])
        rec.group_put("official", "role", "enum:OfficialRole", _ROLE.match(tokens[k].text).group(1), tokens[k])
        nxt = marks[n + 1] if n + 1 < len(marks) else len(tokens) + 1
        if k + 1 < len(tokens) and k + 1 < nxt - 1:
            rec.group_put("official", "affiliation", "text", tokens[k + 1].text, tokens[k + 1])


def _locations(tokens: list[Line], rec: Record) -> None:
    for before, m, line in _chunks(tokens, _SITE_STATUS):
        if not before:
            continue
        before = before[-2:]
        rec.start_group("location")
        rec.group_put("location", "facility", "text", before[0].text, before[0])
        if len(before) > 1:
            rec.group_put("location", "address", "address", before[1].text, before[1])
        if m.group(1).strip():
            rec.group_put("location", "status", "status", m.group(1), line)


def _identifiers(tokens: list[Line], rec: Record) -> None:
    for before, m, line in _chunks(tokens, _ID_SOURCE):
        ids = [b for b in before if not _ID_TYPE.match(b.text)]
        types = [_ID_TYPE.match(b.text).group(1) for b in before if _ID_TYPE.match(b.text)]
        if not ids:
            continue
        id_type = next((t for t in types if not nz.is_none_word(t)), None)
        if "org" in m.group(1).lower():
            rec.put(vocab().fields["orgStudyId"], ids[0].text, ids[0])
            continue
        rec.start_group("secondaryId")
        rec.group_put("secondaryId", "id", "text", ids[0].text, ids[0])
        if id_type:
            rec.group_put("secondaryId", "type", "text", id_type, line)


def _ignore(tokens: list[Line], rec: Record) -> None:
    return None


def _link_arms(rec: Record, arm_map: dict[str, list[str]]) -> None:
    """Each intervention's arms, as the arm blocks list them."""
    for obj in rec.objects.get("intervention", []):
        labels = arm_map.get(obj.get("name", ""))
        if labels and "armGroupLabels" not in obj:
            obj["armGroupLabels"] = list(dict.fromkeys(labels))
            obj["_prov"]["armGroupLabels"] = obj["_prov"].get("name", (0, ""))


_SPECIALS: dict[str, Callable[[list[Line], Record], None]] = {
    "interventions": _interventions, "sponsors": _sponsors, "responsible": _responsible,
    "officials": _officials, "locations": _locations, "identifiers": _identifiers, "ignore": _ignore,
}
