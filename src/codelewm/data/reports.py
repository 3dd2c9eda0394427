"""The reports a dataset build writes next to its records (typed, versioned JSON)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceCounts(Report):
    units: int = 0
    units_cached: int = 0
    yielded: int = Field(default=0, description="records the source yielded")
    kept: int = Field(default=0, description="records written (after every gate)")
    skipped: dict[str, int] = Field(default_factory=dict, description="source reason codes")
    filtered: dict[str, int] = Field(default_factory=dict, description="gate/filter/dedup reasons")
    licenses_excluded: dict[str, int] = Field(default_factory=dict)


class FilterReport(Report):
    """`filter_report.json`: every reason a record was passed over, per source."""

    schema_version: Literal["codelewm.data.filter_report.v1"] = "codelewm.data.filter_report.v1"
    license_allowlist: list[str]
    sources: dict[str, SourceCounts]
    totals: dict[str, int] = Field(default_factory=dict)


class LeakageExample(Report):
    split: str
    transition_id: str
    train_before_key: str


class LeakageReport(Report):
    """`leakage_report.json`: val/test records dropped as near-duplicates of a train before."""

    schema_version: Literal["codelewm.data.leakage_report.v1"] = "codelewm.data.leakage_report.v1"
    method: str = "minhash_lsh"
    enabled: bool = True
    threshold: float
    num_perm: int
    shingle: int
    train_befores: int = 0
    checked_records: dict[str, int] = Field(default_factory=dict)
    dropped_records: dict[str, int] = Field(default_factory=dict)
    dropped_pools: dict[str, int] = Field(default_factory=dict)
    examples: list[LeakageExample] = Field(default_factory=list)


class BuildStats(Report):
    """`stats.json`: what the build wrote and how fast."""

    schema_version: Literal["codelewm.data.stats.v1"] = "codelewm.data.stats.v1"
    warnings: list[str] = Field(default_factory=list)
    transitions: dict[str, int]
    transitions_by_source: dict[str, dict[str, int]]
    pools: dict[str, int]
    pools_by_source: dict[str, dict[str, int]]
    decoy_pools: dict[str, int] = Field(default_factory=dict)
    groups: dict[str, int]
    units_total: int
    units_cached: int
    shard: str | None = None
    workers: int = 1
    seed: int = 0
    wall_s: float
    transitions_per_s: float
