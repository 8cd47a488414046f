"""Field accuracy of the generic page reader on layouts it has never seen.

Renders real ClinicalTrials.gov v2 records (whose true values we know) as pages of three made-up site
layouts (a definition-list HTML page, a two-column table HTML page, a markdown-ish text page), reads them
back with `trialscout.sources.pages`, and prints per-layout field accuracy.

    python bench/pages_accuracy.py [--data DIR] [--write tests/fixtures/pages/generic]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trialscout.sources.pages import explain

OTHER_TRIAL = ("NCT09999991", "A Different Study of Something Else Entirely", "Recruiting")


def _g(d: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        d = d.get(part) if isinstance(d, dict) else None
    return d


def human(enum: str | None) -> str:
    return (enum or "").replace("_", " ").capitalize()


def _date(struct: dict[str, Any] | None) -> str:
    if not struct:
        return ""
    parts = struct["date"].split("-")
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
    shown = f"{months[int(parts[1]) - 1]} {int(parts[2])}, {parts[0]}" if len(parts) == 3 else (
        f"{months[int(parts[1]) - 1]} {parts[0]}" if len(parts) == 2 else parts[0])
    return f"{shown} ({human(struct['type'])})" if struct.get("type") else shown


def facts(v2: dict[str, Any]) -> dict[str, Any]:
    """The record's values in page form: (label-free) strings and lists a site would show."""
    ps = v2["protocolSection"]
    ident, status, design = ps["identificationModule"], ps.get("statusModule", {}), ps.get("designModule", {})
    elig, sponsor = ps.get("eligibilityModule", {}), ps.get("sponsorCollaboratorsModule", {})
    arms = ps.get("armsInterventionsModule", {})
    info = design.get("designInfo", {})
    phases = " / ".join(p.replace("PHASE", "Phase ").replace("EARLY_Phase ", "Early Phase ")
                        for p in design.get("phases", []) if p != "NA") or ("N/A" if design.get("phases") else "")
    return {
        "nct": ident["nctId"], "title": ident.get("briefTitle", ""), "official": ident.get("officialTitle", ""),
        "acronym": ident.get("acronym", ""), "org_id": _g(ident, "orgStudyIdInfo.id") or "",
        "status": human(status.get("overallStatus")), "start": _date(status.get("startDateStruct")),
        "primary_completion": _date(status.get("primaryCompletionDateStruct")),
        "completion": _date(status.get("completionDateStruct")),
        "first_posted": _date(status.get("studyFirstPostDateStruct")),
        "last_update": _date(status.get("lastUpdatePostDateStruct")),
        "study_type": human(design.get("studyType")), "phase": phases,
        "allocation": human(info.get("allocation")), "model": human(info.get("interventionModel")),
        "purpose": human(info.get("primaryPurpose")), "masking": human(_g(info, "maskingInfo.masking")),
        "enrollment": "" if _g(design, "enrollmentInfo.count") is None else str(_g(design, "enrollmentInfo.count")),
        "sponsor": _g(sponsor, "leadSponsor.name") or "",
        "collaborators": [c["name"] for c in sponsor.get("collaborators", [])],
        "conditions": ps.get("conditionsModule", {}).get("conditions", []),
        "keywords": ps.get("conditionsModule", {}).get("keywords", []),
        "summary": _g(ps, "descriptionModule.briefSummary") or "",
        "criteria": elig.get("eligibilityCriteria", ""), "min_age": elig.get("minimumAge", ""),
        "max_age": elig.get("maximumAge", ""), "sex": human(elig.get("sex")),
        "healthy": {True: "Yes", False: "No"}.get(elig.get("healthyVolunteers"), ""),
        "arms": [(a["label"], human(a.get("type")), a.get("description", "")) for a in arms.get("armGroups", [])],
        "interventions": [(human(i.get("type")), i["name"]) for i in arms.get("interventions", [])],
        "primary": [(o["measure"], o.get("timeFrame", "")) for o in _g(ps, "outcomesModule.primaryOutcomes") or []],
        "officials": [o.get("name", "") for o in _g(ps, "contactsLocationsModule.overallOfficials") or []],
        "locations": [(loc.get("facility", ""), loc.get("city", ""), loc.get("state", ""), loc.get("country", ""))
                      for loc in (_g(ps, "contactsLocationsModule.locations") or [])[:8]],
    }


SCALARS = [("nct", "NCT Number"), ("title", "Study title"), ("official", "Official title"), ("acronym", "Acronym"),
           ("org_id", "Protocol ID"), ("status", "Recruitment status"), ("phase", "Phase"),
           ("study_type", "Study type"), ("start", "Study start"), ("primary_completion", "Primary completion"),
           ("completion", "Study completion"), ("first_posted", "First posted"), ("last_update", "Last update posted"),
           ("enrollment", "Enrollment"), ("allocation", "Allocation"), ("model", "Intervention model"),
           ("purpose", "Primary purpose"), ("masking", "Masking"), ("sponsor", "Sponsor"), ("min_age", "Minimum age"),
           ("max_age", "Maximum age"), ("sex", "Sexes eligible"), ("healthy", "Accepts healthy volunteers")]


def _esc(text: str) -> str:
    return html.escape(text)


def _lines_html(text: str) -> str:
    return "".join(f"<p>{_esc(ln)}</p>" for ln in text.split("\n") if ln.strip())


def render_dl(f: dict[str, Any]) -> str:
    """A definition-list page: <dl><dt>Label</dt><dd>value</dd>… with headed lists below."""
    dl = "".join(f"<dt>{lbl}</dt><dd>{_esc(f[k])}</dd>\n" for k, lbl in SCALARS if f[k])
    out = [f"<!DOCTYPE html><html><head><title>{_esc(f['title'])} | TrialFinder</title></head><body>",
           "<nav><a href='/'>Home</a><a href='/login'>Sign in</a></nav>", f"<h1>{_esc(f['title'])}</h1>",
           "<section><h2>Overview</h2><dl>", dl, "</dl></section>"]
    for heading, items in (("Conditions", f["conditions"]), ("Keywords", f["keywords"]),
                           ("Collaborators", f["collaborators"])):
        if items:
            out.append(f"<h2>{heading}</h2><ul>" + "".join(f"<li>{_esc(i)}</li>" for i in items) + "</ul>")
    if f["summary"]:
        out.append(f"<h2>Brief Summary</h2>{_lines_html(f['summary'])}")
    if f["arms"]:
        out.append("<h2>Study Arms</h2><table><tr><th>Arm</th><th>Arm type</th><th>Description</th></tr>" + "".join(
            f"<tr><td>{_esc(a)}</td><td>{_esc(t)}</td><td>{_esc(d)}</td></tr>" for a, t, d in f["arms"]) + "</table>")
    if f["interventions"]:
        out.append("<h2>Interventions</h2><ul>" + "".join(
            f"<li>{_esc(t)}: {_esc(n)}</li>" for t, n in f["interventions"]) + "</ul>")
    if f["primary"]:
        out.append("<h2>Primary Outcome Measures</h2><ol>" + "".join(
            f"<li>{_esc(m)} [Time Frame: {_esc(tf)}]</li>" for m, tf in f["primary"]) + "</ol>")
    if f["criteria"]:
        out.append(f"<h2>Eligibility Criteria</h2><pre>{_esc(f['criteria'])}</pre>")
    for o in f["officials"]:
        out.append(f"<dl><dt>Principal Investigator</dt><dd>{_esc(o)}</dd></dl>")
    if f["locations"]:
        out.append("<h2>Locations</h2><table><thead><tr><th>Facility</th><th>City</th><th>State</th><th>Country</th>"
                   "</tr></thead>" + "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in loc) + "</tr>"
                                              for loc in f["locations"]) + "</table>")
    nct, title, status = OTHER_TRIAL
    out.append(f"<h2>Similar Trials</h2><ul><li>{nct}: {title} ({status})</li></ul>")
    return "\n".join(out) + "<footer>© 2025 TrialFinder</footer></body></html>"


def render_table(f: dict[str, Any]) -> str:
    """A two-column table page: <tr><th>Label</th><td>value</td></tr> for everything, lists in cells."""
    rows = [(lbl, _esc(f[k])) for k, lbl in SCALARS if f[k]]
    rows += [("Conditions", "<br>".join(map(_esc, f["conditions"])))]
    rows += [("Keywords", "; ".join(map(_esc, f["keywords"])))]
    rows += [("Collaborators", "<br>".join(map(_esc, f["collaborators"]))), ("Description", _lines_html(f["summary"]))]
    rows += [("Interventions", "<br>".join(f"{_esc(t)}: {_esc(n)}" for t, n in f["interventions"]))]
    rows += [("Primary endpoint", "<br>".join(f"{_esc(m)} [Time Frame: {_esc(tf)}]" for m, tf in f["primary"]))]
    rows += [("Inclusion/Exclusion Criteria", _lines_html(f["criteria"]))]
    rows += [("Study Director", _esc(o)) for o in f["officials"]]
    rows += [("Site", _esc(", ".join(p for p in loc if p))) for loc in f["locations"]]
    body = "".join(f"<tr><th>{lbl}</th><td>{val}</td></tr>\n" for lbl, val in rows if val)
    arms = "".join(f"<tr><td>{_esc(a)}</td><td>{_esc(t)}</td><td>{_esc(d)}</td></tr>" for a, t, d in f["arms"])
    nct, title, status = OTHER_TRIAL
    return (f"<html><body><div class='login'>Log in</div><h2>Trial record</h2><table>{body}</table>"
            + (f"<h3>Arms</h3><table><tr><th>Arm title</th><th>Group type</th><th>Arm description</th></tr>{arms}"
               "</table>" if arms else "")
            + f"<h3>Related Trials</h3><table><tr><th>NCT Number</th><th>Title</th><th>Status</th></tr>"
            f"<tr><td>{nct}</td><td>{title}</td><td>{status}</td></tr></table></body></html>")


def render_markdown(f: dict[str, Any]) -> str:
    """A markdown-ish text page: # headings, - **Label:** value bullets, lists under headings."""
    out = [f"# {f['title']}", "", "Share | Print | Email", ""]
    out += [f"- **{lbl}:** {f[k]}" for k, lbl in SCALARS if f[k] and k != "title"]
    for heading, items in (("Conditions", f["conditions"]), ("Keywords", f["keywords"]),
                           ("Collaborators", f["collaborators"])):
        if items:
            out += ["", f"## {heading}", ""] + [f"- {i}" for i in items]
    if f["summary"]:
        out += ["", "## Summary", "", f["summary"]]
    for a, t, d in f["arms"]:
        out += ["", f"### Arm: {a}", "", f"- **Arm type:** {t}"] + ([f"- **Arm description:** {d}"] if d else [])
    for t, n in f["interventions"]:
        out += ["", f"### Intervention: {n}", "", f"- **Intervention type:** {t}"]
    for m, tf in f["primary"]:
        out += ["", "### Primary outcome", "", f"- **Measure:** {m}", f"- **Time frame:** {tf}"]
    if f["criteria"]:
        out += ["", "## Eligibility Criteria", "", f["criteria"]]
    out += [f"\n**Principal Investigator:** {o}" for o in f["officials"]]
    if f["locations"]:
        out += ["", "## Locations", ""] + [f"- {', '.join(p for p in loc if p)}" for loc in f["locations"]]
    nct, title, status = OTHER_TRIAL
    out += ["", "## Similar studies", "", f"- {nct} | {title} | {status}", ""]
    return "\n".join(out)


LAYOUTS: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "dl-html": (".html", render_dl), "table-html": (".html", render_table), "markdown": (".txt", render_markdown)}


def _norm(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return re.sub(r"\W+", " ", value).strip().lower()
    if isinstance(value, list):
        return sorted((_norm(v) for v in value), key=repr)
    return value


def truth(v2: dict[str, Any]) -> dict[str, Any]:
    """The field values a page of this record shows, in v2 form: the answer key."""
    ps = v2["protocolSection"]
    f = facts(v2)
    paths = {
        "nctId": "identificationModule.nctId", "briefTitle": "identificationModule.briefTitle",
        "officialTitle": "identificationModule.officialTitle", "acronym": "identificationModule.acronym",
        "orgStudyId": "identificationModule.orgStudyIdInfo.id", "overallStatus": "statusModule.overallStatus",
        "startDate": "statusModule.startDateStruct",
        "primaryCompletionDate": "statusModule.primaryCompletionDateStruct",
        "completionDate": "statusModule.completionDateStruct", "firstPosted": "statusModule.studyFirstPostDateStruct",
        "lastUpdatePosted": "statusModule.lastUpdatePostDateStruct", "studyType": "designModule.studyType",
        "phases": "designModule.phases", "allocation": "designModule.designInfo.allocation",
        "interventionModel": "designModule.designInfo.interventionModel",
        "primaryPurpose": "designModule.designInfo.primaryPurpose",
        "masking": "designModule.designInfo.maskingInfo.masking", "enrollment": "designModule.enrollmentInfo.count",
        "leadSponsor": "sponsorCollaboratorsModule.leadSponsor.name", "conditions": "conditionsModule.conditions",
        "keywords": "conditionsModule.keywords", "briefSummary": "descriptionModule.briefSummary",
        "eligibilityCriteria": "eligibilityModule.eligibilityCriteria", "minimumAge": "eligibilityModule.minimumAge",
        "maximumAge": "eligibilityModule.maximumAge", "sex": "eligibilityModule.sex",
        "healthyVolunteers": "eligibilityModule.healthyVolunteers",
    }
    out = {k: _g(ps, p) for k, p in paths.items()}
    out["collaborators"] = [c["name"] for c in _g(ps, "sponsorCollaboratorsModule.collaborators") or []] or None
    out["arms"] = [[a, t.upper().replace(" ", "_")] for a, t, _ in f["arms"]] or None
    out["interventions"] = [[t.upper().replace(" ", "_"), n] for t, n in f["interventions"]] or None
    out["primaryOutcomes"] = [[m, tf] for m, tf in f["primary"]] or None
    out["officials"] = f["officials"] or None
    out["locations"] = [[loc[0], loc[1], loc[3]] for loc in f["locations"]] or None
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def read_back(record: dict[str, Any]) -> dict[str, Any]:
    """The same fields out of what the reader produced (structured lists flattened like truth())."""
    ps = record.get("protocolSection", {})
    out = {k: None for k in ("collaborators", "arms", "interventions", "primaryOutcomes", "officials", "locations")}
    fake = {"protocolSection": ps}
    base = truth_paths(fake)
    arms = _g(ps, "armsInterventionsModule.armGroups") or []
    ints = _g(ps, "armsInterventionsModule.interventions") or []
    outs = _g(ps, "outcomesModule.primaryOutcomes") or []
    locs = _g(ps, "contactsLocationsModule.locations") or []
    out["collaborators"] = [c["name"] for c in _g(ps, "sponsorCollaboratorsModule.collaborators") or []] or None
    out["arms"] = [[a["label"], a.get("type")] for a in arms] or None
    out["interventions"] = [[i.get("type"), i["name"]] for i in ints] or None
    out["primaryOutcomes"] = [[o["measure"], o.get("timeFrame")] for o in outs] or None
    out["officials"] = [o.get("name") for o in _g(ps, "contactsLocationsModule.overallOfficials") or []] or None
    out["locations"] = [[loc.get("facility"), loc.get("city"), loc.get("country")] for loc in locs] or None
    return {**base, **out}


def truth_paths(v2: dict[str, Any]) -> dict[str, Any]:
    t = truth({"protocolSection": {"identificationModule": {"nctId": "x"}, **v2["protocolSection"]}})
    return {k: v for k, v in t.items() if k not in ("arms", "interventions", "primaryOutcomes", "officials",
                                                     "locations", "collaborators")}


def score(got: dict[str, Any], want: dict[str, Any]) -> tuple[int, int, list[str]]:
    """(right, total, names of fields wrong): every true field must come back equal (text compared loosely)."""
    wrong = [k for k, v in want.items() if _norm(got.get(k)) != _norm(v)]
    extra = [f"+{k}" for k, v in got.items() if v not in (None, "", []) and k not in want]
    return len(want) - len(wrong), len(want) + len(extra), wrong + extra


def run(data_dir: Path, write: Path | None = None) -> dict[str, tuple[int, int]]:
    totals: dict[str, tuple[int, int]] = {}
    truths = {}
    for path in sorted(data_dir.glob("*.json")):
        v2 = json.loads(path.read_text("utf-8"))
        want = truth(v2)
        for layout, (suffix, render) in LAYOUTS.items():
            page = render(facts(v2))
            name = f"{path.stem}-{layout}{suffix}"
            if write:
                write.mkdir(parents=True, exist_ok=True)
                (write / name).write_text(page, "utf-8")
                truths[name] = want
            expl = explain(name, page.encode("utf-8"))
            right, total, wrong = score(read_back(expl.record), want)
            r, t = totals.get(layout, (0, 0))
            totals[layout] = (r + right, t + total)
            if wrong and "-v" in sys.argv:
                print(f"  {name}: {right}/{total} wrong: {', '.join(wrong)}")
    if write:
        (write / "truth.json").write_text(json.dumps(truths, indent=1, ensure_ascii=False), "utf-8")
    return totals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data"
                    / "ctgov-v2-json")
    ap.add_argument("--write", type=Path, default=None, help="also save the pages and their answer key here")
    ap.add_argument("-v", action="store_true", help="list the fields each page got wrong")
    args = ap.parse_args()
    totals = run(args.data, args.write)
    all_r = sum(r for r, _ in totals.values())
    all_t = sum(t for _, t in totals.values())
    print(f"{'layout':<12} {'fields right':>14} {'accuracy':>9}")
    for layout, (r, t) in totals.items():
        print(f"{layout:<12} {r:>6} / {t:<6} {r / t:>8.1%}")
    print(f"{'all':<12} {all_r:>6} / {all_t:<6} {all_r / all_t:>8.1%}")


if __name__ == "__main__":
    main()
