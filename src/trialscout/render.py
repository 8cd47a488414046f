"""Plain-text views of records for terminals. Record text is untrusted: it is never read as markup."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from trialscout.model import Study
from trialscout.model.criteria import Criterion
from trialscout.model.match import CriterionResult, TrialMatch


def _line(label: str, value: object) -> Text | None:
    if value in (None, "", []):
        return None
    t = Text()
    t.append(f"{label}: ", style="bold")
    t.append(str(value))  # Text.append never parses markup, so '[red]' in a title stays literal
    return t


def study_summary(study: Study) -> Group:
    """A readable summary: identity, status, design, eligibility basics, sites, then the criteria text."""
    ps = study.protocolSection
    em, sm = ps.eligibilityModule, ps.statusModule
    title = Text(f"{study.nct_id}  {study.brief_title or '(no title)'}", style="bold")
    lines = [
        title,
        _line("Official title", study.official_title),
        _line("Status", study.overall_status.value if study.overall_status else None),
        _line("Phase", "/".join(p.value for p in study.phases)),
        _line("Study type", study.study_type.value if study.study_type else None),
        _line("Sponsor", study.lead_sponsor),
        _line("Start", sm.startDateStruct.date if sm and sm.startDateStruct else None),
        _line("Last update", study.last_update),
        _line("Conditions", "; ".join(study.conditions)),
        _line("Interventions", "; ".join(
            f"{iv.type.value.title() + ': ' if iv.type else ''}{iv.name}" for iv in study.interventions)),
        _line("Sex", em.sex.value if em and em.sex else None),
        _line("Ages", _age_range(em.minimumAge, em.maximumAge) if em else None),
        _line("Sites", _sites(study)),
    ]
    desc = ps.descriptionModule
    if desc and desc.briefSummary:
        lines += [Text(""), Text("Summary", style="bold"), Text(desc.briefSummary.strip())]
    if study.eligibility_text:
        lines += [Text(""), Text("Eligibility criteria", style="bold"), Text(study.eligibility_text.strip())]
    return Group(*(x for x in lines if x is not None))


def _age_range(lo: str | None, hi: str | None) -> str | None:
    if not lo and not hi:
        return None
    return f"{lo or 'no minimum'} to {hi or 'no maximum'}"


def _sites(study: Study, limit: int = 5) -> str | None:
    locs = study.locations
    if not locs:
        return None
    shown = ["; ".join(filter(None, (loc.facility, loc.city, loc.country))) for loc in locs[:limit]]
    more = f" (+{len(locs) - limit} more)" if len(locs) > limit else ""
    return " | ".join(shown) + more


def criteria_view(criteria: list[Criterion]) -> Group:
    """Each criterion with its type and what was understood (constraint kinds and fields)."""
    lines: list[Text] = []
    for i, c in enumerate(criteria, start=1):
        tag = "INC" if c.type == "inclusion" else "EXC"
        head = Text(f"{i:>3}. [{tag}] ", style="bold")
        head.append(c.text)
        lines.append(head)
        if not c.constraints:
            lines.append(Text("       (nothing computable understood)", style="dim"))
        for k in c.constraints:
            flags = "".join(f" {f}" for f in ("negated", "hypothetical", "historical") if getattr(k, f))
            fields = ", ".join(f"{name}={value}" for name, value in k.kind_fields().items())
            mark = "" if k.computable else "  (not computable)"
            lines.append(Text(f"       → {k.kind}{flags}: {fields}{mark}"))
    return Group(*lines)


_VERDICT_MARK = {"pass": "✓", "fail": "✗", "unknown": "?", "not_applicable": "–"}
PRESUMED_MARK = "(✓)"
"""A pass that rests on the record's silence: to confirm."""


def verdict_mark(r: CriterionResult) -> str:
    return PRESUMED_MARK if r.verdict == "pass" and r.presumed else _VERDICT_MARK[r.verdict]


def counts_line(counts: dict[str, int]) -> str:
    """`4 pass (1 presumed), 0 fail, 2 unknown, 1 not applicable, 3 not computable, 3 alternatives`."""
    presumed = f" ({counts['presumed']} presumed)" if counts.get("presumed") else ""
    likely = f" ({counts['likely_fail']} likely not met)" if counts.get("likely_fail") else ""
    parts = [f"{counts.get('pass', 0)} pass{presumed}", f"{counts.get('fail', 0)} fail",
             f"{counts.get('unknown', 0)} unknown{likely}", f"{counts.get('not_applicable', 0)} not applicable",
             f"{counts.get('not_computable', 0)} not computable"]
    if counts.get("alternative"):
        parts.append(f"{counts['alternative']} alternatives")
    return ", ".join(parts)


def summary_text(m: TrialMatch) -> str:
    """`ELIGIBLE, 3 points to confirm`: the verdict in capitals, then the points to confirm."""
    return m.eligibility.upper() + m.summary[len(m.eligibility):]


def match_view(matches: list[TrialMatch], *, details: int = 3) -> Group:
    """Ranked trials: verdict with the points to confirm, score, title; the counts; then the failing criteria,
    the unknowns' questions, and the points to confirm (the presumed passes' questions)."""
    lines: list[Text] = []
    for rank, m in enumerate(matches, start=1):
        head = Text(f"{rank:>3}. {m.nct_id}  {summary_text(m)}  score={m.score:.3f}  ", style="bold")
        head.append(m.title or "(no title)", style="")
        lines.append(head)
        lines.append(Text(f"     criteria: {counts_line(m.counts)}"))
        standing = [r for r in m.criteria if r.alternative_of is None]
        fails = [(r, _deciding_reason(r)) for r in standing if r.verdict == "fail"]
        unknowns = [(r, f"ask: {r.question}" if r.question else _deciding_reason(r))
                    for r in standing if r.verdict == "unknown"]
        presumed = [(r, r.question or "") for r in standing if r.verdict == "pass" and r.presumed]
        for label, items in (("failing", fails), ("unknown", unknowns), ("to confirm", presumed)):
            lines += _criteria_lines(items, details, label)
    return Group(*lines)


def _deciding_reason(r: CriterionResult) -> str:
    deciding = [e for e in r.evidence if e.verdict == r.verdict] or r.evidence
    return deciding[0].reason if deciding else ""


def _criteria_lines(items: list[tuple[CriterionResult, str]], details: int, label: str) -> list[Text]:
    """At most `details` criteria, each with its mark and a second line (reason or question), then how many more."""
    lines = []
    for r, note in items[:details]:
        t = Text(f"     {verdict_mark(r)} [{r.type[:3]}] ")
        t.append(r.text[:100])  # record text: appended, never parsed as markup
        if note:
            t.append(f"\n         {note if len(note) <= 160 else note[:159] + '…'}", style="dim")
        lines.append(t)
    if len(items) > details:
        lines.append(Text(f"     … {len(items) - details} more {label} (--json shows every criterion)", style="dim"))
    return lines
