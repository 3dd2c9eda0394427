"""Same-before pools (P1 of docs/PROTOCOLS.md): afters of one before, each reached by its own instruction.

Records of one split and one source that share `(group, path, symbol)` and a normalised before form a
candidate pool; its members are the distinct afters (by normalised code), the first record of each,
with distinct instructions. A pool needs at least `min_members` and keeps at most `max_members`
(in build order). Sources may add their own pools (with seeded decoys); both kinds are written to
`pools/<split>.jsonl`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from codelewm.data.rows import Row
from codelewm.records import PoolMember, SameBeforePool


class PoolConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_members: int = 3
    max_members: int = 8


def pool_id(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass"))
    return "pool-" + digest.hexdigest()[:24]


def find_pools(rows: Sequence[Row], config: PoolConfig) -> list[SameBeforePool]:
    """Pools among `rows` (which carry their split), in order of first appearance."""
    buckets: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        r = row.record
        key: tuple[str, ...] = (r.split or "", r.source, r.group, r.path, r.symbol, row.before_key)
        buckets.setdefault(key, []).append(row)
    pools = []
    for key, members in buckets.items():
        chosen = _distinct(members)[: config.max_members]
        if len(chosen) >= config.min_members:
            pools.append(_pool(pool_id(*key[1:]), chosen))
    return pools


def _distinct(rows: list[Row]) -> list[Row]:
    afters: set[str] = {rows[0].before_key}  # an "edit" back to the before is no member
    instructions: set[str | None] = set()
    chosen = []
    for row in rows:
        if row.after_key in afters or row.record.instruction in instructions:
            continue
        afters.add(row.after_key)
        instructions.add(row.record.instruction)
        chosen.append(row)
    return chosen


def _pool(identifier: str, rows: list[Row]) -> SameBeforePool:
    first = rows[0].record
    return SameBeforePool(
        pool_id=identifier,
        source=first.source,
        group=first.group,
        split=first.split,
        path=first.path,
        symbol=first.symbol,
        before=first.before,
        context=first.context,
        members=[
            PoolMember(
                transition_id=row.record.transition_id,
                instruction=row.record.instruction,
                instruction_kind=row.record.instruction_kind,
                after=row.record.after,
            )
            for row in rows
        ],
    )
