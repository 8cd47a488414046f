"""ClinicalTrials.gov-style requests on a real store: query areas, sorting, page tokens, facets, bad input."""

from __future__ import annotations

import pytest

from tests.conftest import BUNDLED_SAMPLE
from trialscout.errors import QueryError
from trialscout.ingest import ingest
from trialscout.search.request import SearchRequest, request_from_params, run
from trialscout.store import SqliteStore


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> SqliteStore:
    s = SqliteStore(tmp_path_factory.mktemp("request") / "sample.db")
    ingest(s, [BUNDLED_SAMPLE])
    return s


def ids(store: SqliteStore, **kw: object) -> list[str]:
    return [h.nct_id for h in run(store, SearchRequest(page_size=1000, **kw)).hits]


def test_query_areas_search_their_own_fields(store: SqliteStore) -> None:
    by_intr = ids(store, intr="tamoxifen")
    assert by_intr
    for nct in by_intr:
        study = store.get(nct)
        names = " ".join([iv.name for iv in study.interventions] + [n for iv in study.interventions
                                                                    for n in iv.otherNames or []]
                         + study.intervention_mesh_terms()).lower()
        assert "tamoxifen" in names
    by_term = ids(store, term="tamoxifen")
    assert set(by_intr) < set(by_term)  # the word also occurs in summaries and criteria of other trials
    for nct in ids(store, cond="melanoma"):
        s = store.get(nct)
        assert "melanoma" in " ".join(s.conditions + s.keywords + s.condition_mesh_terms()).lower()
    for nct in ids(store, spons="Eastern Cooperative Oncology Group"):
        sc = store.get(nct).protocolSection.sponsorCollaboratorsModule
        names = [sc.leadSponsor.name] + [c.name for c in sc.collaborators or []]
        assert any("Eastern Cooperative Oncology Group" in n for n in names)
    assert set(ids(store, cond="breast", intr="tamoxifen")) == set(ids(store, cond="breast")) & set(by_intr)


def test_sorting_by_dates(store: SqliteStore) -> None:
    hits = run(store, SearchRequest(cond="cancer", sort="StartDate:asc", page_size=50)).hits
    dates = [store.get(h.nct_id).protocolSection.statusModule.startDateStruct for h in hits]
    values = [d.date for d in dates if d is not None]
    assert values == sorted(values)
    newest = run(store, SearchRequest(sort="LastUpdatePostDate", page_size=20)).hits
    updates = [h.last_update for h in newest]
    assert updates == sorted(updates, reverse=True)


def test_page_tokens_walk_the_whole_result_once(store: SqliteStore) -> None:
    everything = ids(store, term="cancer")
    req = SearchRequest(term="cancer", page_size=7)
    seen: list[str] = []
    while True:
        page = run(store, req)
        seen += [h.nct_id for h in page.hits]
        if not page.next_page_token:
            break
        req = req.model_copy(update={"page_token": page.next_page_token})
    assert seen == everything and len(set(seen)) == len(seen)


def test_tampered_or_foreign_tokens_are_refused(store: SqliteStore) -> None:
    token = run(store, SearchRequest(term="cancer", page_size=5)).next_page_token
    assert token
    payload, sig = token.split(".")
    for bad in (f"{payload}.{'0' * len(sig)}", f"{payload[:-2]}AA.{sig}", "nonsense", ".", token + "x"):
        with pytest.raises(QueryError, match="pageToken"):
            run(store, SearchRequest(term="cancer", page_size=5, page_token=bad))
    with pytest.raises(QueryError, match="different query"):
        run(store, SearchRequest(term="lung", page_size=5, page_token=token))


def test_facets_count_the_current_query(store: SqliteStore) -> None:
    page = run(store, SearchRequest(cond="breast cancer", page_size=1), facets=True)
    assert page.facets is not None
    assert sum(page.facets["overallStatus"].values()) == page.total
    assert sum(page.facets["studyType"].values()) == page.total
    assert set(page.facets["phase"]) <= {"NA", "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4"}
    recruiting = page.facets["overallStatus"].get("RECRUITING", 0)
    assert run(store, SearchRequest(cond="breast cancer", statuses=["RECRUITING"])).total == recruiting
    us = page.facets["country"].get("US", 0)
    assert run(store, SearchRequest(cond="breast cancer", countries=["US"])).total == us


@pytest.mark.parametrize("text", ['"', "*", "NEAR(a b)", "title:cancer", "{conditions}: x", "a OR", "^x",
                                  "'; DROP TABLE studies; --", "x" * 9_999])
def test_syntax_in_every_area_is_just_words(store: SqliteStore, text: str) -> None:
    for area in ("cond", "intr", "titles", "outcomes", "spons", "locn", "term"):
        page = run(store, SearchRequest(**{area: text}))
        assert page.total is not None
    assert store.count() == 300


def test_bad_requests(store: SqliteStore) -> None:
    with pytest.raises(QueryError, match="characters"):
        run(store, SearchRequest(term="x" * 10_001))
    with pytest.raises(QueryError, match="sort"):
        run(store, SearchRequest(sort="Popularity"))
    with pytest.raises(QueryError, match="pageSize"):
        run(store, SearchRequest(page_size=0))
    with pytest.raises(QueryError, match="pageSize"):
        request_from_params({"pageSize": "ten"})
    with pytest.raises(QueryError, match="status"):
        run(store, request_from_params({"filter.overallStatus": "RECRUITING|SOMETIMES"}))


def test_api_parameter_names(store: SqliteStore) -> None:
    req = request_from_params({"query.cond": "breast cancer", "filter.overallStatus": "RECRUITING,COMPLETED",
                               "pageSize": "5", "sort": "LastUpdatePostDate:desc"})
    page = run(store, req)
    assert len(page.hits) <= 5 and {h.status for h in page.hits} <= {"RECRUITING", "COMPLETED"}


def test_date_ranges(store: SqliteStore) -> None:
    hits = run(store, SearchRequest(start_from="2000", start_to="2001-06", page_size=1000)).hits
    assert hits
    for h in hits:
        start = store.get(h.nct_id).protocolSection.statusModule.startDateStruct.date
        assert "2000" <= start[:7] <= "2001-06", (h.nct_id, start)
    recent = run(store, SearchRequest(updated_from="2023-01", page_size=1000)).hits
    assert recent and all(h.last_update >= "2023-01" for h in recent)
    req = request_from_params({"filter.advanced": "AREA[StartDate]RANGE[2000,2001-06]"})
    assert {h.nct_id for h in run(store, req.model_copy(update={"page_size": 1000})).hits} == \
        {h.nct_id for h in hits}
    for bad in ({"start_from": "last year"}, {"start_from": "2021", "start_to": "2020"}):
        with pytest.raises(QueryError):
            run(store, SearchRequest(**bad))
    with pytest.raises(QueryError, match="filter.advanced"):
        request_from_params({"filter.advanced": "AREA[Phase]PHASE2"})
