"""The clinical vocabulary: its curated examples, synonyms, hierarchy, folding and matching rules."""

from __future__ import annotations

import gzip
import hashlib
import json
from importlib import resources

import pytest

from trialscout.vocab import clinical
from trialscout.vocab._data import load

TERMS = load("clinical_terms.json")


def ids_in(text: str) -> set[str]:
    return {i for m in clinical.find(text) for i in m.ids}


def one(phrase: str) -> str:
    """The single concept a whole phrase names."""
    ids = clinical.lookup(phrase)
    assert len(ids) >= 1, f"{phrase!r} names no concept"
    return ids[0]


@pytest.mark.parametrize(("text", "expected"), TERMS["examples"], ids=[e[0][:40] for e in TERMS["examples"]])
def test_curated_examples(text: str, expected: str | None) -> None:
    found = ids_in(text)
    if expected is None:
        assert not found, f"{text!r} found {found}"
    else:
        assert clinical.canonical(expected) in found, f"{text!r}: {expected} not in {found}"


def test_shipped_data_was_built_from_the_curated_file() -> None:
    raw = resources.files("trialscout.vocab").joinpath("clinical_terms.json").read_bytes()
    data = json.loads(gzip.decompress(resources.files("trialscout.vocab").joinpath(clinical.DATA).read_bytes()))
    assert data["curated_sha256"] == hashlib.sha256(raw).hexdigest(), "run scripts/make_clinical_vocab.py"
    assert data["fold_version"] == clinical.FOLD_VERSION


def test_every_curated_id_is_a_concept() -> None:
    for cid in (*TERMS["terms"], *TERMS["concepts"], *TERMS["classes"], *TERMS["general"]):
        assert clinical.canonical(cid), cid
        assert clinical.kind(cid) in clinical.KINDS


@pytest.mark.parametrize(("general", "specific"), [
    ("cardiovascular disease", "myocardial infarction"),
    ("heart disease", "myocardial infarction"),
    ("heart disease", "heart attack"),
    ("diabetes mellitus", "type 2 diabetes"),
    ("diabetes", "T2DM"),
    ("beta blockers", "atenolol"),
    ("beta-blockers", "Tenormin"),
    ("antihypertensives", "metoprolol"),
    ("mental disorders", "bipolar disorder"),
    ("lung disease", "pneumonia"),
    ("infection", "pneumonia"),
    ("respiratory tract infections", "pneumonia"),
    ("mood stabilizers", "lithium"),
    ("antidepressants", "sertraline"),
    ("SSRIs", "escitalopram"),
    ("anticoagulants", "Coumadin"),
    ("NSAIDs", "ibuprofen"),
    ("penicillins", "amoxicillin"),
    ("antibiotics", "ceftriaxone"),
    ("TNF inhibitors", "adalimumab"),
    ("immunosuppressants", "tacrolimus"),
    ("corticosteroids", "prednisone"),
    ("live vaccines", "yellow fever vaccine"),
    ("stroke", "CVA"),
    ("heart failure", "CHF"),
    ("liver disease", "cirrhosis"),
    ("hepatitis", "hepatitis C"),
    ("venous thromboembolism", "DVT"),
    ("pain", "chest pain"),
    ("medication", "atenolol"),
])
def test_subsumption(general: str, specific: str) -> None:
    assert clinical.subsumes(one(general), one(specific))
    assert one(general) in clinical.ancestors(one(specific))


@pytest.mark.parametrize(("general", "specific"), [
    ("antipsychotics", "lithium"),
    ("benzodiazepines", "olanzapine"),
    ("myocardial infarction", "cardiovascular disease"),
    ("type 2 diabetes", "diabetes mellitus"),
    ("beta blockers", "amlodipine"),
    ("antiemetics", "dexamethasone"),
])
def test_no_subsumption(general: str, specific: str) -> None:
    assert not clinical.subsumes(one(general), one(specific))


def test_synonyms_and_abbreviations_name_one_concept() -> None:
    assert one("shortness of breath") == one("dyspnea") == one("SOB") == one("breathlessness")
    assert one("heart attack") == one("myocardial infarction") == one("MI")
    assert one("high blood pressure") == one("HTN") == one("hypertension")
    assert one("Tenormin") == one("atenolol")
    assert clinical.kind(one("atenolol")) == "drug" and clinical.kind(one("beta blockers")) == "drug_class"
    assert clinical.kind(one("dyspnea")) == "finding" and clinical.kind(one("asthma")) == "disease"


def test_same_as_merges_a_do_term_with_its_mesh_descriptor() -> None:
    mi = one("myocardial infarction")
    assert "MESH:D009203" in clinical.same_as(mi)
    assert clinical.canonical("MESH:D009203") == mi
    assert clinical.label("MESH:D009203") == clinical.label(mi) == "myocardial infarction"
    assert {"MESH:D002318", "MESH:D006331", "DOID:114"} <= clinical.ancestors("MESH:D009203")


def test_plurals_possessives_spelling_and_variants_fold_together() -> None:
    f = clinical.fold_phrase
    assert f("brain metastases") == f("brain metastasis")
    assert f("diseases") == f("disease") and f("disorders") == f("disorder") and f("infections") == f("infection")
    assert f("patients'") == f("patient") and f("Crohn's disease") == f("Crohn disease")
    assert f("non-small-cell") == f("non small cell") and f("type II diabetes") == f("type 2 diabetes")
    assert f("oedema") == f("edema") and f("haemorrhages") == f("hemorrhage") and f("tumours") == f("tumor")
    assert f("β-blockers") == f("beta blockers") and f("COVID-19") == f("covid19")
    assert one("brain metastases") == one("brain metastasis")
    assert one("urinary tract infections") == one("urinary tract infection")
    assert one("type II diabetes") == one("type 2 diabetes")


def test_abbreviations_are_case_sensitive() -> None:
    assert one("MS") == one("multiple sclerosis")
    assert ids_in("history of MS") == {one("multiple sclerosis")}
    assert not ids_in("a 5 ms pulse") and not ids_in("QTc 470 ms") and not ids_in("5ms")
    assert not ids_in("the pe teacher") and not ids_in("mi casa")


def test_only_whole_words_match() -> None:
    assert not ids_in("goutweed") and not ids_in("antiasthma") and not ids_in("MIx")
    assert ids_in("gout") == {one("gout")}
    assert not ids_in("T2DM"[1:])  # '2DM' is no word
    assert ids_in("T2DM") == {one("type 2 diabetes")}


def test_longest_match_wins_without_overlaps() -> None:
    mentions = clinical.find("type 2 diabetes mellitus and lung cancer")
    assert [m.text for m in mentions] == ["type 2 diabetes mellitus", "lung cancer"]
    assert all(a.end <= b.start for a, b in zip(mentions, mentions[1:], strict=False))
    assert mentions[0].ids == (one("type 2 diabetes"),)


def test_no_match_runs_across_a_comma() -> None:
    assert [m.text for m in clinical.find("nausea, vomiting")] == ["nausea", "vomiting"]


def test_mentions_point_into_the_text() -> None:
    text = "Pt has afib; on Coumadin."
    for m in clinical.find(text):
        assert text[m.start:m.end] == m.text
    assert [m.text for m in clinical.find(text)] == ["afib", "Coumadin"]


def test_stop_listed_words_are_not_matched() -> None:
    stop = set(TERMS["stop"])
    assert {"cold", "fit", "lead", "back"} <= stop
    for text in ("cold", "catch a cold", "fit for the trial", "lead investigator", "come back", "a sign of"):
        assert not ids_in(text), text


def test_a_plain_sentence_names_nothing() -> None:
    assert clinical.find("The patient will provide informed consent and comply with the protocol.") == []
    assert clinical.find("Patients must be 18 years of age or older.") == []


def test_general_concepts() -> None:
    assert clinical.is_general("DOID:4") and clinical.is_general(one("medication"))
    assert clinical.is_general(one("therapy"))
    assert not clinical.is_general(one("myocardial infarction")) and not clinical.is_general(one("beta blockers"))
    assert clinical.depth("DOID:4") == 0
    assert clinical.depth(one("myocardial infarction")) > clinical.depth(one("heart disease")) > 0


def test_tree_functions() -> None:
    mi = one("myocardial infarction")
    assert clinical.parents(mi) and all(clinical.canonical(p) == p for p in clinical.parents(mi))
    assert mi in clinical.ancestors(mi)
    assert clinical.subsumes(mi, "MESH:D009203")
    assert clinical.ancestors("NOT:AN-ID") == frozenset({"NOT:AN-ID"})
    assert not clinical.subsumes("NOT:AN-ID", mi) and clinical.subsumes("NOT:AN-ID", "NOT:AN-ID")
    assert not clinical.is_general("NOT:AN-ID") and clinical.canonical("NOT:AN-ID") is None
    with pytest.raises(KeyError):
        clinical.label("NOT:AN-ID")


def test_drugs_json_agents_sit_in_their_classes() -> None:
    agents = load("drugs.json")["agents"]
    mapping = TERMS["drugs_json_classes"]
    checked = 0
    for agent, spec in agents.items():
        cls = next((mapping[c] for c in spec["classes"] if c in mapping), None)
        if cls is None:
            continue
        hits = [m for m in clinical.find(agent) if m.start == 0 and m.end == len(agent)]
        assert hits, agent
        assert any(clinical.subsumes(cls, i) for i in hits[0].ids), (agent, cls, hits[0].ids)
        checked += 1
    assert checked >= 40


def test_an_abbreviation_the_text_defines_means_its_long_form() -> None:
    assert not clinical.find("Estimated Abbreviated Injury Scale (AIS) score of six")
    assert [m.text for m in clinical.find("acute ischemic stroke (AIS) within 3 months")] == \
        ["acute ischemic stroke", "AIS"]
    assert [m.text for m in clinical.find("history of AIS")] == ["AIS"]


def test_a_cut_mesh_placement_gives_no_parent() -> None:
    (rhinitis,) = clinical.lookup("allergic rhinitis")
    assert not clinical.subsumes("MESH:D007239", rhinitis)  # no infection
    assert clinical.subsumes("MESH:D007239", clinical.lookup("pneumonia")[0])


@pytest.mark.parametrize(("text", "expected"), [
    ("central venous puncture or catheterization", {"catheterization": "central venous catheterization"}),
    ("breast or ovarian cancer", {"breast": "breast cancer", "ovarian cancer": "ovarian cancer"}),
    ("chronic kidney or liver disease", {"chronic kidney": "chronic kidney disease"}),
    ("heart attack or stroke", {"heart attack": "myocardial infarction"}),
])
def test_coordination_ellipsis_is_read_whole(text: str, expected: dict[str, str]) -> None:
    found = {m.text: m.ids for m in clinical.find(text)}
    for words, phrase in expected.items():
        assert set(clinical.lookup(phrase)) <= set(found[words]), (words, found)


@pytest.mark.parametrize("narrower", ["dementia", "mild cognitive impairment", "delirium", "poor memory"])
def test_curated_is_a_links_what_the_sources_miss(narrower: str) -> None:
    (impairment,) = clinical.lookup("cognitive impairment")
    assert clinical.subsumes(impairment, clinical.lookup(narrower)[0])
    assert not clinical.subsumes(impairment, clinical.lookup("depression")[0])  # DO's 'cognitive disorder' is wider
