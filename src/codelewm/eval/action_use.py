"""P1 same-before action discrimination: does the scorer use the instruction?

Pools of K >= 3 afters that share one before, each reached by its own instruction. Query
(before, instruction_i) and rank the K afters; the true one is member i. Only the instruction can
tell the afters apart, so a scorer that ignores it scores exactly 1/K (R@1) in expectation.
Rankers: the scorer; the same scorer with its null action and with a shuffled action (the
instruction of a query with ANOTHER before) as controls; lexical, bm25 (instruction vs the added
tokens), no-action similarity and random (expected: 1/K) as baselines.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from codelewm.eval.ranking import RankItem, Variant, null_action
from codelewm.records import SameBeforePool
from codelewm.scoring.baselines import BM25Scorer, ConstantScorer, LexicalScorer, NoActionScorer
from codelewm.scoring.baselines_shuffled import ShuffledActionScorer
from codelewm.scoring.protocol import Query, Scorer

MIN_K = 3


def action_use_items(pools: Sequence[SameBeforePool], *, min_k: int = MIN_K) -> list[RankItem]:
    """One item per member with an instruction, in pools of at least `min_k` distinct afters."""
    items = []
    for pool in pools:
        afters = tuple(member.after for member in pool.members)
        if len(set(afters)) < min_k or len(set(afters)) != len(afters):
            continue
        for index, member in enumerate(pool.members):
            if member.instruction is None:
                continue
            query = Query(
                before=pool.before,
                instruction=member.instruction,
                candidates=afters,
                query_id=f"{pool.pool_id}/{index}",
            )
            items.append(RankItem(query=query, target=index))
    return items


def item_sources(pools: Sequence[SameBeforePool], items: Sequence[RankItem]) -> list[str]:
    """The source of each item's pool (items are named `<pool_id>/<member>` by `action_use_items`)."""
    source_of = {pool.pool_id: str(pool.source) for pool in pools}
    return [source_of[str(item.query.query_id).rsplit("/", 1)[0]] for item in items]


def sample_pools(
    pools: Sequence[SameBeforePool], limit: int, *, seed: int = 17
) -> list[SameBeforePool]:
    """A seeded sample of `limit` pools, in file order (files are ordered by source)."""
    if len(pools) <= limit:
        return list(pools)
    keep = sorted(random.Random(seed).sample(range(len(pools)), limit))
    return [pools[i] for i in keep]


def action_use_variants(scorer: Scorer) -> list[Variant]:
    """The scorer, its two controls, then the baselines (minus one that IS the scorer)."""
    baselines: list[Scorer] = [LexicalScorer(), BM25Scorer(), NoActionScorer(), ConstantScorer()]
    return [
        Variant(scorer.name, "scorer", scorer),
        Variant(f"{scorer.name} (null action)", "control", scorer, null_action),
        Variant(f"shuffled-action({scorer.name})", "control", ShuffledActionScorer(scorer)),
        *(Variant(b.name, "baseline", b) for b in baselines if b.name != scorer.name),
    ]
