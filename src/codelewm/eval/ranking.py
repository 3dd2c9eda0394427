"""Rank-the-true-candidate evaluation shared by P1 (action use), P2 (retrieval) and scorer quality.

Each item is a query whose candidate at `target` is the true after. Every ranker is a `Variant`: a
scorer plus how the queries are changed before it sees them (e.g. the null action). The metrics are
the tie-aware expectations of `metrics.py`; CIs bootstrap over items and lifts are paired.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from pydantic import BaseModel, ConfigDict

from codelewm.eval.bootstrap import Estimate, bootstrap_ci, paired_difference_ci
from codelewm.eval.metrics import expected_rank, expected_recall_at, expected_reciprocal_rank
from codelewm.eval.runner import Progress, score_all
from codelewm.scoring.protocol import Query, Scorer

Role = Literal["scorer", "baseline", "control"]
QueryMap = Callable[[list[Query]], list[Query]]


@dataclass(frozen=True)
class RankItem:
    query: Query
    target: int


@dataclass(frozen=True)
class Variant:
    """A named ranker: `scorer` applied to `prepare(queries)`."""

    name: str
    role: Role
    scorer: Scorer
    prepare: QueryMap | None = None


def null_action(queries: list[Query]) -> list[Query]:
    """The same queries with no instruction (the scorer's null action)."""
    return [replace(query, instruction=None) for query in queries]


class RankResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    role: Role
    recall_at: dict[str, Estimate]
    mrr: Estimate
    median_rank: float
    mean_k: float
    per_item_r1: list[float]
    per_item_rr: list[float]


def rank_result(
    variant: Variant, items: Sequence[RankItem], ks: Sequence[int], progress: Progress | None
) -> RankResult:
    queries = [item.query for item in items]
    if variant.prepare is not None:
        queries = variant.prepare(queries)
    scores = score_all(variant.scorer, queries, progress=progress)
    pairs = [(s.energies, item.target) for s, item in zip(scores, items, strict=True)]
    recall = {str(k): bootstrap_ci([expected_recall_at(e, t, k) for e, t in pairs]) for k in ks}
    reciprocal = [expected_reciprocal_rank(e, t) for e, t in pairs]
    return RankResult(
        name=variant.name,
        role=variant.role,
        recall_at=recall,
        mrr=bootstrap_ci(reciprocal),
        median_rank=float(statistics.median(expected_rank(e, t) for e, t in pairs)),
        mean_k=float(statistics.mean(len(e) for e, _ in pairs)),
        per_item_r1=[expected_recall_at(e, t, 1) for e, t in pairs],
        per_item_rr=reciprocal,
    )


def evaluate_variants(
    items: Sequence[RankItem],
    variants: Sequence[Variant],
    *,
    ks: Sequence[int] = (1,),
    progress: Progress | None = None,
) -> list[RankResult]:
    return [rank_result(v, items, ks, progress) for v in variants]


def strongest_and_lift(
    results: Sequence[RankResult],
) -> tuple[str | None, Estimate | None]:
    """The best baseline by mean R@1 and the paired CI of (scorer - it) in R@1."""
    main = results[0]
    baselines = [r for r in results[1:] if r.role == "baseline"]
    if not baselines:
        return None, None
    best = max(baselines, key=lambda r: r.recall_at["1"].mean)
    return best.name, paired_difference_ci(main.per_item_r1, best.per_item_r1)
