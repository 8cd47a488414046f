"""Vocabulary expansion: abbreviations, MeSH headings, subtypes, brand names, drug classes, stemming traps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_SAMPLE
from trialscout.ingest import ingest
from trialscout.model import Study
from trialscout.search.expand import expand, expanded_expression
from trialscout.search.request import SearchRequest, run
from trialscout.store import SqliteStore


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SqliteStore:
    store = SqliteStore(tmp_path_factory.mktemp("expand") / "sample.db")
    ingest(store, [BUNDLED_SAMPLE])
    return store


def found(store: SqliteStore, expand: bool, **areas: str) -> set[str]:
    return {h.nct_id for h in run(store, SearchRequest(page_size=1000, expand=expand, **areas)).hits}


def alternatives(text: str) -> set[str]:
    return {" ".join(a) for g in expand(text) for a in g.alternatives}


def test_abbreviation_finds_the_mesh_heading(sample: SqliteStore) -> None:
    # NCT00001450 is indexed under "Carcinoma, Non-Small-Cell Lung"; its record never writes "NSCLC".
    assert "NCT00001450" in found(sample, True, cond="NSCLC")
    assert "NCT00001450" not in found(sample, False, cond="NSCLC")


def test_brand_name_finds_the_generic(sample: SqliteStore) -> None:
    tamoxifen = found(sample, False, intr="tamoxifen")
    assert tamoxifen and found(sample, False, intr="Nolvadex") == set()
    assert found(sample, True, intr="Nolvadex") == tamoxifen


def test_parent_type_brings_its_subtypes() -> None:
    nsclc = alternatives("non-small cell lung cancer")
    assert {"lung adenocarcinoma", "lung squamous cell carcinoma"} <= nsclc
    assert "breast" not in alternatives("breast cancer")  # broader words are not alternatives


def test_a_subtype_never_brings_its_siblings_or_parent() -> None:
    marginal = alternatives("marginal zone lymphoma")
    assert "splenic marginal zone lymphoma" in marginal  # its own subtype
    assert not {"burkitt lymphoma", "follicular lymphoma", "mantle cell lymphoma"} & marginal
    assert "follicular thyroid cancer" not in alternatives("papillary thyroid cancer")
    assert "non small cell lung cancer" not in alternatives("lung adenocarcinoma")


def test_expansion_is_the_same_in_every_process() -> None:
    import os
    import subprocess
    import sys

    code = ("from trialscout.search.expand import expanded_expression; "
            "print(expanded_expression('breast cancer lymphoma leukemia', mode='all'))")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(runs) == 1


def test_drug_class_brings_its_members() -> None:
    members = alternatives("anthracycline")
    assert {"doxorubicin", "epirubicin"} <= members


def test_liver_metastases_find_liver_neoplasms(tmp_path: Path, v2_json_dir: Path) -> None:
    data = json.loads((v2_json_dir / "NCT03418623.json").read_text("utf-8"))
    data["protocolSection"]["identificationModule"]["briefTitle"] = "Ablation for colorectal cancer"
    data["protocolSection"]["conditionsModule"]["conditions"] = ["Liver Neoplasms", "Colorectal Neoplasms"]
    with SqliteStore(tmp_path / "x.db") as store:
        with store.transaction():
            store.upsert(Study.from_v2(data))
        assert found(store, True, cond="colorectal cancer liver metastases") == {"NCT03418623"}
        assert found(store, False, cond="colorectal cancer liver metastases") == set()


def test_metastasis_and_metastases_find_the_same(sample: SqliteStore) -> None:
    assert found(sample, True, cond="brain metastasis") == found(sample, True, cond="brain metastases")
    assert found(sample, False, cond="bone metastasis") == found(sample, False, cond="bone metastases")


@pytest.mark.parametrize("text", ['NSCLC" OR *', "NEAR(breast cancer)", "pd-1: inhibitor", "x" * 5000])
def test_expanded_expressions_stay_safe(sample: SqliteStore, text: str) -> None:
    expression = expanded_expression(text)
    assert expression is None or "*" not in expression.replace('"*"', "")
    assert run(sample, SearchRequest(cond=text)).total is not None


def test_the_shipped_lexicon_is_current_and_the_same_as_a_fresh_build() -> None:
    import gzip
    import json
    from importlib import resources

    from trialscout.search import expand

    shipped = json.loads(gzip.decompress(resources.files("trialscout.search").joinpath(
        expand.LEXICON_FILE).read_bytes()))
    assert shipped["sources_sha256"] == expand.sources_fingerprint(), "run scripts/make_search_lexicon.py"
    assert expand.lexicon() == expand.build_lexicon()
