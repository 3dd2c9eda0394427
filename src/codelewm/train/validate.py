"""Validation on held-out same-before pools: R@1 of the true after among the pool's afters.

Each query is (before, instruction_i) with the pool's distinct afters as candidates; the model is scored
as is, with the null action, and with an instruction taken from another pool (the shuffled control).
Ties count as the expected value over random tie-breaking.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from codelewm.scoring.protocol import Query, Scorer
from codelewm.train.data import Example


@dataclass(frozen=True)
class PoolQuery:
    query: Query
    target: int


def pool_queries(examples: Sequence[Example], *, max_queries: int, seed: int) -> list[PoolQuery]:
    """Queries from examples with >= 2 siblings (pools of K >= 3), seeded subsample."""
    out = []
    for i, ex in enumerate(examples):
        afters = sorted({ex.after, *(a for _, a in ex.siblings)})
        if ex.instruction is None or len(afters) < 3:
            continue
        out.append(
            PoolQuery(
                Query(ex.before, ex.instruction, tuple(afters), f"val-{i}"), afters.index(ex.after)
            )
        )
    random.Random(seed).shuffle(out)
    return out[:max_queries]


def recall_at_1(energies: Sequence[float], target: int) -> float:
    e = np.asarray(energies)
    best = e.min()
    tied = int((e == best).sum())
    return 1.0 / tied if e[target] == best else 0.0


def evaluate_pools(scorer: Scorer, queries: Sequence[PoolQuery]) -> dict[str, float]:
    """R@1 with the instruction, with the null action, and with another pool's instruction."""
    if not queries:
        return {"r1": 0.0, "r1_null": 0.0, "r1_shuffled": 0.0, "n": 0.0}
    n = len(queries)
    plain = [q.query for q in queries]
    null = [Query(q.before, None, q.candidates, q.query_id) for q in plain]
    shuffled = [
        Query(q.before, _other_instruction(plain, i), q.candidates, q.query_id)
        for i, q in enumerate(plain)
    ]
    result = {"n": float(n)}
    for name, batch in (("r1", plain), ("r1_null", null), ("r1_shuffled", shuffled)):
        scores = scorer.score_queries(batch)
        result[name] = float(
            np.mean(
                [
                    recall_at_1(s.components["energy"], q.target)
                    for s, q in zip(scores, queries, strict=True)
                ]
            )
        )
    return result


def _other_instruction(queries: Sequence[Query], i: int) -> str | None:
    """The instruction of the next query (cyclically) whose before differs: another pool's instruction."""
    n = len(queries)
    for step in range(1, n):
        other = queries[(i + step) % n]
        if other.before != queries[i].before:
            return other.instruction
    return None
