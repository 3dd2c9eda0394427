"""`dataset build`: run sources unit by unit, gate and filter, dedup, split, pool, write the dataset.

Config (TOML, unknown keys are errors; `codelewm dataset build --config FILE`):

    seed = 0
    [split]                 # fractions of groups
    train = 0.9
    val = 0.05
    test = 0.05
    [filters]               # FilterConfig (data/filters.py)
    max_function_chars = 8000
    [near_dup]              # NearDupConfig (data/dedup.py)
    threshold = 0.8
    [pools]                 # PoolConfig (data/pools.py)
    min_members = 3
    license_allowlist = ["MIT", "BSD-3-Clause", ...]   # default: data/license.py
    [[sources]]             # one table per source; keys = that source's config model
    kind = "ruff"
    code = []               # [] = the standard library
    [[sources]]
    kind = "git"
    repo = "."

Work is split into units (`Source.units()`); `--shard i/n` keeps the units whose hash falls in shard
i, `--workers N` runs units in N processes, and every finished unit is cached under
`cache_dir` (default `OUT/../.OUT.cache`), so a re-run, or an unsharded run over the cache that n
sharded runs filled, only assembles. The output is written whole or not at all (ArtifactWriter) in
the layout of `data/layout.py`, with `manifest.json`, `filter_report.json`, `leakage_report.json`
and `stats.json`.
"""

from __future__ import annotations

import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, field_validator

from codelewm.artifacts.manifest import ArtifactWriter
from codelewm.data.assemble import AssembleConfig, Assembled, assemble
from codelewm.data.dedup import NearDupConfig
from codelewm.data.filters import FilterConfig
from codelewm.data.layout import SPLITS, decoy_pools_path, pools_path, transitions_path
from codelewm.data.license import DEFAULT_ALLOWLIST
from codelewm.data.pools import PoolConfig
from codelewm.data.registry import make_source, validate_source_config
from codelewm.data.reports import BuildStats, FilterReport, SourceCounts
from codelewm.data.runner import (
    Shard,
    UnitDone,
    WorkUnit,
    load_results,
    plan_units,
    run_units,
    unit_path,
)
from codelewm.data.sources.base import ProvenanceSource, Source, SourceConfig
from codelewm.data.split import SplitConfig
from codelewm.data.units import GateConfig, UnitResult
from codelewm.errors import ConfigError, InputError
from codelewm.records import Split


class BuildConfig(BaseModel):
    """A dataset build, as a TOML file or assembled from CLI flags."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    sources: list[SerializeAsAny[SourceConfig]] = Field(min_length=1)
    split: SplitConfig = SplitConfig()
    filters: FilterConfig = FilterConfig()
    near_dup: NearDupConfig = NearDupConfig()
    pools: PoolConfig = PoolConfig()
    license_allowlist: tuple[str, ...] = DEFAULT_ALLOWLIST

    @field_validator("sources", mode="before")
    @classmethod
    def _typed_sources(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [v if isinstance(v, SourceConfig) else validate_source_config(v) for v in value]

    def gate(self) -> GateConfig:
        return GateConfig(license_allowlist=self.license_allowlist, filters=self.filters)


def load_build_config(path: Path, *, overrides: dict[str, Any] | None = None) -> BuildConfig:
    """Read and validate a TOML build config (`overrides` replace top-level keys)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read config {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse_build_config({**raw, **(overrides or {})}, origin=str(path))


def parse_build_config(raw: dict[str, Any], *, origin: str = "<config>") -> BuildConfig:
    try:
        return BuildConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: invalid build config: {exc}") from exc


@dataclass(frozen=True)
class BuildOptions:
    out: Path
    workers: int = 1
    shard: Shard | None = None
    cache_dir: Path | None = None
    overwrite: bool = False
    command: Sequence[str] | None = None


@dataclass(frozen=True)
class BuildProgress:
    """Callbacks for a progress display (the library itself never prints)."""

    on_plan: Callable[[int], None] | None = None  # number of units
    on_done: Callable[[UnitDone], None] | None = None


def default_cache_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.cache"


def build_dataset(
    config: BuildConfig, options: BuildOptions, progress: BuildProgress | None = None
) -> BuildStats:
    """Build the dataset of `config` into `options.out`; returns its stats."""
    start = time.perf_counter()
    progress = progress or BuildProgress()
    sources = [make_source(c) for c in config.sources]
    units = plan_units(config.sources, sources, config.gate(), options.shard)
    planning_skips = [Counter(s.skipped) for s in sources]
    cache_dir = options.cache_dir or default_cache_dir(options.out)
    cached_before = {u.key for u in units if unit_path(cache_dir, u).is_file()}
    if progress.on_plan is not None:
        progress.on_plan(len(units))
    run_units(
        units,
        sources,
        config.gate(),
        cache_dir,
        workers=options.workers,
        on_done=progress.on_done,
    )
    results = list(load_results(units, sources, cache_dir))
    assembled = assemble(
        results,
        AssembleConfig(
            seed=config.seed, split=config.split, near_dup=config.near_dup, pools=config.pools
        ),
    )
    report = filter_report(
        config, sources, planning_skips, units, cached_before, results, assembled
    )
    stats = _stats(
        assembled, units, len(cached_before), options, config.seed, time.perf_counter() - start
    )
    provenance = [s.provenance() if isinstance(s, ProvenanceSource) else {} for s in sources]
    write_dataset(options, config, assembled, report, stats, provenance)
    return stats


def filter_report(
    config: BuildConfig,
    sources: Sequence[Source],
    planning_skips: Sequence[Counter[str]],
    units: Sequence[WorkUnit],
    cached_before: set[str],
    results: Sequence[tuple[str, UnitResult]],
    assembled: Assembled,
) -> FilterReport:
    counts: dict[str, SourceCounts] = {s.name: SourceCounts() for s in sources}
    for source, skips in zip(sources, planning_skips, strict=True):
        _add(counts[source.name].skipped, skips)
    for unit in units:
        entry = counts[sources[unit.source_index].name]
        entry.units += 1
        entry.units_cached += unit.key in cached_before
    for name, result in results:
        entry = counts[name]
        entry.yielded += len(result.rows) + sum(result.filtered.values())
        entry.kept += len(result.rows)
        _add(entry.skipped, result.skipped)
        _add(entry.filtered, result.filtered)
        _add(entry.licenses_excluded, result.licenses_excluded)
    for name, dropped in assembled.dropped.items():
        counts[name].kept -= sum(dropped.values())
        _add(counts[name].filtered, dropped)
    totals: dict[str, int] = {}
    for entry in counts.values():
        _add(totals, Counter(entry.skipped) + Counter(entry.filtered))
    return FilterReport(
        license_allowlist=list(config.license_allowlist),
        sources=counts,
        totals=dict(sorted(totals.items())),
    )


def _add(into: dict[str, int], counter: Counter[str] | dict[str, int]) -> None:
    for key, value in counter.items():
        if value:
            into[key] = into.get(key, 0) + value


def _stats(
    assembled: Assembled,
    units: Sequence[WorkUnit],
    cached: int,
    options: BuildOptions,
    seed: int,
    wall_s: float,
) -> BuildStats:
    by_source: dict[str, dict[str, int]] = {}
    pools_by_source: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        for row in assembled.rows[split]:
            _bump(by_source, row.record.source, split)
        for pool in assembled.pools[split]:
            _bump(pools_by_source, pool.source, split)
    total = sum(len(rows) for rows in assembled.rows.values())
    shard = options.shard
    groups = {s: len({r.record.group for r in assembled.rows[s]}) for s in SPLITS}
    return BuildStats(
        warnings=split_warnings(groups, {s: len(assembled.rows[s]) for s in SPLITS}),
        transitions={s: len(assembled.rows[s]) for s in SPLITS},
        transitions_by_source=by_source,
        pools={s: len(assembled.pools[s]) for s in SPLITS},
        pools_by_source=pools_by_source,
        decoy_pools={s: len(assembled.decoys.get(s, [])) for s in SPLITS},
        groups=groups,
        units_total=len(units),
        units_cached=cached,
        shard=f"{shard.index}/{shard.count}" if shard else None,
        workers=options.workers,
        seed=seed,
        wall_s=round(wall_s, 3),
        transitions_per_s=round(total / wall_s, 1) if wall_s > 0 else 0.0,
    )


def split_warnings(groups: Mapping[Split, int], transitions: Mapping[Split, int]) -> list[str]:
    """What a user must know about the split: a dataset of one group holds nothing out."""
    total = sum(groups.values())
    if sum(transitions.values()) == 0:
        return []
    if total == 1:
        return [
            "all transitions come from ONE group (split by group: a repository or package), so "
            "nothing was held out: val and test are empty or train is; give several repositories "
            'or set group_by = "top_dir" for a git source'
        ]
    empty = [s for s in SPLITS if transitions.get(s, 0) == 0]
    if empty:
        return [
            f"no transitions in {', '.join(empty)}: {total} groups were too few to fill every split"
        ]
    return []


def _bump(table: dict[str, dict[str, int]], source: str, split: str) -> None:
    row = table.setdefault(source, {s: 0 for s in SPLITS})
    row[split] += 1


def write_dataset(
    options: BuildOptions,
    config: BuildConfig,
    assembled: Assembled,
    report: FilterReport,
    stats: BuildStats,
    provenance: Sequence[dict[str, Any]] = (),
) -> None:
    """Write the layout of data/layout.py whole (manifest included) or not at all."""
    metadata = {"stats": stats.model_dump(mode="json"), "sources": list(provenance)}
    with ArtifactWriter(
        options.out,
        kind="dataset",
        config=config,
        overwrite=options.overwrite,
        command=options.command,
        metadata=metadata,
    ) as artifact:
        root = artifact.path
        for split in SPLITS:
            _write_lines(transitions_path(root, split), (r.record for r in assembled.rows[split]))
            _write_lines(pools_path(root, split), assembled.pools[split])
            if any(assembled.decoys.values()):
                _write_lines(decoy_pools_path(root, split), assembled.decoys[split])
        _write_json(root / "filter_report.json", report)
        if assembled.leakage is not None:
            _write_json(root / "leakage_report.json", assembled.leakage)
        _write_json(root / "stats.json", stats)


def _write_lines(path: Path, items: Iterable[BaseModel]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(item.model_dump_json() + "\n")


def _write_json(path: Path, report: BaseModel) -> None:
    path.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
