"""Score the knowledge index on a folder of documents with a hand-written question set.

Each answerable question names its source file and a short exact substring that a relevant
chunk must contain, so the set survives re-chunking. Off-topic questions (``source`` null)
must return no passage. The script indexes the folder into a temporary directory, then
reports recall@5 and MRR@5 for dense-only, lexical-only and fused search, with and without
the relevance floor, plus the evidence the floor is calibrated on.

    python -m evals.retrieval ../shared/realdata/docs
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge import KnowledgeIndex, Passage, SearchMode
from knowledge.fusion import NO_FLOOR

DEFAULT_SET = Path(__file__).with_name("retrieval_set.jsonl")
MODES: tuple[SearchMode, ...] = ("dense", "lexical", "fused")
K = 5
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Question:
    """One line of the question set."""

    id: str
    lang: str
    type: str
    question: str
    source: str | None
    substring: str | None

    @property
    def answerable(self) -> bool:
        return self.source is not None


def load_questions(path: Path) -> list[Question]:
    """Read the JSON-lines question set."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Question(**json.loads(line)) for line in lines if line.strip()]


def normalise(text: str) -> str:
    """Collapse whitespace, so a substring still matches across line wrapping."""
    return _WHITESPACE.sub(" ", text).strip()


def first_relevant_rank(question: Question, passages: list[Passage]) -> int | None:
    """Return the 1-based rank of the first passage from the right file with the substring."""
    needle = normalise(question.substring or "")
    for rank, passage in enumerate(passages, start=1):
        if Path(passage.source).name == question.source and needle in normalise(passage.text):
            return rank
    return None


def score_retrieval(
    docs_dir: Path | str, set_path: Path | str = DEFAULT_SET, *, index_dir: Path | None = None
) -> dict[str, Any]:
    """Index ``docs_dir`` in a temporary folder and score every mode on the question set."""
    questions = load_questions(Path(set_path))
    with (
        tempfile.TemporaryDirectory(prefix="retrieval-eval-") as scratch,
        KnowledgeIndex(index_dir or Path(scratch)) as index,
    ):
        started = time.perf_counter()
        report = index.index_path(Path(docs_dir))
        seconds = time.perf_counter() - started
        stats = index.stats()
        result: dict[str, Any] = {
            "chunks": stats.chunks,
            "sources": stats.sources,
            "chunks_embedded": report.chunks_embedded,
            "index_seconds": round(seconds, 2),
            "chunks_per_second": round(report.chunks_embedded / max(seconds, 1e-9), 1),
            "missing_substrings": _missing_substrings(index, questions),
        }
        result["with_floor"], latencies = _score_modes(index, questions)
        result["search_ms"] = _percentiles(latencies)
        floor = index.floor
        index.floor = NO_FLOOR
        result["without_floor"], _ = _score_modes(index, questions)
        result["evidence"] = _evidence(index, questions)
        index.floor = floor
    return result


def _score_modes(
    index: KnowledgeIndex, questions: list[Question]
) -> tuple[dict[str, Any], list[float]]:
    scores: dict[str, Any] = {}
    latencies: list[float] = []
    for mode in MODES:
        ranks: dict[str, int | None] = {}
        rejected = 0
        for question in questions:
            started = time.perf_counter()
            passages = index.search(question.question, k=K, mode=mode)
            if mode == "fused":
                latencies.append((time.perf_counter() - started) * 1000)
            if question.answerable:
                ranks[question.id] = first_relevant_rank(question, passages)
            elif not passages:
                rejected += 1
        scores[mode] = {
            "all": _summary(ranks, questions, None),
            "en": _summary(ranks, questions, "en"),
            "zh": _summary(ranks, questions, "zh"),
            "off_topic_rejected": rejected,
            "off_topic_total": sum(not q.answerable for q in questions),
            "misses": sorted(qid for qid, rank in ranks.items() if rank is None),
        }
    return scores, latencies


def _summary(
    ranks: dict[str, int | None], questions: list[Question], lang: str | None
) -> dict[str, float | int]:
    selected = [q.id for q in questions if q.answerable and (lang is None or q.lang == lang)]
    found = [ranks[qid] for qid in selected]
    return {
        "questions": len(selected),
        "recall@5": round(sum(rank is not None for rank in found) / len(selected), 3),
        "mrr@5": round(sum(1 / rank for rank in found if rank) / len(selected), 3),
    }


def _evidence(index: KnowledgeIndex, questions: list[Question]) -> list[dict[str, Any]]:
    """Best dense similarity and best lexical coverage per question, with the floor off."""
    rows = []
    for question in questions:
        dense = index.search(question.question, k=1, mode="dense")
        lexical = index.search(question.question, k=30, mode="lexical")
        coverage = max((p.term_coverage or 0.0 for p in lexical), default=0.0)
        rows.append(
            {
                "id": question.id,
                "lang": question.lang,
                "answerable": question.answerable,
                "similarity": round(dense[0].similarity or 0.0, 3) if dense else None,
                "coverage": round(coverage, 3),
            }
        )
    return rows


def _missing_substrings(index: KnowledgeIndex, questions: list[Question]) -> list[str]:
    """Ids of questions whose substring occurs in no stored chunk of their source file."""
    texts: dict[str, list[str]] = {}
    for passage in index.list_passages():
        texts.setdefault(Path(passage.source).name, []).append(normalise(passage.text))
    return [
        q.id
        for q in questions
        if q.answerable
        and not any(normalise(q.substring or "") in text for text in texts.get(q.source or "", []))
    ]


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
    }


def markdown_report(result: dict[str, Any]) -> str:
    """Render the scores as Markdown tables."""
    lines = [
        f"Indexed {result['sources']} files into {result['chunks']} chunks in "
        f"{result['index_seconds']} s ({result['chunks_per_second']} chunks/s); "
        f"fused search p50 {result['search_ms'].get('p50')} ms, "
        f"p95 {result['search_ms'].get('p95')} ms.",
        "",
        "| mode | floor | recall@5 | MRR@5 | en recall@5 | zh recall@5 | off-topic rejected |",
        "|---|---|---|---|---|---|---|",
    ]
    for floor in ("with_floor", "without_floor"):
        for mode in MODES:
            row = result[floor][mode]
            lines.append(
                f"| {mode} | {'on' if floor == 'with_floor' else 'off'} "
                f"| {row['all']['recall@5']:.3f} | {row['all']['mrr@5']:.3f} "
                f"| {row['en']['recall@5']:.3f} | {row['zh']['recall@5']:.3f} "
                f"| {row['off_topic_rejected']}/{row['off_topic_total']} |"
            )
    lines += [
        "",
        "| questions | best similarity (min / median / max) | best coverage (min / median / max) |",
    ]
    lines.append("|---|---|---|")
    for label, rows in _evidence_groups(result["evidence"]):
        similarity = _spread(row["similarity"] for row in rows)
        coverage = _spread(row["coverage"] for row in rows)
        lines.append(f"| {label} | {similarity} | {coverage} |")
    if result["missing_substrings"]:
        lines += ["", f"Substrings found in no chunk: {', '.join(result['missing_substrings'])}"]
    misses = result["with_floor"]["fused"]["misses"]
    lines += ["", f"Fused misses with the floor on: {', '.join(misses) or 'none'}"]
    return "\n".join(lines)


def _evidence_groups(rows: list[dict[str, Any]]) -> Iterable[tuple[str, list[dict[str, Any]]]]:
    for answerable in (True, False):
        for lang in ("en", "zh"):
            group = [r for r in rows if r["answerable"] == answerable and r["lang"] == lang]
            if group:
                yield f"{'answerable' if answerable else 'off-topic'} {lang}", group


def _spread(values: Iterable[float | None]) -> str:
    present = sorted(v for v in values if v is not None)
    if not present:
        return "-"
    return f"{present[0]:.2f} / {statistics.median(present):.2f} / {present[-1]:.2f}"


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation and print Markdown tables (``--json`` prints the raw scores)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs_dir", type=Path, help="folder of .md/.txt documents to index")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="question set (JSON lines)")
    parser.add_argument("--json", action="store_true", help="print the raw scores as JSON")
    args = parser.parse_args(argv)
    result = score_retrieval(args.docs_dir, args.set)
    print(
        json.dumps(result, indent=2, ensure_ascii=False) if args.json else markdown_report(result)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
