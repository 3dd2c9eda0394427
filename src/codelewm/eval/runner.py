"""Run a scorer over many queries in batches, reporting progress through a callback (no printing)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from codelewm.errors import CodeLeWMError
from codelewm.scoring.baselines_shuffled import ShuffledActionScorer
from codelewm.scoring.protocol import PoolScores, Query, Scorer

Progress = Callable[[int], None]  # called with the number of queries just finished
BATCH = 64


def score_all(
    scorer: Scorer,
    queries: Sequence[Query],
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> list[PoolScores]:
    """Scores of every query, in order. The shuffled-action control deranges over ALL queries (not
    per batch), so its result does not depend on the batch size."""
    if isinstance(scorer, ShuffledActionScorer):
        queries, scorer = scorer.swapped(queries), scorer.inner
    out: list[PoolScores] = []
    for start in range(0, len(queries), batch):
        chunk = queries[start : start + batch]
        scores = scorer.score_queries(chunk)
        if len(scores) != len(chunk):
            raise CodeLeWMError(
                f"scorer {scorer.name} returned {len(scores)} results for {len(chunk)} queries"
            )
        for query, result in zip(chunk, scores, strict=True):
            if len(result.energies) != len(query.candidates):
                raise CodeLeWMError(
                    f"scorer {scorer.name} gave {len(result.energies)} energies for "
                    f"{len(query.candidates)} candidates of query {query.query_id!r}"
                )
        out.extend(scores)
        if progress is not None:
            progress(len(chunk))
    return out
