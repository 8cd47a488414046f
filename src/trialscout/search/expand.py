"""Query expansion with cancer and drug vocabularies: a phrase a person types also searches for its synonyms,
its subtypes, and the MeSH headings records are indexed under ("NSCLC" → "non-small cell lung carcinoma",
"colorectal cancer liver metastases" → also "Liver Neoplasms", "Keytruda" → "pembrolizumab",
"PD-1 inhibitor" → its member drugs)."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from trialscout.store.text import fold
from trialscout.vocab import oncotree
from trialscout.vocab._data import load
from trialscout.vocab.drugnames import drug_names

MAX_PHRASE_WORDS = 8
MAX_ALTERNATIVES = 30
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Group:
    """Words of the query and what they stand for: each alternative is a list of words to find together."""

    words: tuple[str, ...]
    alternatives: tuple[tuple[str, ...], ...]


def words_of(text: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _WORD.findall(fold(text.replace("-", " "))))


@cache
def rules() -> dict:
    return json.loads(resources.files("trialscout.search").joinpath("rules/expansions.json").read_text("utf-8"))


LEXICON_FILE = "rules/lexicon.json.gz"
"""The lexicon as built from its sources, shipped so that a search does not rebuild it at every start (a tenth of
a second); written by scripts/make_search_lexicon.py and used only while its sources are unchanged."""
_SOURCES = (("trialscout.vocab", "oncotree.json"), ("trialscout.vocab", "oncotree_phrases.json"),
            ("trialscout.vocab", "do_cancer.json"), ("trialscout.vocab", "drugs.json"),
            ("trialscout.search", "rules/expansions.json"))

Lexicon = dict[tuple[str, ...], tuple[tuple[str, ...], ...]]


@cache
def lexicon() -> Lexicon:
    """Phrase (as words) → the phrases it also means: the shipped build when its sources are unchanged, else built
    now from them."""
    shipped = resources.files("trialscout.search").joinpath(LEXICON_FILE)
    if shipped.is_file():
        doc = json.loads(gzip.decompress(shipped.read_bytes()))
        if doc.get("sources_sha256") == sources_fingerprint():
            return {tuple(p): tuple(tuple(a) for a in alts) for p, alts in doc["lexicon"]}
    return build_lexicon()


def sources_fingerprint() -> str:
    digest = hashlib.sha256()
    for package, name in _SOURCES:
        digest.update(resources.files(package).joinpath(name).read_bytes())
    return digest.hexdigest()


def lexicon_document() -> dict:
    """What scripts/make_search_lexicon.py writes: the build and the fingerprint of what it was built from."""
    return {"sources_sha256": sources_fingerprint(),
            "lexicon": [[list(p), [list(a) for a in alts]] for p, alts in sorted(build_lexicon().items())]}


def build_lexicon() -> Lexicon:
    """Built from OncoTree, the Disease Ontology cancer slim, our drug classes and the expansion rules."""
    concepts: dict[tuple[str, ...], set[tuple[str, ...]]] = {}

    def link(names: list[str]) -> None:
        group = {words_of(n) for n in names if words_of(n)}
        for phrase in group:
            concepts.setdefault(phrase, set()).update(group)

    _oncotree_concepts(link, concepts)
    for term in load("do_cancer.json")["terms"].values():
        link([term["name"], *term["synonyms"]])
    for phrase, alternatives in rules()["phrases"].items():
        concepts.setdefault(words_of(phrase), set()).update(words_of(a) for a in alternatives)
    _drug_class_concepts(concepts)
    _mesh_neoplasm_headings(concepts)
    generic = {(w,) for w in rules()["generic"]}
    # shortest first, ties alphabetical: the same expansion in every process
    return {p: tuple(sorted(alts, key=lambda a: (len(a), a))[:MAX_ALTERNATIVES]) for p, alts in concepts.items()
            if p not in generic}


def _oncotree_concepts(link, concepts: dict[tuple[str, ...], set[tuple[str, ...]]]) -> None:  # noqa: ANN001
    """A type's names are synonyms of each other; a type also finds its subtypes, but a subtype does not find its
    parent or its siblings ("marginal zone lymphoma" must not search "Burkitt lymphoma")."""
    phrases = load("oncotree_phrases.json")["names"]
    by_code: dict[str, list[str]] = {}
    for phrase, code in phrases.items():
        by_code.setdefault(code, []).append(phrase)
    tree = oncotree()
    children: dict[str, list[str]] = {}
    for code, t in tree.items():
        if t.parent:
            children.setdefault(t.parent, []).append(code)
    for code, names in by_code.items():
        node = tree.get(code)
        if node is None:
            link(names)
            continue
        subtypes = [tree[c].name for c in children.get(code, []) if c in tree]
        if node.parent is None:
            # a tissue ("Breast", "Skin") is an organ, not a tumour type: only its children that name the organ
            organ = set(words_of(node.name))
            subtypes = [n for n in subtypes if organ & set(words_of(n))]
        else:
            names = [*names, node.name]
        link(names)
        narrower = {words_of(n) for n in subtypes if words_of(n)}
        for phrase in {words_of(n) for n in names if words_of(n)}:
            concepts[phrase].update(narrower)


def _mesh_neoplasm_headings(concepts: dict[tuple[str, ...], set[tuple[str, ...]]]) -> None:
    """MeSH names organ cancers "<Organ> Neoplasms": "colorectal cancer" also searches "colorectal neoplasms"."""
    cancer_words = set(rules()["cancer_words"]["words"])
    for phrase in list(concepts):
        if len(phrase) >= 2 and phrase[-1] in cancer_words:
            concepts[phrase].add((*phrase[:-1], "neoplasms"))


def _drug_class_concepts(concepts: dict[tuple[str, ...], set[tuple[str, ...]]]) -> None:
    drugs = load("drugs.json")
    members: dict[str, list[str]] = {}
    for agent, info in drugs["agents"].items():
        for cls in info.get("classes", []):
            members.setdefault(cls, []).append(agent)
    for cls, info in drugs["classes"].items():
        phrases = [s for s in info.get("synonyms", []) if not s.startswith("=")]
        for p in phrases:
            concepts.setdefault(words_of(p), set()).update(words_of(x) for x in [*phrases, *members.get(cls, [])])
    for agent, info in drugs["agents"].items():
        names = [agent, *(n for n in info.get("names", []) if not n.startswith("="))]
        group = {words_of(n) for n in names}
        for phrase in group:
            concepts.setdefault(phrase, set()).update(group)


def expand(text: str) -> list[Group]:
    """The query's words grouped into known phrases (longest first) with their alternatives; words that
    start no known phrase stand alone (a drug name from the drug-name package still gets its other names)."""
    words, groups, i = words_of(text), [], 0
    table = lexicon()
    while i < len(words):
        for n in range(min(MAX_PHRASE_WORDS, len(words) - i), 0, -1):
            phrase = words[i:i + n]
            if phrase in table:
                # an alternative made only of some of the phrase's own words is broader ("breast" for
                # "breast cancer"): it would widen the search instead of translating it
                narrower = [a for a in table[phrase] if not set(a) < set(phrase)]
                groups.append(Group(phrase, tuple(dict.fromkeys((phrase, *narrower)))))
                i += n
                break
        else:
            word = words[i]
            others = tuple(words_of(x) for x in drug_names(word)) if len(word) > 3 else ()
            groups.append(Group((word,), tuple(dict.fromkeys(((word,), *others)))))
            i += 1
    return groups


def expanded_expression(text: str | None, *, mode: str = "all", max_groups: int = 64) -> str | None:
    """An FTS5 expression: each group is any of its alternatives (an alternative's words near each other, in
    any order), groups joined by AND (`all`) or OR (`any`). Every word is quoted: no user syntax reaches FTS5."""
    groups = expand(text or "")[:max_groups]
    if not groups:
        return None
    parts = [_group_expression(g) for g in groups]
    return (" AND " if mode == "all" else " OR ").join(parts)


def _group_expression(g: Group) -> str:
    alts = []
    for words in g.alternatives:
        quoted = " ".join(f'"{w}"' for w in words)
        alts.append(quoted if len(words) == 1 else f"NEAR({quoted}, {len(words) + 2})")
    return alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")"
