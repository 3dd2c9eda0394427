"""Scorer quality: the true after's rank among hand-made candidates (a small fixed fixture set).

Each fixture is a before, an instruction, the true after and 4 hand-written wrong candidates: the
unedited before, a wrong or partial edit, the opposite edit. Small (n = 12) on purpose: it is a
readable sanity check that a scorer ranks the obvious right answer first, not a benchmark (its
claim section stays closed: n < 100).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from codelewm.eval.ranking import RankItem
from codelewm.records import RerankPool
from codelewm.scoring.protocol import Query

FIXTURE = "scorer_quality.v1.json"


def fixture_pools(path: Path | None = None) -> list[RerankPool]:
    """The packaged fixture pools (or those of `path`, same format)."""
    if path is None:
        text = resources.files("codelewm.eval").joinpath("fixtures", FIXTURE).read_text("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return [RerankPool.model_validate(pool) for pool in json.loads(text)["pools"]]


def scorer_quality_items(pools: list[RerankPool]) -> list[RankItem]:
    """One item per pool: its single passing candidate is the target."""
    items = []
    for pool in pools:
        targets = [i for i, c in enumerate(pool.candidates) if c.passed]
        if len(targets) != 1:
            continue
        query = Query(
            before=pool.before,
            instruction=pool.instruction,
            candidates=tuple(c.code for c in pool.candidates),
            query_id=pool.pool_id,
        )
        items.append(RankItem(query=query, target=targets[0]))
    return items
