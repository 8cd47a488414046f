"""Derive the OncoTree data shipped in the package from the full tree (CC BY 4.0, cBioPortal).

Outputs, both in `src/trialscout/vocab/`:
  oncotree.json          {code: [name, parent_code, main_type, tissue]}  (the code table, `trialscout.vocab.oncotree()`)
  oncotree_phrases.json  phrase -> code for finding diseases in text (node names, 'carcinoma'->'cancer' variants,
                         main types, hand-made common phrases)
Usage: python scripts/make_oncotree.py [../shared/data/vocab/oncotree_2025_10_03.json]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared/data/vocab/oncotree_2025_10_03.json")
OUT = ROOT / "src/trialscout/vocab/oncotree.json"
OUT_PHRASES = ROOT / "src/trialscout/vocab/oncotree_phrases.json"

MANUAL = {
    "breast cancer": "BREAST", "breast carcinoma": "BREAST", "lung cancer": "LUNG", "lung carcinoma": "LUNG",
    "nsclc": "NSCLC", "non small cell lung cancer": "NSCLC", "non small cell lung carcinoma": "NSCLC",
    "nonsmall cell lung cancer": "NSCLC", "sclc": "SCLC", "small cell lung cancer": "SCLC",
    "colorectal cancer": "COADREAD", "colorectal carcinoma": "COADREAD", "crc": "COADREAD", "mcrc": "COADREAD",
    "colon cancer": "COAD", "colon carcinoma": "COAD", "rectal cancer": "READ", "rectal carcinoma": "READ",
    "colo rectal cancer": "COADREAD", "ovarian cancer": "OVARY", "ovarian carcinoma": "OVARY",
    "epithelial ovarian cancer": "OVT", "fallopian tube cancer": "OVARY", "primary peritoneal cancer": "PERITONEUM",
    "prostate cancer": "PROSTATE", "prostate adenocarcinoma": "PRAD", "prostatic cancer": "PROSTATE",
    "gastric cancer": "STOMACH", "stomach cancer": "STOMACH", "gastric adenocarcinoma": "STAD",
    "esophageal cancer": "STOMACH", "oesophageal cancer": "STOMACH", "pancreatic cancer": "PANCREAS",
    "pancreatic adenocarcinoma": "PAAD", "pancreatic ductal adenocarcinoma": "PAAD", "hepatocellular carcinoma": "HCC",
    "hcc": "HCC", "liver cancer": "LIVER", "melanoma": "MEL", "malignant melanoma": "MEL", "glioblastoma": "GB",
    "gbm": "GB", "glioblastoma multiforme": "GB", "multiple myeloma": "PCM", "myeloma": "PCM",
    "aml": "AML", "acute myeloid leukemia": "AML", "acute myelogenous leukemia": "AML",
    "acute lymphoblastic leukemia": "BLL", "dlbcl": "DLBCLNOS", "diffuse large b cell lymphoma": "DLBCLNOS",
    "hodgkin lymphoma": "HL", "hodgkin disease": "HL", "hodgkins disease": "HL", "non hodgkin lymphoma": "NHL",
    "nhl": "NHL", "lymphoma": "LYMPH", "leukemia": "MYELOID", "soft tissue sarcoma": "SOFT_TISSUE",
    "sarcoma": "SOFT_TISSUE", "retroperitoneal sarcoma": "SOFT_TISSUE", "liposarcoma": "LIPO",
    "dedifferentiated liposarcoma": "DDLS", "ddlps": "DDLS", "leiomyosarcoma": "LMS",
    "undifferentiated pleomorphic sarcoma": "MFH", "solitary fibrous tumor": "SFT",
    "head and neck cancer": "HEAD_NECK", "head and neck squamous cell carcinoma": "HNSC", "hnscc": "HNSC",
    "squamous cell carcinoma of the head and neck": "HNSC", "scchn": "HNSC", "bladder cancer": "BLADDER",
    "urothelial carcinoma": "BLCA", "urothelial cancer": "BLCA", "renal cell carcinoma": "RCC", "rcc": "RCC",
    "kidney cancer": "KIDNEY", "renal cancer": "KIDNEY", "cervical cancer": "CERVIX", "cervical carcinoma": "CERVIX",
    "endometrial cancer": "UCEC", "endometrial carcinoma": "UCEC", "uterine cancer": "UTERUS",
    "thyroid cancer": "THYROID", "mesothelioma": "PLMESO", "neuroblastoma": "NBL", "glioma": "BRAIN",
    "brain tumor": "BRAIN", "cholangiocarcinoma": "CHOL", "biliary tract cancer": "BILIARY_TRACT",
    "nasopharyngeal carcinoma": "NPC", "osteosarcoma": "OS", "ewing sarcoma": "ES", "gist": "GIST",
    "gastrointestinal stromal tumor": "GIST", "cml": "CML", "chronic myeloid leukemia": "CML",
    "chronic myelogenous leukemia": "CML", "mds": "MDS", "myelodysplastic syndrome": "MDS",
    "follicular lymphoma": "FL", "mantle cell lymphoma": "MCL", "lung adenocarcinoma": "LUAD",
    "squamous cell lung cancer": "LUSC", "skin cancer": "SKIN", "basal cell carcinoma": "BCC",
    "triple negative breast cancer": "BREAST", "head and neck carcinoma": "HEAD_NECK",
    "chronic lymphocytic leukemia": "CLLSLL", "cll": "CLLSLL", "wilms tumor": "WT",
    "retinoblastoma": "RBL", "acute lymphocytic leukemia": "BLL",
    "non melanoma skin cancer": "SKIN",
    "nonmelanoma skin cancer": "SKIN", "nonmelanomatous skin cancer": "SKIN", "cervical carcinoma in situ": "CERVIX",
    "germ cell tumor": "TESTIS", "testicular cancer": "TESTIS", "anal cancer": "BOWEL",
    "vulvar cancer": "VULVA", "penile cancer": "PENIS", "thymoma": "THYM", "adrenocortical carcinoma": "ACC",
    "uveal melanoma": "UM", "medulloblastoma": "MBL", "ependymoma": "EPM", "astrocytoma": "ASTR",
    "oligodendroglioma": "ODG", "neuroendocrine tumor": "OTHER", "carcinoid": "OTHER",
}
SKIP = {"other", "tissue", "mixed", "not specified", "malignant", "benign"}


def walk_nodes(node: dict, out: list[dict], depth: int = 0) -> None:
    out.append({"code": node["code"], "name": node["name"], "mainType": node.get("mainType"), "depth": depth})
    for child in (node.get("children") or {}).values():
        walk_nodes(child, out, depth + 1)


def variants(name: str) -> set[str]:
    base = re.sub(r",?\s*\bNOS\b", "", name).strip().lower()
    base = re.sub(r"[^a-z0-9]+", " ", base).strip()
    out = {base}
    if "carcinoma" in base:
        out.add(base.replace("carcinoma", "cancer"))
    return {v for v in out if v and v not in SKIP and len(v) > 3}


def build_phrases(tree: dict) -> dict:
    nodes: list[dict] = []
    walk_nodes(tree["TISSUE"], nodes)
    codes = {n["code"] for n in nodes}
    names: dict[str, str] = {}
    for n in nodes[1:]:
        if n["depth"] < 2:  # tissue names ('Skin', 'Kidney', 'Myeloid') are organ words, not diseases
            continue
        for v in variants(n["name"]):
            names.setdefault(v, n["code"])
    for n in nodes[1:]:
        mt = n["mainType"]
        if mt:
            for v in variants(mt):
                names.setdefault(v, n["code"])
    bad = [c for c in MANUAL.values() if c not in codes]
    if bad:
        raise SystemExit(f"manual synonyms point at unknown codes: {bad}")
    names.update(MANUAL)
    return {
        "_doc": "OncoTree 2025-10-03 (cBioPortal, CC BY 4.0) reduced to phrase -> code: node names, "
                "'carcinoma'->'cancer' variants, main types (first node), plus hand-made common phrases. "
                "Tissue-level names are left out (organ words). Rebuilt by scripts/make_oncotree.py.",
        "names": dict(sorted(names.items())),
        "code_names": {n["code"]: n["name"] for n in nodes[1:]},
    }



def walk(node: dict, parent: str | None, table: dict) -> None:
    code = node["code"]
    if code != "TISSUE":
        table[code] = [node["name"], parent if parent != "TISSUE" else None, node.get("mainType"), node.get("tissue")]
    for child in (node.get("children") or {}).values():
        walk(child, code, table)


def main() -> None:
    tree = json.loads(SRC.read_text("utf-8"))
    table: dict[str, list] = {}
    walk(tree["TISSUE"], None, table)
    doc = {"_source": f"OncoTree {SRC.name} (cBioPortal, CC BY 4.0)", "codes": dict(sorted(table.items()))}
    OUT.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"{len(table)} codes -> {OUT} ({OUT.stat().st_size} bytes)")
    phrases = build_phrases(tree)
    OUT_PHRASES.write_text(json.dumps(phrases, ensure_ascii=False, separators=(",", ":")), "utf-8")
    print(f"{len(phrases['names'])} phrases -> {OUT_PHRASES} ({OUT_PHRASES.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
