"""Build the clinical vocabulary shipped as `src/trialscout/vocab/clinical.json.gz` (run once, offline, by a developer).

Sources: the Human Disease Ontology (doid.obo, CC0), MeSH 2015 descriptor names and tree numbers (NLM), the drug
names of the installed PyPI package drug-named-entity-recognition (MIT; its pickle is read without importing it) and
the curated `src/trialscout/vocab/clinical_terms.json` (lay terms, abbreviations, drug classes, stop-list, what the
MeSH trees are taken for). DO terms and the MeSH descriptors they cross-reference are merged into one concept when
that keeps the hierarchy a tree without cycles; otherwise the MeSH descriptor becomes a parent.

Build-time only (never a runtime dependency, never in pyproject): `wordfreq` (pip install wordfreq==3.1.1), used to
leave out drug brand names and upper-case abbreviations that are common English words.

Usage: .venv/bin/python scripts/make_clinical_vocab.py [--doid PATH] [--mesh PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import hashlib
import json
import pickle
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from wordfreq import zipf_frequency

from trialscout.vocab.clinical import FOLD_VERSION, fold_phrase

VOCAB = Path("src/trialscout/vocab")
SHARED = Path("../shared/data/vocab")
PRIORITY = {"CLS": 0, "LAY": 1, "DOID": 2, "MESH": 3, "RX": 4}
KIND_ORDER = ("drug", "drug_class", "disease", "finding", "behaviour", "procedure", "device")
_BAD_CHARS = re.compile(r"[;:=\[\]{}<>@#$%&*|\\!?\"]")


@dataclass
class Node:
    label: str
    kind: str
    parents: set[str] = field(default_factory=set)
    dominant: bool = False
    """The kind holds for the merged concept whatever its other members are (a MeSH sign or symptom)."""
    phrases: set[str] = field(default_factory=set)
    """Raw phrases from an ontology or the drug package (filtered later)."""
    curated: set[str] = field(default_factory=set)
    """Curated phrases ('=' prefix: case-sensitive), never filtered."""
    alt: set[str] = field(default_factory=set)


# ---------------------------------------------------------------- readers
def read_do(path: Path) -> tuple[dict[str, Node], dict[str, list[str]]]:
    """Live DO terms (EXACT synonyms only) and each term's MeSH descriptor cross-references."""
    nodes: dict[str, Node] = {}
    xrefs: dict[str, list[str]] = {}
    for block in path.read_text("utf-8").split("\n[Term]\n")[1:]:
        block = block.split("\n[")[0]
        if re.search(r"^is_obsolete: true", block, re.M):
            continue
        doid = re.search(r"^id: (DOID:\d+)", block, re.M).group(1)
        name = re.search(r"^name: (.+)$", block, re.M).group(1)
        node = Node(name, "disease", set(re.findall(r"^is_a: (DOID:\d+)", block, re.M)))
        node.phrases = {name, *re.findall(r'^synonym: "(.+?)" EXACT', block, re.M)}
        node.alt = set(re.findall(r"^alt_id: (DOID:\d+)", block, re.M))
        nodes[doid] = node
        xrefs[doid] = sorted(set(re.findall(r"^xref: MESH:(D\d+)", block, re.M)))
    return nodes, xrefs


def _tree_rule(tree: str, rules: list[list]) -> list | None:
    """The most specific build.mesh_trees rule [prefix, kind, kind wins, parent of the top] for a tree number."""
    fits = [r for r in rules if tree == r[0] or tree.startswith(r[0] + ".") or (len(r[0]) == 1 and tree[0] == r[0])]
    best = max(fits, key=lambda r: len(r[0]), default=None)
    return best if best and best[1] else None


def mesh_readable(name: str) -> list[str]:
    """A MeSH heading and, if inverted ('Diabetes Mellitus, Type 2'), in natural order ('Type 2 Diabetes Mellitus')."""
    name = re.sub(r"\s*\([^)]*\)", "", name).strip()
    parts = name.split(", ")
    return [name] if len(parts) == 1 else [" ".join(reversed(parts)), " ".join(parts)] if len(parts) == 2 else \
        [" ".join(reversed(parts))]


def read_mesh(path: Path, rules: list[list], cut: frozenset[str] = frozenset()) -> dict[str, Node]:
    """Selected MeSH descriptors (by tree, see build.mesh_trees) with their parents inside the selection; a tree
    number in `cut` (build.cut_trees) gives no parent."""
    names: dict[str, str] = {}
    trees: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text("utf-8").splitlines()[1:]:
        did, name, tree = line.split("\t")
        names[did] = name
        trees[did].append(tree)
    owner: dict[str, str] = {}
    kinds: dict[str, list[list]] = defaultdict(list)
    for did, ts in trees.items():
        for t in ts:
            rule = _tree_rule(t, rules)
            if rule:
                owner[t] = did
                kinds[did].append(rule)
    nodes: dict[str, Node] = {}
    for did, rs in kinds.items():
        dominant = [r[1] for r in rs if len(r) > 2 and r[2]]
        kind = dominant[0] if dominant else min((r[1] for r in rs), key=KIND_ORDER.index)
        node = Node(names[did], kind, phrases=set(mesh_readable(names[did])), dominant=bool(dominant))
        for t in trees[did]:
            if t in cut:
                continue
            parent = owner.get(t.rsplit(".", 1)[0]) if "." in t and t in owner else None
            if parent and parent != did:
                node.parents.add(f"MESH:{parent}")
        nodes[f"MESH:{did}"] = node
    for did, rs in kinds.items():  # a selected tree's top descriptor (Cardiovascular Diseases) under its root (disease)
        node = nodes[f"MESH:{did}"]
        if not node.parents:
            node.parents |= {r[3] for r in rs if len(r) > 3 and r[3]}
    return nodes


def read_drugs() -> tuple[dict[str, dict], dict[str, str]]:
    """The drug package's canonical records and its name -> canonical table."""
    with bz2.open(resources.files("drug_named_entity_recognition").joinpath("drug_ner_dictionary.pkl.bz2"), "rb") as fh:
        data = pickle.load(fh)  # noqa: S301 - the installed package's own data file
    variant = {str(v).lower(): str(cs[0]).lower() for v, cs in data["drug_variant_to_canonical"].items()}
    return {str(k).lower(): v for k, v in data["drug_canonical_to_data"].items()}, variant


# ---------------------------------------------------------------- phrase filters
def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def is_abbreviation(phrase: str) -> bool:
    """All capitals (digits allowed), at most 6 letters and digits: matched as written only ('MI', 'COPD', 'T2DM')."""
    core = re.sub(r"[\s\-/.]", "", phrase)
    return 0 < len(core) <= 6 and core.isalnum() and core.upper() == core and any(c.isalpha() for c in core)


class PhraseFilter:
    """Rejects phrases too ambiguous to match in clinical text; says why."""

    def __init__(self, stop: set[str], analytes: set[str], zipf: dict[str, float]) -> None:
        self.stop, self.analytes, self.zipf = stop, analytes, zipf

    def common(self, word: str) -> bool:
        return zipf_frequency(word, "en") >= self.zipf["words"]

    def as_written(self, phrase: str) -> bool:
        """Matched case-sensitively: an abbreviation ('COPD'), or a name led by a capital letter or an acronym that
        is an English word ('C syndrome', 'CHILD syndrome', 'SHORT syndrome')."""
        first = phrase.split()[0]
        return is_abbreviation(phrase) or (first.isalpha() and first.isupper() and " " in phrase.strip()
                                           and (len(first) == 1 or self.common(first.lower())))

    def reject(self, phrase: str, drug: bool = False, generic: bool = False) -> str | None:
        key = fold_phrase(phrase)
        letters = sum(c.isalpha() for c in phrase)
        if not key or letters < (4 if drug else 3):
            return "short"
        odd = drug and ("," in phrase or not ascii_fold(phrase).isascii())
        if odd or sum(c.isdigit() for c in phrase) > letters or _BAD_CHARS.search(phrase) or \
                len(key.split()) > (5 if drug else 10):
            return "code"
        if key in self.stop or key in self.analytes:
            return "stop"
        if is_abbreviation(phrase) and not drug:
            return "common" if zipf_frequency(phrase.lower(), "en") >= self.zipf["abbreviation"] else None
        if self.as_written(phrase) and not drug:
            return None
        if drug and self.drug_noise(key, generic):
            return "common"
        return None

    def drug_noise(self, key: str, generic: bool) -> bool:
        """A drug name that is an English word ('today'), a code ('c blue no 6', 'man 6 p') or English words
        ('all clear')."""
        if " " not in key:
            return zipf_frequency(key, "en") >= self.zipf["drug_generic" if generic else "drug_name"]
        words = [w for w in key.split() if w.isalpha()]
        short = [w for w in words if len(w) <= 2]
        long = [w for w in words if len(w) > 1]
        return len(short) >= 2 or bool(short and max(map(len, words)) < 5) or \
            (len(long) > 1 and all(map(self.common, long)))


# ---------------------------------------------------------------- merging DO and MeSH
class Graph:
    """Nodes, their merge clusters (union-find) and a cycle check for every merge and every added parent."""

    def __init__(self, nodes: dict[str, Node]) -> None:
        self.nodes = nodes
        self.up: dict[str, str] = {}
        self.members: dict[str, list[str]] = {n: [n] for n in nodes}

    def find(self, x: str) -> str:
        while x in self.up:
            x = self.up[x]
        return x

    def _above(self, cluster: str) -> set[str]:
        seen, todo = {cluster}, [cluster]
        while todo:
            for m in self.members[todo.pop()]:
                for p in self.nodes[m].parents:
                    c = self.find(p)
                    if c not in seen:
                        seen.add(c)
                        todo.append(c)
        return seen

    def merge(self, a: str, b: str) -> bool:
        ca, cb = self.find(a), self.find(b)
        if ca == cb:
            return True
        if cb in self._above(ca) or ca in self._above(cb):
            return False
        rep, other = sorted((ca, cb), key=lambda c: (PRIORITY[c.split(":")[0]], c))
        self.up[other] = rep
        self.members[rep] += self.members.pop(other)
        return True

    def add_parent(self, child: str, parent: str) -> bool:
        if self.find(child) in self._above(self.find(parent)):
            return False
        self.nodes[child].parents.add(parent)
        return True


def link_do_mesh(graph: Graph, xrefs: dict[str, list[str]]) -> tuple[int, int]:
    """Merge DO terms and MeSH descriptors that are one concept: first a DO label equal to a MeSH heading (each the
    only one so named), then a cross-referenced pair sharing a name (label or EXACT synonym). Any other descriptor a DO
    term cross-references becomes its parent (MeSH headings are as broad or broader). Merges that would make a cycle
    are skipped."""
    labels: dict[str, list[str]] = defaultdict(list)
    for i, n in graph.nodes.items():
        if i.startswith(("DOID", "MESH")):
            labels[fold_phrase(n.label if i.startswith("DOID") else mesh_readable(n.label)[0])].append(i)
    merged = parented = 0
    for _, ids in sorted(labels.items()):
        if len(ids) == 2 and ids[0].startswith("DOID") != ids[1].startswith("DOID") and graph.merge(*ids):
            merged += 1
    names = {i: {fold_phrase(p) for p in n.phrases} for i, n in graph.nodes.items() if i.startswith(("DOID", "MESH"))}
    pairs = sorted((d, f"MESH:{m}") for d, ms in xrefs.items() for m in ms if f"MESH:{m}" in graph.nodes)
    for d, m in sorted(pairs, key=lambda p: (not names[p[0]] & names[p[1]], p)):
        if graph.find(d) == graph.find(m):
            continue
        if names[d] & names[m] and graph.merge(d, m):
            merged += 1
        elif graph.add_parent(d, m):
            parented += 1
    return merged, parented


# ---------------------------------------------------------------- drugs and classes
def drug_id(name: str) -> str:
    return f"RX:{name.lower()}"


def add_drugs(nodes: dict[str, Node], canon: dict[str, dict], variant: dict[str, str], keep: set[str],
              class_keys: set[str]) -> None:
    """Package drugs that are real drugs (a DrugBank or MedlinePlus id), or that a curated class names, with names;
    never one named like a curated class ('carbapenems')."""
    wanted = {c for c, d in canon.items() if d.get("drugbank_id") or d.get("medline_plus_id")} | keep
    wanted = {c for c in wanted if c in keep or fold_phrase(c) not in class_keys}
    for c in sorted(wanted):
        nodes.setdefault(drug_id(c), Node(c, "drug", phrases={c}))
    for v, c in variant.items():
        if c in wanted and fold_phrase(v) not in class_keys:
            nodes[drug_id(c)].phrases.add(v)


def add_classes(nodes: dict[str, Node], graph_pairs: list[tuple[str, str]], curated: dict, canon: dict[str, dict],
                variant: dict[str, str]) -> None:
    """Curated drug classes: synonyms, parents, MeSH pharmacologic action (merged), members and chemical groups."""
    for cid, spec in curated["classes"].items():
        node = nodes.setdefault(cid, Node(spec["label"], "drug_class"))
        node.curated |= {spec["label"], *spec.get("synonyms", [])}
        node.parents |= set(spec.get("parents", []))
        if spec.get("mesh"):
            graph_pairs.append((cid, f"MESH:{spec['mesh']}"))
        for member in spec.get("members", []):
            rx = drug_id(variant.get(member.lower(), member.lower()))
            nodes.setdefault(rx, Node(member.lower(), "drug", phrases={member.lower()}))
            nodes[rx].curated.add(member.lower())
            nodes[rx].parents.add(cid)
        prefixes = tuple(t for g in spec.get("chemical", []) for t in canon[g.lower()]["mesh_tree"])
        for c, d in canon.items():
            if drug_id(c) in nodes and c not in spec.get("not_members", []) and \
                    any(t == p or t.startswith(p + ".") for t in d.get("mesh_tree") or () for p in prefixes):
                nodes[drug_id(c)].parents.add(cid)


def add_drugs_json(nodes: dict[str, Node], curated: dict, variant: dict[str, str]) -> None:
    """Agents of the project's oncology drugs.json whose class maps to a curated class become its members."""
    agents = json.loads((VOCAB / "drugs.json").read_text("utf-8"))["agents"]
    class_names = {fold_phrase(p) for c in curated["classes"].values() for p in (c["label"], *c.get("synonyms", []))}
    for agent, spec in sorted(agents.items()):
        target = next((curated["drugs_json_classes"][c] for c in spec["classes"] if c in curated["drugs_json_classes"]),
                      None)
        if target and fold_phrase(agent) not in class_names:
            rx = drug_id(variant.get(agent.lower(), agent.lower()))
            nodes.setdefault(rx, Node(agent.lower(), "drug", phrases={agent.lower()}))
            nodes[rx].curated.add(agent.lower())
            nodes[rx].parents.add(target)


def combination_classes(nodes: dict[str, Node]) -> None:
    """A combination product ('lisinopril and hydrochlorothiazide') is in the classes of its components."""
    for cid, node in nodes.items():
        if cid.startswith("RX:") and (" and " in node.label or ", " in node.label):
            for part in re.split(r",\s*(?:and\s+)?|\s+and\s+", node.label):
                comp = nodes.get(drug_id(part.strip()))
                if comp is not None and comp is not node:
                    node.parents |= {p for p in comp.parents if p.startswith("CLS:")}


# ---------------------------------------------------------------- assembling
def eponyms(nodes: dict[str, Node], zipf: float) -> dict[str, str]:
    """'Crohn's disease' is also said 'Crohn's': the bare possessive, where it names one concept only and the name is
    no English word ('Still's disease' stays whole)."""
    seen: dict[str, set[str]] = defaultdict(set)
    for cid, node in nodes.items():
        for p in node.phrases:
            m = re.fullmatch(r"([A-Za-z][a-z]+)'s (?:disease|syndrome)", p.strip(), re.I)
            if m and node.kind == "disease":
                seen[m.group(1) + "'s"].add(cid)
    return {p: next(iter(ids)) for p, ids in seen.items() if len(ids) == 1 and zipf_frequency(p[:-2], "en") < zipf}


def assemble(graph: Graph, filt: PhraseFilter, curated: dict) -> tuple[dict, dict, dict, dict, dict[str, int]]:
    nodes, find = graph.nodes, graph.find
    drop = {(cid, fold_phrase(p)) for cid, ps in curated["drop"].items() for p in ps}
    phrases: dict[str, set[str]] = defaultdict(set)
    exact: dict[str, set[str]] = defaultdict(set)
    rejected: dict[str, int] = defaultdict(int)
    for cid, node in nodes.items():  # curated names first: where they name a phrase, the ontologies do not
        for p in node.curated:
            if p.startswith("=") or is_abbreviation(p):
                exact[p.lstrip("=")].add(find(cid))
            else:
                phrases[fold_phrase(p)].add(find(cid))
    curated_keys, curated_forms = set(phrases), set(exact)
    for cid, node in nodes.items():
        drug = node.kind == "drug"
        for p in node.phrases:
            if (cid, fold_phrase(p)) in drop:
                rejected["dropped"] += 1
                continue
            abbreviation = not drug and filt.as_written(p)
            if (p.strip() in curated_forms) if abbreviation else (fold_phrase(p) in curated_keys):
                rejected["curated"] += 1
                continue
            why = filt.reject(p, drug=drug, generic=drug and p == node.label)
            if why:
                rejected[why] += 1
            elif abbreviation:
                exact[p.strip()].add(find(cid))
            else:
                phrases[fold_phrase(p)].add(find(cid))
    for p, cid in eponyms(nodes, filt.zipf["eponym"]).items():
        if not filt.reject(p):
            phrases[fold_phrase(p)].add(find(cid))
    named = {c for ids in (*phrases.values(), *exact.values()) for c in ids}
    named |= {find(p) for node in nodes.values() for p in node.parents if p in nodes}
    concepts = {}
    for rep, members in graph.members.items():
        if rep.startswith("RX:") and rep not in named:
            continue
        reps_parents = {find(p) for m in members for p in nodes[m].parents if p in nodes} - {rep}
        dominant = sorted(nodes[m].kind for m in members if nodes[m].dominant)
        if dominant and not any(m.startswith("DOID") for m in members):
            kind = dominant[0]
        else:
            kind = min((nodes[m].kind for m in members), key=KIND_ORDER.index)
        concepts[rep] = [nodes[rep].label, kind, sorted(reps_parents), sorted(set(members) - {rep})]
    alt = {a: find(cid) for cid, node in nodes.items() for a in node.alt if a not in nodes}
    return (dict(sorted(concepts.items())), {k: sorted(v) for k, v in sorted(phrases.items())},
            {k: sorted(v) for k, v in sorted(exact.items())}, dict(sorted(alt.items())), dict(rejected))


def load_curated(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def analyte_keys() -> set[str]:
    spec = json.loads((VOCAB / "analytes.json").read_text("utf-8"))["analytes"]
    return {fold_phrase(s.lstrip("=")) for a in spec.values() for s in a["synonyms"]}


def check_ids(curated: dict, nodes: dict[str, Node]) -> None:
    wanted = [*curated["terms"], *curated["drop"], *curated["general"], *(i for pair in curated["same"] for i in pair),
              *(i for pair in curated.get("is_a", []) for i in pair),
              *(p for c in curated["classes"].values() for p in c.get("parents", [])),
              *(p for c in curated["concepts"].values() for p in c.get("parents", []))]
    missing = sorted({w for w in wanted if w not in nodes})
    if missing:
        raise SystemExit(f"curated ids not in the vocabulary: {missing}")


def build(args: argparse.Namespace) -> dict:
    curated = load_curated(args.terms)
    rules = curated["build"]["mesh_trees"]
    nodes, xrefs = read_do(args.doid)
    nodes.update(read_mesh(args.mesh, rules, frozenset(curated["build"].get("cut_trees", []))))
    canon, variant = read_drugs()
    members = {variant.get(m.lower(), m.lower()) for c in curated["classes"].values() for m in c.get("members", [])}
    class_keys = {fold_phrase(p.lstrip("=")) for c in curated["classes"].values() for p in (c["label"], *c["synonyms"])}
    add_drugs(nodes, canon, variant, {m for m in members if m in canon}, class_keys)
    for cid, spec in curated["concepts"].items():
        nodes[cid] = Node(spec["label"], spec["kind"], set(spec.get("parents", [])), curated={spec["label"]})
    class_mesh: list[tuple[str, str]] = []
    add_classes(nodes, class_mesh, curated, canon, variant)
    add_drugs_json(nodes, curated, variant)
    combination_classes(nodes)
    check_ids(curated, nodes)
    for cid, ps in curated["terms"].items():
        nodes[cid].curated |= set(ps)
    for cid, node in nodes.items():
        node.parents &= nodes.keys()
        if cid.startswith(("RX:", "CLS:")) and not node.parents:
            node.parents.add(curated["build"]["drug_root"])
    graph = Graph(nodes)
    merged, parented = link_do_mesh(graph, xrefs)
    for a, b in curated["same"]:  # said to be one concept: an edge between them goes
        nodes[a].parents.discard(b)
        nodes[b].parents.discard(a)
    for a, b in [*class_mesh, *curated["same"]]:
        if not graph.merge(a, b):
            raise SystemExit(f"cannot merge {a} with {b}: it would make a cycle")
    for child, parent in curated.get("is_a", []):
        if not graph.add_parent(graph.find(child), graph.find(parent)):
            raise SystemExit(f"cannot put {child} under {parent}: it would make a cycle")
    stop = {fold_phrase(s) for s in curated["stop"]}
    filt = PhraseFilter(stop, analyte_keys(), curated["build"]["common_word_zipf"])
    concepts, phrases, exact, alt, rejected = assemble(graph, filt, curated)
    general = sorted({graph.find(g) for g in curated["general"]})
    print(f"DO-MeSH: {merged} merged, {parented} MeSH parents added; phrases rejected: {rejected}")
    return {
        "_doc": "Clinical concepts for trialscout.vocab.clinical, made by scripts/make_clinical_vocab.py; do not edit. "
                "concepts: id -> [label, kind, parent ids, same-as ids]; phrases: folded phrase -> ids; exact: "
                "case-sensitive abbreviation -> ids; alt_ids: obsolete DO id -> id; general: too broad to decide.",
        "sources": {"doid": args.doid.name, "mesh": args.mesh.name, "drugs": "drug-named-entity-recognition",
                    "curated": "clinical_terms.json"},
        "fold_version": FOLD_VERSION,
        "curated_sha256": hashlib.sha256(args.terms.read_bytes()).hexdigest(),
        "concepts": concepts, "phrases": phrases, "exact": exact, "alt_ids": alt, "general": general,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--doid", type=Path, default=SHARED / "doid.obo")
    ap.add_argument("--mesh", type=Path, default=SHARED / "mesh2015_tree-numbers.tsv")
    ap.add_argument("--terms", type=Path, default=VOCAB / "clinical_terms.json")
    ap.add_argument("--out", type=Path, default=VOCAB / "clinical.json.gz")
    args = ap.parse_args()
    data = build(args)
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode()
    args.out.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    kinds: dict[str, int] = defaultdict(int)
    for row in data["concepts"].values():
        kinds[row[1]] += 1
    print(f"{len(data['concepts'])} concepts {dict(sorted(kinds.items()))}, {len(data['phrases'])} phrases, "
          f"{len(data['exact'])} abbreviations -> {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
