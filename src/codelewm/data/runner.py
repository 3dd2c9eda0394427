"""Run build units: plan them (with `--shard`), execute the missing ones (with `--workers`), cache.

Workers are spawned processes that receive the source instances once (pool initializer) and write
each unit's result to its cache file themselves, so only counts travel back to the parent.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from codelewm.data.sources.base import Source, SourceConfig
from codelewm.data.units import GateConfig, UnitResult, cache_key, read_unit, run_unit, write_unit
from codelewm.errors import InputError


@dataclass(frozen=True)
class WorkUnit:
    source_index: int
    unit: str
    key: str  # cache key


@dataclass(frozen=True)
class UnitDone:
    """Progress event: one unit finished (or was found in the cache)."""

    unit: WorkUnit
    source: str
    records: int
    cached: bool


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError as exc:
            raise InputError(f"--shard {text!r} is not i/n") from exc
        if not 0 <= index < count:
            raise InputError(f"--shard {text!r}: need 0 <= i < n")
        return cls(index, count)

    def keeps(self, kind: str, unit: str) -> bool:
        digest = hashlib.sha256(f"{kind}\x1f{unit}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index


def plan_units(
    configs: Sequence[SourceConfig],
    sources: Sequence[Source],
    gate: GateConfig,
    shard: Shard | None,
) -> list[WorkUnit]:
    """Every unit of every source (this shard's only), in build order."""
    planned = []
    for index, (source_config, source) in enumerate(zip(configs, sources, strict=True)):
        for unit in source.units():
            if shard is None or shard.keeps(source_config.kind, unit):
                planned.append(WorkUnit(index, unit, cache_key(source_config, gate, unit)))
    return planned


_WORKER_SOURCES: list[Source] = []
_WORKER_GATE: GateConfig | None = None


def _init_worker(sources: list[Source], gate: GateConfig) -> None:
    global _WORKER_GATE
    _WORKER_SOURCES[:] = sources
    _WORKER_GATE = gate


def _work(job: tuple[WorkUnit, Path]) -> tuple[WorkUnit, int]:
    unit, path = job
    assert _WORKER_GATE is not None
    return unit, _run_and_write(_WORKER_SOURCES[unit.source_index], unit, _WORKER_GATE, path)


def _run_and_write(source: Source, unit: WorkUnit, gate: GateConfig, path: Path) -> int:
    result = run_unit(source, unit.unit, gate)
    write_unit(path, result)
    return len(result.rows)


def unit_path(cache_dir: Path, unit: WorkUnit) -> Path:
    return cache_dir / f"{unit.key}.jsonl.gz"


def run_units(
    units: Sequence[WorkUnit],
    sources: list[Source],
    gate: GateConfig,
    cache_dir: Path,
    *,
    workers: int = 1,
    on_done: Callable[[UnitDone], None] | None = None,
) -> None:
    """Make sure every unit has its cache file (running the missing ones)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    todo = [(u, unit_path(cache_dir, u)) for u in units]
    missing = [(u, p) for u, p in todo if not p.is_file()]
    for u, p in todo:
        if p.is_file() and on_done is not None:
            on_done(UnitDone(u, sources[u.source_index].name, -1, cached=True))
    for unit, n in _execute(missing, sources, gate, workers):
        if on_done is not None:
            on_done(UnitDone(unit, sources[unit.source_index].name, n, cached=False))


def _execute(
    jobs: list[tuple[WorkUnit, Path]], sources: list[Source], gate: GateConfig, workers: int
) -> Iterator[tuple[WorkUnit, int]]:
    if workers <= 1 or len(jobs) <= 1:
        for unit, path in jobs:
            yield unit, _run_and_write(sources[unit.source_index], unit, gate, path)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_init_worker, initargs=(sources, gate)) as pool:
        yield from pool.imap_unordered(_work, jobs)


def load_results(
    units: Sequence[WorkUnit], sources: Sequence[Source], cache_dir: Path
) -> Iterator[tuple[str, UnitResult]]:
    for unit in units:
        yield sources[unit.source_index].name, read_unit(unit_path(cache_dir, unit))


def count_cached(units: Sequence[WorkUnit], cache_dir: Path) -> int:
    return sum((unit_path(cache_dir, u)).is_file() for u in units)
