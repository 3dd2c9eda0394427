"""P2 cross-candidate retrieval: the true after among up to 1,000 held-out afters.

Afters are drawn (seeded) from the held-out transitions and de-duplicated; each query is one of them:
(its before, its instruction) against all of them. R@1/5/10, MRR, median rank for the scorer; the
scorer with its null action ("identity": what copying the before gets) and with a shuffled action
(action-swap) as controls; lexical, bm25, no-action similarity and random (expected) as baselines.
Here "no instruction" can score well (the true after is the one nearest its before): the anchor's
model lost to exactly that, so the lift over it is what counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from codelewm.eval.ranking import RankItem, Variant, null_action
from codelewm.records import TransitionRecord
from codelewm.scoring.baselines import BM25Scorer, ConstantScorer, LexicalScorer, NoActionScorer
from codelewm.scoring.baselines_shuffled import ShuffledActionScorer
from codelewm.scoring.protocol import Query, Scorer

CANDIDATES = 1000
QUERIES = 100  # x 1,000 candidates x 3 variants: the model encodes each (before, candidate) pair
KS = (1, 5, 10)


def retrieval_items(
    records: Sequence[TransitionRecord],
    *,
    candidates: int = CANDIDATES,
    queries: int = QUERIES,
    seed: int = 17,
) -> list[RankItem]:
    """`queries` items, each ranking its own after among `candidates` distinct held-out afters."""
    rng = np.random.default_rng(seed)
    by_after: dict[str, TransitionRecord] = {}
    for index in rng.permutation(len(records)):
        record = records[int(index)]
        if record.after not in by_after and record.after != record.before:
            by_after[record.after] = record
        if len(by_after) >= candidates:
            break
    afters = tuple(by_after)
    chosen = rng.permutation(len(afters))[:queries]
    return [
        RankItem(
            query=Query(
                before=by_after[afters[int(i)]].before,
                instruction=by_after[afters[int(i)]].instruction,
                candidates=afters,
                query_id=by_after[afters[int(i)]].transition_id,
            ),
            target=int(i),
        )
        for i in chosen
    ]


def retrieval_variants(scorer: Scorer) -> list[Variant]:
    baselines: list[Scorer] = [LexicalScorer(), BM25Scorer(), NoActionScorer(), ConstantScorer()]
    return [
        Variant(scorer.name, "scorer", scorer),
        Variant(f"{scorer.name} (null action, identity)", "control", scorer, null_action),
        Variant(f"action-swap({scorer.name})", "control", ShuffledActionScorer(scorer)),
        *(Variant(b.name, "baseline", b) for b in baselines if b.name != scorer.name),
    ]
