"""Tables with a header row: a table of one kind of object (locations, outcomes, arms) or a record table
whose columns are fields (`Lead Sponsor | Collaborator`)."""

from __future__ import annotations

from trialscout.sources.pages.lines import BLANK, ROW, SEP, Line
from trialscout.sources.pages.record import Record
from trialscout.sources.pages.vocab import Target, Vocab, norm_label

_OUTCOME_ROUTES = {"primary": "primaryOutcome", "secondary": "secondaryOutcome", "other": "otherOutcome"}
_TYPE_COLUMNS = {"type", "outcome type", "measure type", "outcome measure type"}


def _cells(line: Line) -> list[str]:
    cells = list(line.cells)
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _group_columns(v: Vocab, header: list[str]) -> tuple[str | None, list[Target | None]]:
    """The group most header cells name as its sub-fields (at least two), and each column's target."""
    best, best_cols, best_n = None, [], 1
    for name, spec in v.groups.items():
        subs = dict(v.group_subs[name])
        for key, t in v.top.items():  # the group's own start label names its key column ('Arm', 'Site')
            if t.group == name and t.sub is None:
                subs.setdefault(key, Target(name, t.kind, group=name, sub=spec["key"]))
        cols = [subs.get(norm_label(c)) for c in header]
        n = sum(1 for c in cols if c)
        if n > best_n:
            best, best_cols, best_n = name, cols, n
    return best, best_cols


def read_table(rec: Record, v: Vocab, lines: list[Line], i: int) -> tuple[int, bool]:
    """Read the table whose header is lines[i]; returns the index after it and whether it lists other trials."""
    header = _cells(lines[i])
    j = i + 2
    end = j
    while end < len(lines) and lines[end].kind in (ROW, SEP):
        if end + 1 < len(lines) and lines[end].kind == ROW and lines[end + 1].kind == SEP:
            break  # the header of the next table
        end += 1
    if v.is_related_header(tuple(header)):
        return end, True
    group, cols = _group_columns(v, header)
    rows = [ln for ln in lines[j:end] if ln.kind == ROW]
    if group:
        _group_rows(rec, group, header, cols, rows)
    else:
        _record_rows(rec, v, header, rows, lines[i])
    rest = [ln for ln in lines[end:] if ln.kind != BLANK]
    if not rest:
        _check_truncated(rec, header, rows)
    elif len(rest) == 1 and "|" in rest[0].text:
        rec.warnings.append(f"line {rest[0].no}: page ends inside a table (truncated?); partial row left out")
        return len(lines), False
    return end, False


def _group_rows(rec: Record, group: str, header: list[str], cols: list[Target | None], rows: list[Line]) -> None:
    type_col = next((k for k, c in enumerate(header) if norm_label(c) in _TYPE_COLUMNS and not cols[k]), None)
    for row in rows:
        cells = list(row.cells)
        target_group = group
        if group in _OUTCOME_ROUTES.values() and type_col is not None and type_col < len(cells):
            kind = norm_label(cells[type_col]).split(" ")[0]
            target_group = _OUTCOME_ROUTES.get(kind, group)
        rec.start_group(target_group)
        for k, col in enumerate(cols):
            if col and k < len(cells) and cells[k].strip():
                sub = rec_sub(col, target_group)
                rec.group_put(target_group, sub.sub, sub.kind, cells[k], row, sub.sets)


def rec_sub(col: Target, group: str) -> Target:
    """The same sub-field in a sibling group (a secondary outcome's time frame)."""
    if col.group == group:
        return col
    from trialscout.sources.pages.vocab import vocab
    for t in vocab().group_subs[group].values():
        if t.sub == col.sub:
            return t
    return col


def _record_rows(rec: Record, v: Vocab, header: list[str], rows: list[Line], head: Line) -> None:
    targets = [v.lookup(c) if c else None for c in header]
    if not any(targets):
        rec.unmapped.append((head.no, head.text))
        return
    for k, c in enumerate(header):
        if c and not targets[k]:
            rec.unmapped.append((head.no, f"{c} (table column)"))
    for row in rows:
        for k, t in enumerate(targets):
            if t and k < len(row.cells) and row.cells[k].strip():
                if t.group and t.sub is None:
                    rec.start_group(t.group)
                rec.put(t, row.cells[k], row)


def _check_truncated(rec: Record, header: list[str], rows: list[Line]) -> None:
    """A page that ends inside a table: the last row is short or lost its closing bar."""
    if not rows:
        rec.warnings.append("page ends right after a table header (truncated?)")
        return
    last = rows[-1]
    cells = [c for c in last.cells]
    if len(cells) < len(header) - 1 or not last.text.rstrip().endswith("|"):
        rec.warnings.append(f"line {last.no}: page ends inside a table (truncated?); its last row may be partial")
