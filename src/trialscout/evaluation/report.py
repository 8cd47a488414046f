"""One evaluation of systems over a topic collection: figures for the full and judged-only runs, as a table."""

from __future__ import annotations

from dataclasses import dataclass, field

from trialscout.evaluation.metrics import condense, mean_scores, restrict_qrels, scorable_topics
from trialscout.evaluation.runner import SystemRun
from trialscout.evaluation.trec import Qrels


@dataclass
class SystemScores:
    """A system's mean scores: `full` (unjudged documents count as not relevant), `judged` (condensed run),
    `candidates` (the candidate-retrieval ranking before matching)."""

    name: str
    full: dict[str, float]
    judged: dict[str, float]
    candidates: dict[str, float]
    seconds_per_topic: float


@dataclass
class Report:
    topics: int
    """Topics run."""
    scored_topics: int
    """Topics averaged over: those with at least one relevant judged trial in the corpus."""
    judged_in_corpus: int
    systems: list[SystemScores] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"topics": self.topics, "scored_topics": self.scored_topics,
                "judged_in_corpus": self.judged_in_corpus,
                "systems": [s.__dict__ for s in self.systems]}


def score_systems(runs: list[SystemRun], qrels: Qrels, corpus: set[str]) -> Report:
    """Scores of every system over the same topics, with qrels restricted to the documents in the corpus."""
    ran = set().union(*(r.run.keys() for r in runs)) if runs else set()
    in_corpus = restrict_qrels({t: j for t, j in qrels.items() if t in ran}, corpus)
    topics = scorable_topics(in_corpus)
    report = Report(topics=len(ran), scored_topics=len(topics),
                    judged_in_corpus=sum(len(j) for j in in_corpus.values()))
    for r in runs:
        report.systems.append(SystemScores(
            name=r.name,
            full=mean_scores(r.run, in_corpus, topics),
            judged=mean_scores(condense(r.run, in_corpus), in_corpus, topics),
            candidates=mean_scores(r.candidates, in_corpus, topics),
            seconds_per_topic=r.seconds_per_topic))
    return report


COLUMNS = [("judged", "ndcg@10", "judged NDCG@10"), ("judged", "p@10", "judged P@10"), ("judged", "rr", "judged RR"),
           ("full", "ndcg@10", "full NDCG@10"), ("full", "p@10", "full P@10"), ("full", "rr", "full RR"),
           ("candidates", "recall@100", "cand. R@100")]


def format_table(report: Report) -> str:
    """A plain-text (Markdown) table: one row per system, then the figures' basis."""
    head = ["system", *(c[2] for c in COLUMNS), "s/topic"]
    rows = [head, ["---"] * len(head)]
    for s in report.systems:
        rows.append([s.name, *(f"{getattr(s, part)[name]:.4f}" for part, name, _ in COLUMNS),
                     f"{s.seconds_per_topic:.2f}"])
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.append(f"{report.topics} topics run; means over the {report.scored_topics} with a relevant judged trial "
                 f"in the corpus ({report.judged_in_corpus} judged trials in the corpus). P@10 and RR: eligible "
                 "(grade 2) only; NDCG@10 graded; recall@100 of candidate retrieval, grades 1-2.")
    return "\n".join(lines)
