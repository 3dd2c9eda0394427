"""Execution-labelled WS-D pools: reference solution(s) plus seeded single-point mutants that FAIL.

For each task: every reference is canonicalised (`ast.unparse`, as every mutant is, so formatting
cannot separate them) and must pass its tests in the sandbox, or the task is dropped and counted.
Mutants come from `codelewm.code.mutations`, are labelled in the sandbox, and up to `max_failing`
failing ones are kept (a mutant that still passes is an equivalent mutant and is dropped). Tasks with
fewer than `min_failing` failing mutants are dropped. Candidates are sorted by id
(`<pool_id>#<sha1(code)[:12]>`), so their order tells nothing.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from codelewm.code.mutations import canonical_source, mutate_function
from codelewm.errors import ParseFailureError
from codelewm.execution import ExecutionStatus, Limits, Policy, SandboxJob, TestKind, run_many
from codelewm.records import PoolCandidate, RerankPool

MAX_FAILING = 5
MIN_FAILING = 3
MUTANTS_TRIED = 12
LABEL_CHUNK = 6
LABEL_LIMITS = Limits(wall_s=5.0, cpu_s=3, memory_mb=2048)
# dataframebench imports pandas/polars/matplotlib/scipy in every run: slower, bigger, and polars or
# matplotlib spawn helper processes. Its candidates are trusted references and mutants of them.
HEAVY_LABEL_LIMITS = Limits(wall_s=20.0, cpu_s=10, memory_mb=8192)
HEAVY_POLICY = Policy(site_packages=True, allow_subprocess=True)


@dataclass(frozen=True)
class Task:
    """One execution-labelled problem."""

    task_id: str
    before: str
    instruction: str
    references: tuple[str, ...]
    tests: str
    kind: TestKind = TestKind.SCRIPT
    entry_point: str | None = None
    source: dict[str, str] = field(default_factory=dict)


class PackStats(BaseModel):
    """What the build kept and dropped, and why."""

    model_config = ConfigDict(extra="forbid")

    tasks: int = 0
    kept: int = 0
    dropped: dict[str, int] = {}
    pool_sizes: dict[str, int] = {}
    sandbox_runs: int = 0
    flaky: int = 0
    already_labelled: int = 0  # external pools: pools that needed no labelling
    unlabelled: int = 0  # external pools: candidates left without a label (no tests given)
    statuses: dict[str, int] = {}
    examples_appended: int = 0  # devset with --append-examples: instructions given one example


Labeller = Callable[[Sequence[SandboxJob]], list[ExecutionStatus]]


def sandbox_labeller(
    *, workers: int = 2, policy: Policy | None = None, limits: Limits = LABEL_LIMITS
) -> Labeller:
    """Run each job in the sandbox and return its status."""

    def label(jobs: Sequence[SandboxJob]) -> list[ExecutionStatus]:
        results = run_many(jobs, limits=limits, policy=policy, workers=workers)
        return [result.status for result in results]

    return label


def _job(task: Task, program: str) -> SandboxJob:
    return SandboxJob(program, task.tests, task.kind, task.entry_point, task.task_id)


def candidate_id(pool_id: str, code: str) -> str:
    return f"{pool_id}#{hashlib.sha1(code.encode('utf-8')).hexdigest()[:12]}"


def _seed(task_id: str, seed: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{task_id}".encode()).digest()[:8], "little")


def build_task_pool(
    task: Task,
    label: Labeller,
    stats: PackStats,
    *,
    seed: int,
    max_failing: int = MAX_FAILING,
    min_failing: int = MIN_FAILING,
) -> RerankPool | None:
    """The task's pool, or None (with the reason counted in `stats.dropped`)."""
    try:
        references = list(dict.fromkeys(canonical_source(r) for r in task.references))
    except ParseFailureError:
        return _drop(stats, "reference does not parse")
    statuses = label_statuses(label, [_job(task, r) for r in references], stats)
    if any(s is not ExecutionStatus.PASSED for s in statuses):
        bad = {s.value if s else "flaky" for s in statuses if s is not ExecutionStatus.PASSED}
        return _drop(stats, "reference fails its tests: " + ",".join(sorted(bad)))
    mutants = _mutants(references, seed=_seed(task.task_id, seed))
    failing: list[tuple[str, str]] = []
    for start in range(0, len(mutants), LABEL_CHUNK):  # stop labelling once enough fail
        chunk = mutants[start : start + LABEL_CHUNK]
        chunk_status = label_statuses(label, [_job(task, m) for m, _ in chunk], stats)
        failing += [
            mo
            for mo, st in zip(chunk, chunk_status, strict=True)
            if st is not ExecutionStatus.PASSED
        ]
        if len(failing) >= max_failing:
            break
    if len(failing) < min_failing:
        return _drop(stats, f"fewer than {min_failing} failing mutants")
    members = [(r, "reference", True) for r in references]
    members += [(m, f"mutant:{op}", False) for m, op in failing[:max_failing]]
    return _pool(task, members, stats)


def _mutants(references: list[str], *, seed: int) -> list[tuple[str, str]]:
    """Mutants of every reference, interleaved, distinct from each other and from the references."""
    rng = random.Random(seed)
    per_reference = [mutate_function(r, rng=rng, max_mutants=MUTANTS_TRIED) for r in references]
    seen = set(references)
    out: list[tuple[str, str]] = []
    for round_ in range(MUTANTS_TRIED):
        for mutations in per_reference:
            if round_ < len(mutations) and mutations[round_].code not in seen:
                seen.add(mutations[round_].code)
                out.append((mutations[round_].code, mutations[round_].op))
    return out


CONFIRM = {
    ExecutionStatus.ERROR,
    ExecutionStatus.KILLED,
    ExecutionStatus.MEMORY,
    ExecutionStatus.TIMEOUT,
}


def label_statuses(
    label: Labeller, jobs: list[SandboxJob], stats: PackStats
) -> list[ExecutionStatus | None]:
    """Statuses of `jobs`; a run that ended in error/timeout/killed/memory is run once more (a real
    failure repeats, a hiccup of the machine does not), and a job whose two runs disagree is None
    (flaky: kept out of every pool)."""
    statuses: list[ExecutionStatus | None] = list(_run(label, jobs, stats))
    again = [i for i, s in enumerate(statuses) if s in CONFIRM]
    for i, second in zip(again, _run(label, [jobs[i] for i in again], stats), strict=True):
        if second != statuses[i]:
            statuses[i] = None
            stats.flaky += 1
    return statuses


def _run(label: Labeller, jobs: list[SandboxJob], stats: PackStats) -> list[ExecutionStatus]:
    statuses = label(jobs) if jobs else []
    stats.sandbox_runs += len(jobs)
    for status in statuses:
        stats.statuses[status.value] = stats.statuses.get(status.value, 0) + 1
    return statuses


def _drop(stats: PackStats, reason: str) -> RerankPool | None:
    stats.dropped[reason] = stats.dropped.get(reason, 0) + 1
    return None


def _pool(task: Task, members: list[tuple[str, str, bool]], stats: PackStats) -> RerankPool:
    pool_id = task.task_id
    candidates = sorted(
        (
            PoolCandidate(
                candidate_id=candidate_id(pool_id, code), code=code, passed=ok, origin=origin
            )
            for code, origin, ok in members
        ),
        key=lambda c: c.candidate_id,
    )
    stats.kept += 1
    size = str(len(candidates))
    stats.pool_sizes[size] = stats.pool_sizes.get(size, 0) + 1
    return RerankPool(
        pool_id=pool_id,
        before=task.before,
        instruction=task.instruction,
        candidates=candidates,
        source=dict(task.source),
    )


def build_pools(
    tasks: Sequence[Task],
    label: Labeller,
    *,
    seed: int = 17,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[RerankPool], PackStats]:
    """Pools for every task that qualifies, and the build statistics."""
    stats = PackStats(tasks=len(tasks))
    pools = []
    for task in tasks:
        pool = build_task_pool(task, label, stats, seed=seed)
        if pool is not None:
            pools.append(pool)
        if progress is not None:
            progress(1)
    stats.dropped = dict(Counter(stats.dropped).most_common())
    return pools, stats
