"""`dataset pack`: a built dataset as Parquet shards (any engine reads them) plus an HDF5 file of
per-record arrays, in an artifact whose manifest names the dataset as its parent.

```
PACK/
  transitions/<split>-<nnnnn>.parquet   one row per transition (meta as a JSON string)
  pools/<split>-<nnnnn>.parquet         one row per same-before pool (members as a list of structs)
  arrays.h5                             /<split>/{transition_id, source, before_chars, after_chars,
                                        context_chars, changed_lines}
  pack_stats.json, manifest.json, config.json
```
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from codelewm.artifacts.manifest import ArtifactWriter, load_manifest
from codelewm.data.filters import changed_lines
from codelewm.data.layout import SPLITS, read_pools, read_transitions
from codelewm.extras import require_extra
from codelewm.records import SameBeforePool, Split, TransitionRecord

if TYPE_CHECKING:
    import h5py
    import pyarrow as pa

SOURCES_ORDER: tuple[str, ...] = ("git", "ruff", "mutations", "releases", "stubs", "jsonl")

_TEXT = ("source", "group", "split", "path", "symbol")


def _schemas() -> tuple[pa.Schema, pa.Schema]:
    """The Parquet schemas of transitions and pools (pyarrow is imported only when packing)."""
    import pyarrow as pa

    transitions = pa.schema(
        [("transition_id", pa.string())]
        + [(name, pa.string()) for name in _TEXT]
        + [
            ("before", pa.large_string()),
            ("after", pa.large_string()),
            ("instruction", pa.string()),
            ("instruction_kind", pa.string()),
            ("context", pa.large_string()),
            ("truncated", pa.list_(pa.string())),
            ("license", pa.string()),
            ("meta", pa.string()),
        ]
    )
    member = pa.struct(
        [
            ("transition_id", pa.string()),
            ("instruction", pa.string()),
            ("instruction_kind", pa.string()),
            ("after", pa.large_string()),
        ]
    )
    pools = pa.schema(
        [("pool_id", pa.string())]
        + [(name, pa.string()) for name in _TEXT]
        + [
            ("before", pa.large_string()),
            ("context", pa.large_string()),
            ("members", pa.list_(member)),
        ]
    )
    return transitions, pools


class PackConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str
    dataset_artifact_id: str
    rows_per_shard: int = 50_000


class PackStats(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str = "codelewm.data.pack_stats.v1"
    transitions: dict[str, int]
    pools: dict[str, int]
    files: list[str]


def _transition_row(record: TransitionRecord) -> dict[str, Any]:
    row = record.model_dump(mode="json", exclude={"schema_version"})
    row["split"] = row["split"] or ""
    row["meta"] = json.dumps(row["meta"], sort_keys=True)
    return row


def _pool_row(pool: SameBeforePool) -> dict[str, Any]:
    return pool.model_dump(mode="json", exclude={"schema_version"})


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(items, size)):
        yield chunk


def _write_shards(
    directory: Path,
    split: Split,
    rows: Iterator[dict[str, Any]],
    size: int,
    schema: pa.Schema,
) -> list[Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for index, chunk in enumerate(_chunks(rows, size)):
        path = directory / f"{split}-{index:05d}.parquet"
        pq.write_table(pa.Table.from_pylist(chunk, schema=schema), path, compression="zstd")
        written.append(path)
    return written


def _write_arrays(h5: h5py.File, split: Split, records: Sequence[TransitionRecord]) -> None:
    group = h5.create_group(split)
    ids = np.array([r.transition_id.encode() for r in records], dtype="S24")
    group.create_dataset("transition_id", data=ids)
    codes = [SOURCES_ORDER.index(r.source) for r in records]
    group.create_dataset("source", data=np.array(codes, dtype=np.uint8))
    for name, values in (
        ("before_chars", [len(r.before) for r in records]),
        ("after_chars", [len(r.after) for r in records]),
        ("context_chars", [len(r.context) for r in records]),
        ("changed_lines", [changed_lines(r.before, r.after) for r in records]),
    ):
        group.create_dataset(name, data=np.array(values, dtype=np.int32))


def pack_dataset(
    dataset: Path,
    out: Path,
    *,
    rows_per_shard: int = 50_000,
    overwrite: bool = False,
    command: Sequence[str] | None = None,
) -> PackStats:
    """Pack the dataset at `dataset` into `out` (written whole or not at all)."""
    for module in ("pyarrow", "h5py"):
        require_extra(module, "data", feature="dataset pack")
    import h5py

    transition_schema, pool_schema = _schemas()
    manifest = load_manifest(dataset)
    config = PackConfig(
        dataset=str(dataset),
        dataset_artifact_id=manifest.artifact_id,
        rows_per_shard=rows_per_shard,
    )
    counts: dict[str, dict[str, int]] = {"transitions": {}, "pools": {}}
    files: list[Path] = []
    with ArtifactWriter(
        out,
        kind="dataset-pack",
        config=config,
        overwrite=overwrite,
        command=command,
        parents=[dataset],
    ) as artifact:
        root = artifact.path
        with h5py.File(root / "arrays.h5", "w") as h5:
            h5.attrs["sources"] = json.dumps(list(SOURCES_ORDER))
            for split in SPLITS:
                records = list(read_transitions(dataset, split))
                pools = list(read_pools(dataset, split))
                counts["transitions"][split] = len(records)
                counts["pools"][split] = len(pools)
                files += _write_shards(
                    root / "transitions",
                    split,
                    map(_transition_row, records),
                    rows_per_shard,
                    transition_schema,
                )
                files += _write_shards(
                    root / "pools", split, map(_pool_row, pools), rows_per_shard, pool_schema
                )
                _write_arrays(h5, split, records)
        stats = PackStats(
            transitions=counts["transitions"],
            pools=counts["pools"],
            files=sorted([p.relative_to(root).as_posix() for p in files] + ["arrays.h5"]),
        )
        (root / "pack_stats.json").write_text(stats.model_dump_json(indent=2) + "\n")
        artifact.metadata["stats"] = stats.model_dump(mode="json")
    return stats
