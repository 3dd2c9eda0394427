"""One unit of build work: run a source on one unit, gate and filter its output, cache the result.

A unit's result (kept rows, the source's own pools, reason counts) is written to a gzip JSON-lines file
named by its cache key, a digest of the source config, the filter/license settings, the unit id and
`CACHE_VERSION`; a re-run (or another shard writing into the same cache directory) reuses it. Files
are written atomically, so an interrupted build leaves only finished units behind.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from codelewm import __version__
from codelewm.artifacts.atomic import atomic_write_bytes
from codelewm.data.decoys import DecoyPoolSource
from codelewm.data.dedup import exact_key
from codelewm.data.filters import FilterConfig, contains_secret, record_skip_reason
from codelewm.data.license import DEFAULT_ALLOWLIST, license_allowed
from codelewm.data.rows import Row
from codelewm.data.sources.base import PoolSource, Source, SourceConfig
from codelewm.records import RerankPool, SameBeforePool, TransitionRecord

CACHE_VERSION = "3"  # bump when any source or gate changes its output


class GateConfig(BaseModel):
    """What every record passes through in its unit: the license gate and the filters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    license_allowlist: tuple[str, ...] = DEFAULT_ALLOWLIST
    filters: FilterConfig = FilterConfig()


@dataclass
class UnitResult:
    rows: list[Row] = field(default_factory=list)
    pools: list[SameBeforePool] = field(default_factory=list)
    decoys: list[RerankPool] = field(default_factory=list)  # kept only with their transition
    skipped: Counter[str] = field(default_factory=Counter)  # counted by the source
    filtered: Counter[str] = field(default_factory=Counter)  # counted by the gate and filters
    licenses_excluded: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def cache_key(config: SourceConfig, gate: GateConfig, unit: str) -> str:
    """Digest of everything a unit's output depends on (the Python version picks the stdlib)."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    parts = (CACHE_VERSION, __version__, python, config.model_dump_json(), gate.model_dump_json())
    return exact_key(*parts, unit)[:32]


def run_unit(source: Source, unit: str, gate: GateConfig) -> UnitResult:
    """The gated, filtered output of `source` on `unit`."""
    start = time.perf_counter()
    source.skipped.clear()
    result = UnitResult()
    licenses: dict[str, str | None] = {}
    memo: dict[str, str] = {}
    for record in source.iter_transitions(unit):
        licenses.setdefault(record.group, record.license)
        reason = _gate(record, gate, result)
        if reason is None:
            result.rows.append(Row.of(record, memo))
        else:
            result.filtered[reason] += 1
    if isinstance(source, PoolSource):
        for pool in source.iter_pools(unit):
            reason = _pool_reason(pool, licenses.get(pool.group), gate)
            if reason is None:
                result.pools.append(pool)
            else:
                result.filtered[reason] += 1
    if isinstance(source, DecoyPoolSource):
        kept = {row.record.transition_id for row in result.rows}
        for decoy in source.iter_decoy_pools(unit):
            if getattr(decoy, "transition_id", None) in kept:
                result.decoys.append(decoy)
            else:
                result.filtered["decoy_pool_without_transition"] += 1
    result.skipped = Counter({k: v for k, v in source.skipped.items() if v})
    result.seconds = time.perf_counter() - start
    return result


def _gate(record: TransitionRecord, gate: GateConfig, result: UnitResult) -> str | None:
    if not license_allowed(record.license, gate.license_allowlist):
        result.licenses_excluded[record.license or "unknown"] += 1
        return "license_excluded"
    return record_skip_reason(record, gate.filters)


def _pool_reason(pool: SameBeforePool, license_id: str | None, gate: GateConfig) -> str | None:
    if not license_allowed(license_id, gate.license_allowlist):
        return "pool_license_excluded"
    texts = [pool.before, pool.context, *(m.after for m in pool.members)]
    if gate.filters.drop_secrets and any(contains_secret(t) for t in texts):
        return "pool_secret_found"
    return None


def write_unit(path: Path, result: UnitResult) -> None:
    header = {
        "skipped": result.skipped,
        "filtered": result.filtered,
        "licenses_excluded": result.licenses_excluded,
        "seconds": result.seconds,
    }
    lines = [json.dumps(header)]
    for row in result.rows:
        lines.append(
            json.dumps(
                {"b": row.before_key, "a": row.after_key, "r": row.record.model_dump(mode="json")}
            )
        )
    lines.extend(json.dumps({"p": pool.model_dump(mode="json")}) for pool in result.pools)
    lines.extend(json.dumps({"d": pool.model_dump(mode="json")}) for pool in result.decoys)
    atomic_write_bytes(
        path, gzip.compress(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"), 1)
    )


def read_unit(path: Path) -> UnitResult:
    text = gzip.decompress(path.read_bytes()).decode("utf-8", "surrogatepass")
    lines = text.splitlines()
    header = json.loads(lines[0])
    result = UnitResult(
        skipped=Counter(header["skipped"]),
        filtered=Counter(header["filtered"]),
        licenses_excluded=Counter(header["licenses_excluded"]),
        seconds=header["seconds"],
    )
    for line in lines[1:]:
        item = json.loads(line)
        if "p" in item:
            result.pools.append(SameBeforePool.model_validate(item["p"]))
        elif "d" in item:
            result.decoys.append(RerankPool.model_validate(item["d"]))
        else:
            record = TransitionRecord.model_validate(item["r"])
            result.rows.append(Row(record, item["b"], item["a"]))
    return result
