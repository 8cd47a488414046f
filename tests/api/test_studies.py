"""Trial endpoints against the real app on a real store: v2 search and paging, records, criteria, related."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import XSS_ID, XSS_TITLE

SCRIPT_QUERY = {"query.cond": "breast cancer", "filter.overallStatus": "RECRUITING|COMPLETED", "pageSize": 5}


def ident(study: dict[str, Any]) -> dict[str, Any]:
    return study["protocolSection"]["identificationModule"]


def test_a_clinicaltrials_gov_script_pages_through_all_results(client: Any) -> None:
    seen: list[str] = []
    params: dict[str, Any] = dict(SCRIPT_QUERY)
    for _ in range(50):
        r = client.get("/api/v2/studies", params=params)
        assert r.status_code == 200, r.text
        doc = r.json()
        assert set(doc) <= {"studies", "nextPageToken", "totalCount"}
        assert 0 < len(doc["studies"]) <= 5
        for s in doc["studies"]:
            assert s["protocolSection"]["statusModule"]["overallStatus"] in ("RECRUITING", "COMPLETED")
        seen += [ident(s)["nctId"] for s in doc["studies"]]
        if "nextPageToken" not in doc:
            break
        params["pageToken"] = doc["nextPageToken"]
    assert len(seen) > 5 and len(seen) == len(set(seen))
    total = client.get("/api/v2/studies", params={**SCRIPT_QUERY, "countTotal": "true"}).json()["totalCount"]
    assert total == len(seen)


def test_total_count_only_when_asked_like_clinicaltrials_gov(client: Any) -> None:
    assert "totalCount" not in client.get("/api/v2/studies", params=SCRIPT_QUERY).json()


def test_repeated_status_parameters_and_sort(client: Any) -> None:
    r = client.get("/api/v2/studies?filter.overallStatus=COMPLETED&filter.overallStatus=RECRUITING"
                   "&sort=LastUpdatePostDate:desc&pageSize=20&fields=NCTId,OverallStatus,LastUpdatePostDate")
    assert r.status_code == 200, r.text
    dates = [s["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] for s in r.json()["studies"]]
    assert dates == sorted(dates, reverse=True)
    assert client.get("/api/v2/studies", params={"query.cond": "lung", "sort": "@relevance"}).status_code == 200


def test_fields_by_piece_name_path_and_module(client: Any) -> None:
    r = client.get("/api/v2/studies", params={**SCRIPT_QUERY, "fields": "NCTId|BriefTitle"})
    for s in r.json()["studies"]:
        assert list(s) == ["protocolSection"] and set(ident(s)) <= {"nctId", "briefTitle"}
    r = client.get("/api/v2/studies", params={**SCRIPT_QUERY, "fields": "protocolSection.conditionsModule,"
                                                                        "EligibilityModule"})
    assert set(r.json()["studies"][0]["protocolSection"]) == {"conditionsModule", "eligibilityModule"}
    r = client.get("/api/v2/studies", params={"filter.ids": "NCT00001378", "fields": "InterventionName,"
                                              "InterventionType"})
    ivs = r.json()["studies"][0]["protocolSection"]["armsInterventionsModule"]["interventions"]
    assert ivs and all(set(i) <= {"name", "type"} and "name" in i for i in ivs)


def test_bad_search_parameters_are_4xx_with_a_message(client: Any) -> None:
    cases = {("fields", "NoSuchPiece"): 400, ("sort", "Bogus"): 400, ("filter.overallStatus", "SLEEPING"): 400,
             ("pageToken", "forged.token"): 400, ("pageSize", "0"): 422, ("pageSize", "many"): 422,
             ("filter.geo", "distance(999,0,5km)"): 400, ("format", "csv"): 422, ("filter.ids", "NCT1"): 400}
    for (name, value), status in cases.items():
        r = client.get("/api/v2/studies", params={name: value})
        assert r.status_code == status, (name, value, r.text)
        assert r.json()["error"], r.text


def test_a_page_token_from_another_query_is_refused(client: Any) -> None:
    token = client.get("/api/v2/studies", params=SCRIPT_QUERY).json()["nextPageToken"]
    r = client.get("/api/v2/studies", params={"query.cond": "lung cancer", "pageSize": 5, "pageToken": token})
    assert r.status_code == 400 and r.json()["where"] == "pageToken"


def test_one_study_in_v2_shape(client: Any) -> None:
    r = client.get("/api/v2/studies/nct00001378")
    assert r.status_code == 200
    assert ident(r.json())["nctId"] == "NCT00001378" and "eligibilityModule" in r.json()["protocolSection"]
    only = client.get("/api/v2/studies/NCT00001378", params={"fields": "NCTId"}).json()
    assert only == {"protocolSection": {"identificationModule": {"nctId": "NCT00001378"}}}


def test_unknown_and_malformed_study_ids(client: Any) -> None:
    r = client.get("/api/v2/studies/NCT00000000")
    assert r.status_code == 404 and r.json() == {"error": "no study NCT00000000 in this store", "where": "nctId"}
    for path in ("/api/v2/studies/banana", "/api/studies/NCT123/criteria", "/api/studies/x/related"):
        r = client.get(path)
        assert r.status_code == 400 and "NCT ID" in r.json()["error"]
    assert client.get("/api/studies/NCT00000000/criteria").status_code == 404
    assert client.get("/api/nothing-here").status_code == 404
    assert client.delete("/api/v2/studies").status_code == 405


def test_structured_criteria_contract(client: Any) -> None:
    r = client.get("/api/studies/NCT00001378/criteria")
    assert r.status_code == 200
    crits = r.json()
    assert crits and {"type", "text"} <= set(crits[0])
    assert {c["type"] for c in crits} <= {"inclusion", "exclusion"}


def test_related_trials_say_what_they_share(client: Any) -> None:
    r = client.get("/api/studies/NCT00001378/related", params={"limit": 3})
    assert r.status_code == 200
    found = r.json()
    assert 0 < len(found) <= 3 and all(f["nct_id"] != "NCT00001378" and "shared" in f for f in found)
    assert client.get("/api/studies/NCT00001378/related", params={"limit": 0}).status_code == 422


def test_a_hostile_title_is_returned_as_plain_json_text(client: Any) -> None:
    r = client.get(f"/api/v2/studies/{XSS_ID}")
    assert r.headers["content-type"] == "application/json"
    assert ident(r.json())["briefTitle"] == XSS_TITLE
    hits = client.get("/api/v2/studies", params={"query.titles": "alert", "fields": "BriefTitle"}).json()
    assert XSS_TITLE in [ident(s)["briefTitle"] for s in hits["studies"]]


def test_health_and_openapi_use_our_parameter_names(client: Any) -> None:
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["studies"] == 301 and health["patientEndpointsRequireKey"] is False
    spec = client.get("/openapi.json").json()
    names = {p["name"] for p in spec["paths"]["/api/v2/studies"]["get"]["parameters"]}
    assert {"query.cond", "query.term", "filter.overallStatus", "filter.geo", "filter.ids", "pageSize", "pageToken",
            "countTotal", "sort", "fields"} <= names
    assert {"/api/match", "/api/screen", "/api/health", "/api/studies/{nctId}/criteria"} <= set(spec["paths"])
