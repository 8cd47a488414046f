"""TREC 2021 Clinical Trials on the XML sample: the matching pipeline against plain BM25, in the same run.

Prints judged-only (condensed) and full NDCG@10 (graded), P@10 and RR (eligible = grade 2), recall@100 of
candidate retrieval, and seconds per topic. Builds the store from the sample on first use (about 2 minutes).
Usage: python bench/bench_trec.py [--db bench/out/trec-xml.db] [--run FILE] [--limit-topics N] [--per-topic]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from trialscout.app import Trialscout, derive_criteria
from trialscout.evaluation import condense, evaluate_collection, format_table, per_topic, read_qrels, restrict_qrels
from trialscout.ingest import ingest
from trialscout.store import SqliteStore

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TREC = SHARED / "trec-ct-2021"


def ensure_store(db: Path, corpus: Path) -> None:
    if db.exists():
        return
    print(f"building {db} from {corpus} ...", flush=True)
    with SqliteStore(db) as store:
        report = ingest(store, [corpus], derive=derive_criteria)
    print(" ".join(f"{k}={v}" for k, v in report.as_dict().items()), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=Path(__file__).resolve().parent / "out" / "trec-xml.db")
    ap.add_argument("--corpus", type=Path, default=SHARED / "ctgov-xml" / "AllPublicXML-sample.zip")
    ap.add_argument("--topics", type=Path, default=TREC / "topics2021.xml")
    ap.add_argument("--qrels", type=Path, default=TREC / "qrels2021.txt")
    ap.add_argument("--run", type=Path, default=None, help="write the pipeline's run here (baseline: RUN.bm25)")
    ap.add_argument("--limit-topics", type=int, default=None)
    ap.add_argument("--per-topic", action="store_true", help="also print judged-only NDCG@10 per topic")
    args = ap.parse_args()
    ensure_store(args.db, args.corpus)
    with Trialscout(args.db) as ts:
        report, runs = evaluate_collection(ts, args.topics, args.qrels, limit_topics=args.limit_topics,
                                           run_path=args.run)
        corpus = set(ts.store.nct_ids())
    print(format_table(report))
    if args.per_topic:
        qrels = restrict_qrels(read_qrels(args.qrels), corpus)
        values = {r.name: per_topic(condense(r.run, qrels), qrels)["ndcg@10"] for r in runs}
        print("topic " + " ".join(f"{r.name:>10}" for r in runs))
        for topic in values[runs[0].name]:
            print(f"{topic:>5} " + " ".join(f"{values[r.name][topic]:10.4f}" for r in runs))


if __name__ == "__main__":
    main()
