"""`shuffled-action`: the same scorer, the same before, the instruction of ANOTHER query.

This is the control that tells whether a scorer uses the instruction: if its numbers do not drop when
the instruction belongs to another problem, it is not reading it. It is a derangement of the
instructions over the batch (nobody keeps its own), seeded, and it prefers donors with a DIFFERENT
before, so that on same-before pools the donated instruction never belongs to a sibling candidate.
It is NOT a shuffle of whole rows (the anchor's mistake, which only made a random baseline).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from codelewm.errors import InputError
from codelewm.scoring.protocol import PoolScores, Query, Scorer


def derangement_by_group(groups: Sequence[str], *, seed: int) -> list[int]:
    """donor[i] != i for every i, and groups[donor[i]] != groups[i] whenever no group holds more
    than half of the items. Seeded: the order of groups and of items within a group is shuffled."""
    n = len(groups)
    if n < 2:
        raise InputError("shuffled action needs at least 2 queries to take an instruction from")
    rng = np.random.default_rng(seed)
    by_group: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        by_group.setdefault(group, []).append(index)
    keys = list(by_group)
    order: list[int] = []
    for g in rng.permutation(len(keys)):
        members = by_group[keys[int(g)]]
        order.extend(members[int(m)] for m in rng.permutation(len(members)))
    shift = max(len(members) for members in by_group.values())
    if shift % n == 0:  # a single group: plain cyclic shift by one still deranges
        shift = 1
    donor = [0] * n
    for position, index in enumerate(order):
        donor[index] = order[(position + shift) % n]
    return donor


class ShuffledActionScorer:
    """Wrap `inner`: each query is scored with the instruction of another query (a derangement)."""

    def __init__(self, inner: Scorer, *, seed: int = 17) -> None:
        self.inner = inner
        self.seed = seed

    @property
    def name(self) -> str:
        return f"shuffled-action({self.inner.name})"

    def swapped(self, queries: Sequence[Query]) -> list[Query]:
        """The queries with their instructions deranged (what `inner` is asked to score)."""
        donor = derangement_by_group([q.before for q in queries], seed=self.seed)
        return [
            replace(query, instruction=queries[donor[i]].instruction)
            for i, query in enumerate(queries)
        ]

    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        return self.inner.score_queries(self.swapped(queries))
