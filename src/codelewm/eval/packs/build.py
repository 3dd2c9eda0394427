"""Build one pool file of a given kind and write it with its statistics (`OUT.stats.json`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from codelewm.artifacts.atomic import atomic_write_text
from codelewm.artifacts.digest import sha256_file
from codelewm.errors import InputError, SourceUnavailableError
from codelewm.eval.packs.external import label_external, read_pool_tests
from codelewm.eval.packs.mutants import (
    HEAVY_LABEL_LIMITS,
    HEAVY_POLICY,
    PackStats,
    Task,
    build_pools,
    sandbox_labeller,
)
from codelewm.eval.packs.sources import (
    dataframebench_tasks,
    dataframebench_train_tasks,
    humaneval_tasks,
    mbpp_tasks,
)
from codelewm.eval.pools import read_pool_file, write_pool_file
from codelewm.records import RerankPool

PACK_KINDS = ("humaneval", "mbpp", "dataframebench", "devset", "external")
# The labelled real-LLM MBPP pools, shipped in the repository as evaluation data (data/eval/README.md)
DEVSET_FILE = Path("data/eval/mbpp_llm_pools.v1.jsonl")


def pack_tasks(
    kind: str, *, mbpp: Path, wheel: Path | None, split: str | None = None
) -> tuple[list[Task], int]:
    """The tasks of a sandbox-labelled kind (humaneval, mbpp, dataframebench), and how many were
    dropped for matching evaluation data. `split` applies to dataframebench only: None packs val
    and test (evaluation), "train" the train split (calibration only)."""
    if split not in (None, "train"):
        raise InputError(
            f"--split {split!r}", remediation="Use --split train (dataframebench), or omit it."
        )
    if split is not None and kind != "dataframebench":
        raise InputError(
            f"--split applies to --kind dataframebench, not {kind!r}",
            remediation="Omit --split.",
        )
    if kind == "humaneval":
        return humaneval_tasks(), 0
    if kind == "mbpp":
        return mbpp_tasks(mbpp), 0
    if kind != "dataframebench":
        raise InputError(
            f"unknown pack kind {kind!r}", remediation=f"Use one of: {', '.join(PACK_KINDS)}."
        )
    if wheel is None:
        raise InputError(
            "--kind dataframebench needs --wheel",
            remediation="pip download --no-deps --python-version 3.12 --only-binary :all: dataframebench -d DIR",
        )
    if split == "train":
        return dataframebench_train_tasks(wheel)
    return dataframebench_tasks(wheel), 0


def label_tasks(
    kind: str,
    tasks: list[Task],
    *,
    seed: int,
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[RerankPool], PackStats]:
    """Pools of `tasks`, labelled in the sandbox (dataframebench: installed packages, more time)."""
    if kind == "dataframebench":
        label = sandbox_labeller(workers=workers, policy=HEAVY_POLICY, limits=HEAVY_LABEL_LIMITS)
    else:
        label = sandbox_labeller(workers=workers)
    return build_pools(tasks, label, seed=seed, progress=progress)


def devset_pools(path: Path) -> tuple[list[RerankPool], PackStats]:
    """An already labelled pool file, validated and passed through as is."""
    if not path.is_file():
        raise SourceUnavailableError(
            f"the labelled pool file {str(path)!r} does not exist",
            remediation=f"The real-LLM MBPP pools ship in the repository as {DEVSET_FILE}; "
            "run from a clone's root or pass --devset PATH.",
        )
    pools = read_pool_file(path)
    return pools, PackStats(tasks=len(pools), kept=len(pools))


def external_pools(
    path: Path, tests: Path | None, *, workers: int
) -> tuple[list[RerankPool], PackStats]:
    """Any pool file, validated; with `tests`, unlabelled candidates are labelled in the sandbox."""
    pools = read_pool_file(path)
    if tests is None:
        stats = PackStats(tasks=len(pools), kept=len(pools))
        stats.unlabelled = sum(c.passed is None for p in pools for c in p.candidates)
        return pools, stats
    return label_external(pools, read_pool_tests(tests), sandbox_labeller(workers=workers))


def write_pack(
    out: Path,
    pools: list[RerankPool],
    stats: PackStats,
    *,
    kind: str,
    seed: int,
    command: Sequence[str] = (),
) -> dict[str, Any]:
    """Write the pool file and `OUT.stats.json`; returns the stats document."""
    write_pool_file(out, pools)
    summary = {
        "schema_version": "codelewm.eval.pack_stats.v1",
        "kind": kind,
        "seed": seed,
        "command": list(command),
        "pools": len(pools),
        "pools_file": str(out),
        "pools_sha256": sha256_file(out),
        "stats": stats.model_dump(),
    }
    atomic_write_text(out.with_name(out.name + ".stats.json"), json.dumps(summary, indent=2) + "\n")
    return summary
