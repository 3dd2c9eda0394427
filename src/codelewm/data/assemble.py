"""Merge unit results into a dataset: exact dedup, group split, leakage removal, same-before pools.

Input is the per-unit output in build order (source by source, unit by unit), so the result does not
depend on how many workers ran or in which order units finished.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from codelewm.code.functions import normalised_hash
from codelewm.data.dedup import NearDupConfig, exact_duplicate_reasons, near_duplicates
from codelewm.data.layout import SPLITS
from codelewm.data.pools import PoolConfig, find_pools
from codelewm.data.reports import LeakageExample, LeakageReport
from codelewm.data.rows import Row
from codelewm.data.split import SplitConfig, split_of
from codelewm.data.units import UnitResult
from codelewm.records import RerankPool, SameBeforePool, Split


@dataclass(frozen=True)
class AssembleConfig:
    seed: int
    split: SplitConfig
    near_dup: NearDupConfig
    pools: PoolConfig


@dataclass
class Assembled:
    rows: dict[Split, list[Row]]
    pools: dict[Split, list[SameBeforePool]]
    decoys: dict[Split, list[RerankPool]] = field(default_factory=dict)
    dropped: dict[str, Counter[str]] = field(default_factory=dict)  # source name -> reasons
    leakage: LeakageReport | None = None


def assemble(results: Sequence[tuple[str, UnitResult]], config: AssembleConfig) -> Assembled:
    """`results`: (source name, unit result) in build order."""
    dropped: dict[str, Counter[str]] = {}
    rows = _dedup([(name, row) for name, result in results for row in result.rows], dropped)
    split_rows = [(name, _with_split(row, config)) for name, row in rows]
    source_pools = [
        pool.model_copy(
            update={"split": split_of(pool.group, seed=config.seed, config=config.split)}
        )
        for _, result in results
        for pool in result.pools
    ]
    leaked, leakage = _leakage(split_rows, source_pools, config.near_dup)
    kept: list[Row] = []
    for name, row in split_rows:
        if row.before_key in leaked and row.record.split != "train":
            dropped.setdefault(name, Counter())["near_duplicate_of_train"] += 1
            _count(leakage.dropped_records, row.record.split)
            if len(leakage.examples) < 20:
                leakage.examples.append(
                    LeakageExample(
                        split=row.record.split or "",
                        transition_id=row.record.transition_id,
                        train_before_key=leaked[row.before_key],
                    )
                )
        else:
            kept.append(row)
    pools = _pools(kept, source_pools, leaked, config.pools, leakage)
    decoys = _decoys(kept, [d for _, result in results for d in result.decoys])
    return Assembled(
        rows={s: [r for r in kept if r.record.split == s] for s in SPLITS},
        pools={s: [p for p in pools if p.split == s] for s in SPLITS},
        dropped=dropped,
        leakage=leakage,
        decoys=decoys,
    )


def _count(counts: dict[str, int], key: str | None) -> None:
    counts[key or ""] = counts.get(key or "", 0) + 1


def _dedup(rows: list[tuple[str, Row]], dropped: dict[str, Counter[str]]) -> list[tuple[str, Row]]:
    """Exact duplicates dropped; of a duplicate set the sandbox-labelled record is kept (it carries
    its labelled pool: the stubs source writes the same stub -> function edit as the doctests source),
    otherwise the first in build order. The kept rows stay in build order."""
    order = sorted(range(len(rows)), key=lambda i: (not _labelled(rows[i][1]), i))
    keys = [
        (rows[i][1].before_key, rows[i][1].record.instruction, rows[i][1].after_key) for i in order
    ]
    keep = set()
    for i, reason in zip(order, exact_duplicate_reasons(keys), strict=True):
        if reason is None:
            keep.add(i)
        else:
            dropped.setdefault(rows[i][0], Counter())[reason] += 1
    return [row for i, row in enumerate(rows) if i in keep]


def _labelled(row: Row) -> bool:
    return row.record.meta.get("labelled_by") == "sandbox"


def _with_split(row: Row, config: AssembleConfig) -> Row:
    split = split_of(row.record.group, seed=config.seed, config=config.split)
    return Row(row.record.model_copy(update={"split": split}), row.before_key, row.after_key)


def _leakage(
    rows: list[tuple[str, Row]], pools: list[SameBeforePool], config: NearDupConfig
) -> tuple[dict[str, str], LeakageReport]:
    report = LeakageReport(
        enabled=config.enabled,
        threshold=config.threshold,
        num_perm=config.num_perm,
        shingle=config.shingle,
    )
    train = {row.before_key: row.record.before for _, row in rows if row.record.split == "train"}
    held_out: dict[str, str] = {}
    for _, row in rows:
        if row.record.split != "train":
            held_out.setdefault(row.before_key, row.record.before)
            _count(report.checked_records, row.record.split)
    for pool in pools:
        if pool.split != "train":
            held_out.setdefault(normalised_hash(pool.before), pool.before)
    report.train_befores = len(train)
    if not config.enabled:
        return {}, report
    return near_duplicates(train, held_out.items(), config), report


def _pools(
    rows: list[Row],
    source_pools: list[SameBeforePool],
    leaked: dict[str, str],
    config: PoolConfig,
    leakage: LeakageReport,
) -> list[SameBeforePool]:
    pools: dict[str, SameBeforePool] = {}
    for pool in source_pools:
        if pool.split != "train" and normalised_hash(pool.before) in leaked:
            _count(leakage.dropped_pools, pool.split)
            continue
        pools.setdefault(pool.pool_id, pool)
    for pool in find_pools(rows, config):
        pools.setdefault(pool.pool_id, pool)
    return list(pools.values())


def _decoys(rows: list[Row], decoys: list[RerankPool]) -> dict[Split, list[RerankPool]]:
    """Decoy pools whose true transition was kept, in its split."""
    split_of_id = {row.record.transition_id: row.record.split for row in rows}
    by_split: dict[Split, list[RerankPool]] = {s: [] for s in SPLITS}
    for pool in decoys:
        split = split_of_id.get(getattr(pool, "transition_id", None) or "")
        if split is not None:
            by_split[split].append(pool.model_copy(update={"split": split}))
    return by_split
