"""The web pages over HTTP against the real app and store: what each page shows, its JSON twin, bad input,
escaping of hostile trial text, and the patient pages' safety rules."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from tests.api.conftest import make_client, patient_text
from tests.conftest import HOSTILE_TEXTS, REPO, XSS_ID, XSS_TITLE

DEMO_NOTE = (REPO / "src/trialscout/data/demo-note.txt").read_text("utf-8")
SAME_SITE = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}


def as_json(web: Any, url: str) -> dict[str, Any]:
    sep = "&" if "?" in url else "?"
    r = web.get(f"{url}{sep}format=json")
    assert r.status_code == 200, r.text
    return r.json()


def shown(text: str) -> str:
    """`text` as the templates put it on a page (autoescaped)."""
    return str(escape(text))


def hit_ids(page: str) -> list[str]:
    return re.findall(r'<li class="hit" data-nct="(NCT\d{8})"', page)


# --- search -------------------------------------------------------------------------------------------------

def test_search_page_lists_hits_with_facets_matching_its_json_twin(web: Any) -> None:
    r = web.get("/search?q=breast+cancer")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    view = as_json(web, "/search?q=breast+cancer")
    assert view["total"] > 10 and len(view["hits"]) == 20
    assert hit_ids(r.text) == [h["nct_id"] for h in view["hits"]]
    statuses = {f["value"]: f["count"] for f in view["facets"]["status"]}
    assert sum(statuses.values()) == view["total"]  # every trial has one status
    for value, count in statuses.items():
        assert re.search(rf'value="{value}"> [^<]+ <span class="count">{count}</span>', r.text)


def test_a_status_facet_narrows_the_results_to_that_status(web: Any) -> None:
    whole = as_json(web, "/search?q=breast+cancer")
    value, count = next((f["value"], f["count"]) for f in whole["facets"]["status"] if f["count"] < whole["total"])
    narrowed = as_json(web, f"/search?q=breast+cancer&status={value}")
    assert narrowed["total"] == count
    assert {h["status"] for h in narrowed["hits"]} == {value}
    chosen = next(f for f in narrowed["facets"]["status"] if f["value"] == value)
    assert chosen["checked"]


def test_next_page_link_gives_the_following_hits_without_repeats(web: Any) -> None:
    first = web.get("/search?q=cancer")
    link = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', first.text).group(1))
    second = web.get(link)
    assert second.status_code == 200
    one, two = hit_ids(first.text), hit_ids(second.text)
    assert len(one) == 20 and two and not set(one) & set(two)
    everything = as_json(web, "/search?q=cancer")["total"]
    assert everything > 40


def test_near_a_place_shows_the_nearest_site_and_its_distance(web: Any) -> None:
    view = as_json(web, "/search?q=cancer&near=Boston,+MA&radius=50")
    assert view["hits"]
    for h in view["hits"]:
        assert h["nearest_km"] is not None and h["nearest_km"] <= 50
        assert h["nearest_site"]
    page = web.get("/search?q=cancer&near=Boston,+MA&radius=50").text
    assert "Nearest site:" in page and " km</strong>" in page


@pytest.mark.parametrize(("query", "where"), [
    ("q=cancer&age=old", "age"),
    ("q=cancer&near=Atlantis+under+the+sea", "filter.geo"),
    ("q=cancer&status=SLEEPING", "status"),
    ("q=cancer&pageToken=eyJvIjogMTB9.forged", "pageToken"),
    ("q=" + "a" * 10_001, "query.term"),
])
def test_bad_search_input_is_a_400_page_that_says_what_and_where(web: Any, query: str, where: str) -> None:
    r = web.get(f"/search?{query}")
    assert r.status_code == 400
    assert 'class="error-message"' in r.text and f"({where})" in r.text
    assert "Traceback" not in r.text
    j = web.get(f"/search?{query}&format=json")
    assert j.status_code == 400 and j.json()["where"] == where


@pytest.mark.parametrize("text", ['"unbalanced', "lung* NEAR cancer", "title: x OR y", "'; DROP TABLE studies;--"])
def test_query_syntax_in_user_text_is_only_words(web: Any, text: str) -> None:
    r = web.get("/search", params={"q": text})
    assert r.status_code == 200


# --- trial page ---------------------------------------------------------------------------------------------

def test_trial_page_shows_every_module_of_the_record(web: Any, served_db: Path) -> None:
    from trialscout.store import SqliteStore

    nct = as_json(web, "/search?q=colorectal+liver+metastases")["hits"][0]["nct_id"]
    with SqliteStore(served_db, readonly=True) as store:
        doc = store.get_json(nct)
    page = web.get(f"/studies/{nct}").text
    for part in ("protocolSection", "derivedSection"):
        for module in doc.get(part, {}):
            anchor = "eligibility" if module == "eligibilityModule" else module
            assert f'id="{anchor}"' in page, module
    ps = doc["protocolSection"]
    assert shown(ps["identificationModule"]["briefTitle"]) in page
    for site in ps.get("contactsLocationsModule", {}).get("locations", [])[:5]:
        assert shown(site["facility"]) in page


def test_trial_page_marks_what_was_understood_in_each_criterion(web: Any) -> None:
    nct = as_json(web, "/search?q=breast+cancer")["hits"][0]["nct_id"]
    view = as_json(web, f"/studies/{nct}")
    page = web.get(f"/studies/{nct}").text
    marked = [p for c in view["criteria"] for p in c["pieces"] if "mark" in p]
    assert marked, "no criterion of a breast cancer trial understood"
    for piece in marked[:10]:
        tag = f'<mark class="kind-{piece["mark"]["kind"]}'
        assert tag in page
    for c in view["criteria"]:  # the pieces are exactly the criterion's words
        assert "".join(p["text"] for p in c["pieces"]) == c["text"]
    assert view["criteria_counts"]["total"] == len(view["criteria"])


def test_trial_page_lists_related_trials_with_what_they_share(web: Any) -> None:
    nct = as_json(web, "/search?q=breast+cancer")["hits"][0]["nct_id"]
    view = as_json(web, f"/studies/{nct}")
    assert view["related"] and all(r["nct_id"] != nct for r in view["related"])
    page = web.get(f"/studies/{nct}").text
    first = view["related"][0]
    assert f'href="/studies/{first["nct_id"]}"' in page
    assert shown(first["explanation"]) in page


def test_unknown_and_malformed_trial_ids(web: Any) -> None:
    missing = web.get("/studies/NCT00000000")
    assert missing.status_code == 404 and "NCT00000000" in missing.text
    assert "served.db" not in missing.text  # the server's file paths are not shown
    bad = web.get("/studies/not-an-id")
    assert bad.status_code == 400 and "NCT followed by 8 digits" in bad.text


# --- hostile trial text -------------------------------------------------------------------------------------

def _no_live_markup(page: str) -> None:
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "<svg onload" not in page and "<b onmouseover" not in page
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script src="/static/app.js" defer>']


def test_hostile_trial_text_is_shown_escaped_on_every_page(web: Any) -> None:
    page = web.get(f"/studies/{XSS_ID}").text
    _no_live_markup(page)
    assert shown(XSS_TITLE) in page
    for text in HOSTILE_TEXTS.values():
        for tag in re.findall(r"<[^>]*>", text):  # each payload is on the page, as text
            assert shown(tag) in page, tag
    listing = web.get("/search", params={"q": "alert"}).text
    assert XSS_ID in listing
    _no_live_markup(listing)
    match = web.post("/match", data={"note": DEMO_NOTE, "trials": XSS_ID}, headers=SAME_SITE).text
    _no_live_markup(match)
    assert shown(XSS_TITLE) in match
    presumed = "History of heart failure <img src=x onerror=alert(8)>"  # an exclusion the note is silent about
    assert shown(presumed) in match  # among the points to confirm
    trial = web.post(f"/match/{XSS_ID}", data={"patient": json.dumps({"note": DEMO_NOTE})}, headers=SAME_SITE).text
    _no_live_markup(trial)
    box = trial[trial.index('class="fact-group facts-presumed"'):trial.index("</details>")]
    assert shown(presumed) in box  # presumed absences, with the question quoting the criterion
    assert 'class="grounds"' in trial  # each presumed pass shows the record statements it rests on


HOSTILE_PATIENT = {"id": "<b onmouseover=alert(20)>p1</b>", "age": 61, "sex": "female",
                   "diagnoses": [{"name": "<script>alert(21)</script> breast cancer", "stage": "IV"}],
                   "comorbidities": ["<svg onload=alert(22)> hypertension"],
                   "negated": ["<img src=x onerror=alert(23)> brain metastases"]}


def test_hostile_patient_text_is_shown_escaped_in_every_fact_group(web: Any) -> None:
    files = {"file": ("p.json", json.dumps(HOSTILE_PATIENT).encode(), "application/json")}
    ranked = web.post("/match", data={"trials": XSS_ID}, files=files, headers=SAME_SITE)
    assert ranked.status_code == 200, ranked.text
    trial = web.post(f"/match/{XSS_ID}", data={"patient": _hidden(ranked.text, "patient")}, headers=SAME_SITE)
    assert trial.status_code == 200, trial.text
    for page in (ranked.text, trial.text):
        _no_live_markup(page)
        for text in ("<script>alert(21)</script> breast cancer", "<svg onload=alert(22)> hypertension",
                     "<img src=x onerror=alert(23)> brain metastases", "<b onmouseover=alert(20)>p1</b>"):
            assert shown(text) in page, text
    absent = trial.text[trial.text.index('class="fact-group facts-absent"'):]
    assert shown("<img src=x onerror=alert(23)> brain metastases") in absent[:absent.index("</section>")]


def test_pages_carry_a_strict_content_security_policy(web: Any) -> None:
    for url in ("/search", f"/studies/{XSS_ID}", "/match"):
        csp = web.get(url).headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert web.get("/search").headers["referrer-policy"] == "same-origin"


def test_static_files_are_served_and_nothing_else_is(web: Any) -> None:
    assert web.get("/static/style.css").status_code == 200
    assert web.get("/static/app.js").headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert web.get("/static/../pages.py").status_code == 404
    assert web.get("/static/%2e%2e/pages.py").status_code == 404


# --- matching -----------------------------------------------------------------------------------------------

def _hidden(page: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))


def test_match_a_pasted_note_ranks_trials_with_their_open_points(web: Any) -> None:
    r = web.post("/match", data={"note": DEMO_NOTE, "top": "5"}, headers=SAME_SITE)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    view = web.post("/match", data={"note": DEMO_NOTE, "top": "5", "format": "json"}, headers=SAME_SITE).json()
    assert [t["rank"] for t in view["trials"]] == [1, 2, 3, 4, 5]
    scores = [t["score"] for t in view["trials"]]
    assert scores == sorted(scores, reverse=True)
    assert any(g["title"] == "Biomarkers" for g in view["patient"]["present"])
    assert view["patient"]["presumed"] is None  # presumptions belong to one trial: its own page lists them
    assert view["policy"] == "default"
    for t in view["trials"]:
        assert f'data-nct="{t["nct_id"]}"' in r.text
        assert t["summary"].startswith(t["eligibility"]) and t["to_confirm"] == t["counts"]["presumed"]
        if t["to_confirm"]:
            assert f'{t["to_confirm"]} point{"s" if t["to_confirm"] != 1 else ""} to confirm' in r.text
            assert t["confirm"] and all(c["verdict"] == "pass" and c["presumed"] for c in t["confirm"])
        for f in t["fails"]:
            assert shown(f["text"]) in r.text


def test_open_one_trial_to_see_every_criterion_with_evidence_and_questions(web: Any) -> None:
    ranked = web.post("/match", data={"note": DEMO_NOTE, "top": "10"}, headers=SAME_SITE)
    view = web.post("/match", data={"note": DEMO_NOTE, "top": "10", "format": "json"}, headers=SAME_SITE).json()
    failing = next(t for t in view["trials"] if t["fails"])
    patient = _hidden(ranked.text, "patient")
    detail = web.post(f"/match/{failing['nct_id']}", headers=SAME_SITE,
                      data={"patient": patient, "format": "json"}).json()
    assert detail["score"] == failing["score"] and detail["relevance"] == failing["relevance"] > 0
    assert detail["summary"] == failing["summary"] and detail["counts"] == failing["counts"]
    # presumed passes are among the passes, likely fails among the unknowns
    counted = {k: v for k, v in detail["counts"].items() if k not in ("presumed", "likely_fail", "part_fails")}
    assert sum(counted.values()) == len(detail["criteria"])
    assert detail["counts"]["presumed"] == len(detail["patient"]["presumed"]) == \
        sum(c["presumed"] and c["alternative_of"] is None for c in detail["criteria"])
    fail = next(c for c in detail["criteria"] if c["verdict"] == "fail")
    assert fail["evidence"] and any(e["verdict"] == "fail" for e in fail["evidence"])
    page = web.post(f"/match/{failing['nct_id']}", data={"patient": patient}, headers=SAME_SITE).text
    assert page.count('<li class="result ') == len(detail["criteria"])
    reason = next(e["reason"] for e in fail["evidence"] if e["verdict"] == "fail")
    assert shown(reason) in page
    assert 'class="verdict verdict-fail"' in page and "data-print" in page
    for q in detail["questions"]:
        assert shown(q) in page


FACTS_NOTE = ("A 62-year-old woman with metastatic breast cancer to the liver, ER positive, HER2 negative. ECOG 1. "
              "She denies smoking. No brain metastases. Platelets 180,000/mm3.")


def _fact_sections(page: str) -> dict[str, str]:
    """The patient box's groups, as HTML: present, absent, presumed (when shown)."""
    box = page[page.index('<details class="patient"'):page.index("</details>")]
    parts = box.split('<section class="fact-group facts-')[1:]
    return {part.split('"', 1)[0]: part for part in parts}


def test_the_match_page_shows_stated_absent_and_presumed_facts_apart(web: Any) -> None:
    ranked = web.post("/match", data={"note": FACTS_NOTE, "top": "10", "format": "json"}, headers=SAME_SITE).json()
    trial = next(t for t in ranked["trials"] if t["to_confirm"])
    form = {"patient": json.dumps({"note": FACTS_NOTE})}
    view = web.post(f"/match/{trial['nct_id']}", headers=SAME_SITE, data={**form, "format": "json"}).json()
    patient = view["patient"]
    present = {g["id"]: [f["text"] for f in g["items"]] for g in patient["present"]}
    assert {"demographics", "diagnoses", "biomarkers", "labs", "performance_status"} <= set(present)
    assert "62 years" in present["demographics"] and "female" in present["demographics"]
    absent = [f["text"].lower() for f in patient["absent"]]
    assert any("smok" in a for a in absent) and "brain metastases" in absent
    stated = " ".join(t for items in present.values() for t in items).lower()
    assert "smok" not in stated and "brain" not in stated
    for f in [*(f for g in patient["present"] for f in g["items"]), *patient["absent"]]:  # each with its source
        start, end = f["source"]["span"]
        assert FACTS_NOTE[start:end] == f["said"] and f"characters {start}–{end}" in f["where"]
    standing = [c for c in view["criteria"] if c["presumed"] and c["alternative_of"] is None]
    assert [(p["text"], p["question"]) for p in patient["presumed"]] == [(c["text"], c["question"]) for c in standing]
    assert len(standing) == view["to_confirm"] > 0 and all(c["verdict"] == "pass" for c in standing)

    html_sections = _fact_sections(web.post(f"/match/{trial['nct_id']}", headers=SAME_SITE, data=form).text)
    assert list(html_sections) == ["present", "absent", "presumed"]
    assert "brain metastases" in html_sections["absent"] and "smoking" in html_sections["absent"]
    assert "brain metastases" not in html_sections["present"] and "smoking" not in html_sections["present"]
    assert "“62-year-old”" in html_sections["present"] and "Platelets 180,000/mm3" in html_sections["present"]
    for p in patient["presumed"]:
        assert shown(p["text"]) in html_sections["presumed"]
        assert not p["question"] or shown(p["question"]) in html_sections["presumed"]
    results = web.post("/match", data={"note": FACTS_NOTE, "top": "10"}, headers=SAME_SITE).text
    assert list(_fact_sections(results)) == ["present", "absent"]  # presumptions are one trial's


def test_policy_switch_strict_presumes_nothing(web: Any) -> None:
    assert re.search(r'name="policy" value="default" checked', web.get("/match").text)
    assert 'name="policy" value="strict"' in web.get("/match").text
    form = {"note": DEMO_NOTE, "top": "5", "format": "json"}
    default = web.post("/match", data=form, headers=SAME_SITE).json()
    strict = web.post("/match", data={**form, "policy": "strict"}, headers=SAME_SITE).json()
    assert (default["policy"], strict["policy"]) == ("default", "strict")
    assert any(t["to_confirm"] for t in default["trials"])
    for t in strict["trials"]:
        assert t["policy"] == "strict" and t["to_confirm"] == 0 and not t["confirm"]
        assert t["summary"] == t["eligibility"] and t["counts"]["presumed"] == 0
    page = web.post("/match", data={"note": DEMO_NOTE, "top": "5", "policy": "strict"}, headers=SAME_SITE).text
    assert page.count('name="policy" value="strict"') == len(strict["trials"])  # each trial's page keeps it
    first = strict["trials"][0]
    detail = web.post(f"/match/{first['nct_id']}", headers=SAME_SITE, data={
        "patient": json.dumps({"note": DEMO_NOTE}), "policy": "strict", "format": "json"}).json()
    assert detail["policy"] == "strict" and detail["patient"]["presumed"] == []
    assert not any(c["presumed"] for c in detail["criteria"]) and detail["score"] == first["score"]
    bad = web.post("/match", data={"note": DEMO_NOTE, "policy": "lenient"}, headers=SAME_SITE)
    assert bad.status_code == 400 and "no absence policy" in bad.text and "(policy)" in bad.text
    assert '<form method="post" action="/match"' in bad.text
    bad_trial = web.post(f"/match/{first['nct_id']}", headers=SAME_SITE,
                         data={"patient": json.dumps({"note": DEMO_NOTE}), "policy": "lenient"})
    assert bad_trial.status_code == 400


def test_a_trial_page_scores_the_trial_as_the_ranked_list_did(web: Any) -> None:
    ranked = web.post("/match", data={"note": DEMO_NOTE, "top": "3", "open_only": "1"}, headers=SAME_SITE).text
    view = web.post("/match", data={"note": DEMO_NOTE, "top": "3", "open_only": "1", "format": "json"},
                    headers=SAME_SITE).json()
    form = re.search(r'<form method="post" action="/match/(NCT\d{8})".*?</form>', ranked, re.S)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
    assert fields["open_only"] == "1" and fields["policy"] == "default"
    data = {k: html.unescape(v) for k, v in fields.items()}
    detail = web.post(f"/match/{form.group(1)}", data={**data, "format": "json"}, headers=SAME_SITE).json()
    assert (detail["score"], detail["relevance"]) == (view["trials"][0]["score"], view["trials"][0]["relevance"])


@pytest.mark.parametrize("name", ["valid.json", "bundle_crc.json", "note_onc.txt"])
def test_match_an_uploaded_patient_file(web: Any, name: str) -> None:
    files = {"file": (name, patient_text(name).encode(), "application/octet-stream")}
    r = web.post("/match", data={"top": "3", "format": "json"}, files=files, headers=SAME_SITE)
    assert r.status_code == 200, r.text
    assert len(r.json()["trials"]) == 3


@pytest.mark.parametrize(("data", "files", "status", "words"), [
    ({"note": "   "}, None, 422, "paste a clinical note"),
    ({"note": DEMO_NOTE, "top": "0"}, None, 400, "top 0"),
    ({"note": DEMO_NOTE, "trials": "NCT123"}, None, 400, "NCT followed by 8 digits"),
    ({}, {"file": ("broken.json", b'{"age": ', "application/json")}, 400, "not valid JSON"),
    ({}, {"file": ("latin1.txt", "âge 62 ans, cancer du sein".encode("latin-1"), "text/plain")}, 422, "UTF-8"),
    ({}, {"file": ("wrong.json", patient_text("wrong_types.json").encode(), "application/json")}, 422, ""),
])
def test_bad_patient_input_keeps_the_form_and_says_why(web: Any, data: dict[str, str], files: Any, status: int,
                                                       words: str) -> None:
    r = web.post("/match", data=data, files=files, headers=SAME_SITE)
    assert r.status_code == status
    assert 'class="error-message"' in r.text and words in r.text
    assert '<form method="post" action="/match"' in r.text
    if data.get("note", "").strip():
        assert shown(data["note"][:40]) in r.text  # the user's note is kept in the form


def test_forms_posted_from_another_site_are_refused(web: Any) -> None:
    for headers in ({"origin": "http://evil.example"}, {"origin": "null"}, {"sec-fetch-site": "cross-site"}):
        r = web.post("/match", data={"note": DEMO_NOTE}, headers=headers)
        assert r.status_code == 403, headers
        assert "own pages" in r.text


def test_off_loopback_the_match_page_needs_the_key(served_db: Path) -> None:
    key = "k" * 20
    with make_client(served_db, host="0.0.0.0", api_key=key) as c:
        form = c.get("/match").text
        assert 'name="api_key"' in form
        assert c.post("/match", data={"note": DEMO_NOTE}, headers=SAME_SITE).status_code == 401
        ok = c.post("/match", data={"note": DEMO_NOTE, "api_key": key, "top": "2"}, headers=SAME_SITE)
        assert ok.status_code == 200
        patient = _hidden(ok.text, "patient")
        nct = re.search(r'action="/match/(NCT\d{8})"', ok.text).group(1)
        assert c.post(f"/match/{nct}", data={"patient": patient}, headers=SAME_SITE).status_code == 401
        assert c.post(f"/match/{nct}", data={"patient": patient, "api_key": key},
                      headers=SAME_SITE).status_code == 200
    assert json.loads(patient)["note"] == DEMO_NOTE


def test_alternatives_are_shown_under_their_lead_in_and_never_listed_as_failing(web: Any) -> None:
    # NCT00002520 (bundled sample): "One of the following diagnoses:" then three stages/cancers as sub-items
    form = {"note": "A 58-year-old man with stage II colorectal cancer who smokes a pack a day.",
            "trials": "NCT00002520", "format": "json"}
    ranked = web.post("/match", data=form, headers=SAME_SITE).json()["trials"][0]
    detail = web.post("/match/NCT00002520", headers=SAME_SITE, data={
        "patient": json.dumps({"note": form["note"]}), "format": "json"}).json()
    lead = next(c for c in detail["criteria"] if c["group"])
    alternatives = [c for c in detail["criteria"] if c["alternative_of"] == lead["index"]]
    assert len(alternatives) == 3 and lead["group"]["kind"] == "any_of"
    assert lead["group"]["reason"]
    assert not {f["text"] for f in ranked["fails"]} & {a["text"] for a in alternatives}
    page = web.post("/match/NCT00002520", headers=SAME_SITE,
                    data={"patient": json.dumps({"note": form["note"]})}).text
    assert page.count(" alternative\">") == 3 and "Any one of the items below is enough" in page
    study = web.get("/studies/NCT00002520").text
    assert "Any one of the sub-items is enough" in study
