"""External pools: any `codelewm.rerank_pool.v1` file, validated, its unlabelled candidates
optionally labelled in the sandbox with per-pool tests.

The tests file is JSONL, one object per pool: `{"pool_id", "tests", "kind": "script"|"unittest",
"entry_point"?}` (human-eval style `check(candidate)` when `entry_point` is given). A candidate given
as a unified diff is applied to the pool's before first. Labels already present are kept; a candidate
whose runs disagree (flaky) stays unlabelled.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from codelewm.errors import ParseFailureError, SourceUnavailableError
from codelewm.eval.packs.mutants import Labeller, PackStats, label_statuses
from codelewm.eval.pools import candidate_code
from codelewm.execution import ExecutionStatus, SandboxJob, TestKind
from codelewm.records import RerankPool


class PoolTests(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pool_id: str
    tests: str
    kind: TestKind = TestKind.SCRIPT
    entry_point: str | None = None


def read_pool_tests(path: Path) -> dict[str, PoolTests]:
    if not path.is_file():
        raise SourceUnavailableError(f"tests file {path} does not exist")
    out = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = PoolTests.model_validate_json(line)
        except ValidationError as exc:
            raise ParseFailureError(f"{path}:{number}: not a pool tests record: {exc}") from exc
        out[entry.pool_id] = entry
    return out


def label_external(
    pools: list[RerankPool], tests: dict[str, PoolTests], label: Labeller
) -> tuple[list[RerankPool], PackStats]:
    """`pools` with every unlabelled candidate that has tests labelled by execution."""
    stats = PackStats(tasks=len(pools), kept=len(pools))
    out = []
    for pool in pools:
        spec = tests.get(pool.pool_id)
        todo = [c for c in pool.candidates if c.passed is None]
        if spec is None or not todo:
            stats.already_labelled += int(not todo)
            stats.unlabelled += sum(c.passed is None for c in pool.candidates)
            out.append(pool)
            continue
        jobs = [
            SandboxJob(
                candidate_code(pool.before, c.code),
                spec.tests,
                spec.kind,
                spec.entry_point,
                c.candidate_id,
            )
            for c in todo
        ]
        statuses = dict(
            zip((c.candidate_id for c in todo), label_statuses(label, jobs, stats), strict=True)
        )
        candidates = [
            c
            if c.candidate_id not in statuses or statuses[c.candidate_id] is None
            else c.model_copy(update={"passed": statuses[c.candidate_id] is ExecutionStatus.PASSED})
            for c in pool.candidates
        ]
        out.append(pool.model_copy(update={"candidates": candidates}))
    return out, stats
