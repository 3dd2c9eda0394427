"""P4 with opt-in execution evidence: run the examples each pool's task gives, rank by them.

For every pool, the checks its instruction and its before already give are mined
(`code.examples.examples_for`); every candidate of the pool runs them in the sandbox
(one child process per candidate, `run_many`), and its fraction of examples passed becomes the first
sort key of an `examples+<ranker>` row, the static ranker's order the second (ties stay ties, so
pass@1 keeps random tie-breaking). Pools without examples keep the static order. The same runs give
each candidate's behaviour (what it returned on every example input): candidates that behave alike
form a cluster weighted by duplicate count (MBR-exec), the `clusters+consensus` row (no expected
outputs used) and the `examples+clusters` row (examples passed, then cluster weight, then consensus).

Shortcut, exact for pass@1: a pool whose candidates all share one label scores the same under every
order, so its candidates are not run (`ExamplesRun.skipped_uniform`). The labels never reach a
ranker: they only decide where running could change a number.
"""

from __future__ import annotations

import ast
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from codelewm.code.examples import (
    Example,
    check_program,
    examples_for,
    mine_examples,
    outputs_of,
    passed_fraction,
)
from codelewm.code.functions import defined_functions
from codelewm.code.probes import probe_calls, probe_examples
from codelewm.errors import InputError
from codelewm.eval.bootstrap import Estimate, paired_difference_ci
from codelewm.eval.pools import sample_count
from codelewm.execution import Limits, Policy, SandboxJob, TestKind, run_many
from codelewm.records import RerankPool

EXAMPLE_LIMITS = Limits(wall_s=10)


class ExamplesRun(BaseModel):
    """What ran: per pool, per candidate, the fraction of examples passed (None: not run)."""

    model_config = ConfigDict(extra="forbid")

    fractions: list[list[float | None]]
    clusters: list[list[float | None]]
    #: behaviour on probe inputs near the examples' (`code/probes.py`), for the candidates of a
    #: pool's top tier (most examples passed) when it holds two or more different programs: each
    #: one's share of that tier's samples that returned the same on every probe (None: not probed)
    probe_shares: list[list[float | None]] = []
    pools_with_examples: int
    candidates_run: int
    probes_run: int = 0
    skipped_uniform: int
    wall_s: float


class ExecutionComparison(BaseModel):
    """The execution rows' paired lifts, beside the static report."""

    model_config = ConfigDict(extra="forbid")

    pools_with_examples: int
    candidates_run: int
    skipped_uniform: int
    wall_s: float
    rows: list[str]
    lift_over_static: dict[str, Estimate]
    lift_over_examples_without_model: Estimate | None
    #: the execution-aware score (`examples+fused`) over examples+consensus and over the same
    #: calibrator applied to the static fusion (`examples+fused-without-model`); None without it
    fused_over_examples_consensus: Estimate | None = None
    fused_over_fused_without_model: Estimate | None = None


def run_pool_examples(
    pools: Sequence[RerankPool],
    *,
    workers: int = 2,
    limits: Limits = EXAMPLE_LIMITS,
    policy: Policy | None = None,
    max_examples: int | None = None,
) -> ExamplesRun:
    """Run every candidate of every pool whose order can matter against the pool's examples (the
    first `max_examples` of them when given: the execution-aware calibrator's fit shows one), under
    `policy` (default: the sandbox's own, which imports no installed package)."""
    started = time.perf_counter()
    jobs: list[SandboxJob] = []
    where: list[tuple[int, int]] = []
    examples_per_pool: list[list[Example]] = []
    skipped = 0
    for p, pool in enumerate(pools):
        examples = examples_for(pool.before, pool.instruction)[:max_examples]
        examples_per_pool.append(examples)
        labels = {c.passed for c in pool.candidates}
        if not examples:
            continue
        if len(labels) == 1:
            skipped += 1
            continue
        tests = check_program(examples)
        context = pool_context(pool)
        for c, candidate in enumerate(pool.candidates):
            job_id = f"{pool.pool_id}#{c}"
            code = context + candidate.code
            jobs.append(SandboxJob(code, tests, TestKind.UNITTEST, None, job_id))
            where.append((p, c))
    fractions: list[list[float | None]] = [[None] * len(pool.candidates) for pool in pools]
    signatures: list[list[tuple[str, ...] | None]] = [[None] * len(p.candidates) for p in pools]
    runs = run_many(jobs, limits=limits, policy=policy, workers=workers)
    for (p, c), result in zip(where, runs, strict=True):
        value = passed_fraction(result.tests_run, result.failures, result.errors)
        fractions[p][c] = value if value is not None else 0.0
        signatures[p][c] = outputs_of(result.stdout, len(examples_per_pool[p]))
    clusters = [
        cluster_weights(signatures[p], [sample_count(c) for c in pool.candidates])
        for p, pool in enumerate(pools)
    ]
    probe_shares, probes_run = probe_pools(
        pools, examples_per_pool, fractions, workers=workers, limits=limits, policy=policy
    )
    return ExamplesRun(
        fractions=fractions,
        clusters=clusters,
        probe_shares=probe_shares,
        probes_run=probes_run,
        pools_with_examples=sum(bool(e) for e in examples_per_pool),
        candidates_run=len(jobs),
        skipped_uniform=skipped,
        wall_s=round(time.perf_counter() - started, 2),
    )


def top_tier(fractions: Sequence[float | None], codes: Sequence[str]) -> list[int]:
    """The candidates that passed the most examples (more than none), when they are two or more
    different programs (else nothing is left for probes to separate): their indices."""
    ran = [f for f in fractions if f is not None]
    if not ran or max(ran) <= 0.0:
        return []
    best = max(ran)
    tier = [i for i, f in enumerate(fractions) if f is not None and f >= best - 1e-9]
    return tier if len({codes[i] for i in tier}) >= 2 else []


def probe_pools(
    pools: Sequence[RerankPool],
    examples_per_pool: Sequence[Sequence[Example]],
    fractions: Sequence[Sequence[float | None]],
    *,
    workers: int,
    limits: Limits,
    policy: Policy | None = None,
) -> tuple[list[list[float | None]], int]:
    """Run the probe inputs (`code/probes.py`) for each pool's top tier (`top_tier`) in the sandbox,
    one child process per candidate; each tier member's probe-behaviour share, and the runs."""
    jobs: list[SandboxJob] = []
    where: list[tuple[int, int]] = []
    probes_of: dict[int, list[str]] = {}
    for p, pool in enumerate(pools):
        tier = top_tier(fractions[p], [c.code for c in pool.candidates])
        probes = probe_calls(examples_per_pool[p]) if tier else []
        if not probes:
            continue
        probes_of[p] = probes
        program = check_program(probe_examples(probes))
        context = pool_context(pool)
        for c in tier:
            code = context + pool.candidates[c].code
            jobs.append(SandboxJob(code, program, TestKind.UNITTEST, None, f"{pool.pool_id}#p{c}"))
            where.append((p, c))
    signatures: dict[tuple[int, int], tuple[str, ...] | None] = {}
    runs = run_many(jobs, limits=limits, policy=policy, workers=workers)
    for key, result in zip(where, runs, strict=True):
        signatures[key] = outputs_of(result.stdout, len(probes_of[key[0]]))
    shares: list[list[float | None]] = [[None] * len(pool.candidates) for pool in pools]
    for p, pool in enumerate(pools):
        tier = [c for (q, c) in where if q == p]
        if not tier:
            continue
        values = cluster_weights(
            [signatures[(p, c)] for c in tier], [sample_count(pool.candidates[c]) for c in tier]
        )
        for c, value in zip(tier, values, strict=True):
            shares[p][c] = value
    return shares, len(jobs)


def pool_context(pool: RerankPool) -> str:
    """The source a labelled pool's candidates run after (`context`: the rest of a doctest task's
    module, as at labelling time); empty for pool files without it."""
    context = getattr(pool, "context", None)
    return context if isinstance(context, str) else ""


def lexicographic(keys: Sequence[Sequence[tuple[float, ...]]]) -> list[list[float]]:
    """Energies (lower = better) from per-candidate key tuples (lower = better, compared in
    order); equal tuples get equal energies, so ties are still broken at random."""
    out = []
    for row in keys:
        rank = {key: float(i) for i, key in enumerate(sorted(set(row)))}
        out.append([rank[key] for key in row])
    return out


def examples_first(
    energies: Sequence[Sequence[float]], fractions: Sequence[Sequence[float | None]]
) -> list[list[float]]:
    """Sort by examples passed first, then by `energies`."""
    return lexicographic(
        [
            [(-(f or 0.0), e) for e, f in zip(row, run, strict=True)]
            for row, run in zip(energies, fractions, strict=True)
        ]
    )


def clusters_first(
    energies: Sequence[Sequence[float]],
    clusters: Sequence[Sequence[float | None]],
    fractions: Sequence[Sequence[float | None]] | None = None,
) -> list[list[float]]:
    """MBR-exec: sort by the weight of the behaviour cluster a candidate belongs to (candidates that
    return the same on every example input, weighted by duplicate count), after the examples passed
    when `fractions` is given, then by `energies`."""
    rows = []
    for p, (row, weights) in enumerate(zip(energies, clusters, strict=True)):
        passed = fractions[p] if fractions is not None else [None] * len(row)
        rows.append(
            [(-(f or 0.0), -(w or 0.0), e) for e, w, f in zip(row, weights, passed, strict=True)]
        )
    return lexicographic(rows)


def cluster_weights(
    signatures: Sequence[tuple[str, ...] | None], samples: Sequence[int]
) -> list[float | None]:
    """Each candidate's share of the pool's samples that behave exactly like it (None: no
    behaviour seen)."""
    total = sum(samples) or 1
    weight: dict[tuple[str, ...], int] = {}
    for signature, n in zip(signatures, samples, strict=True):
        if signature is not None:
            weight[signature] = weight.get(signature, 0) + n
    return [weight[s] / total if s is not None else None for s in signatures]


def execution_lifts(
    per_pool: dict[str, list[float]],
    prefixes: tuple[str, ...],
    mode: str,
    *,
    scorer: str,
    strongest: str | None,
) -> tuple[list[str], dict[str, Estimate], Estimate | None]:
    """The execution rows, the paired lifts of every execution row (names starting with `prefixes`) over the strongest
    static baseline, and of `<mode>+<scorer>` over `<mode>+consensus` (what the model adds once the
    code ran; None when either row is missing or the scorer is consensus itself)."""
    rows = [name for name in per_pool if name.startswith(prefixes)]
    lifts = {}
    if strongest is not None:
        lifts = {row: paired_difference_ci(per_pool[row], per_pool[strongest]) for row in rows}
    with_model, without = f"{mode}+{scorer}", f"{mode}+consensus"
    model_lift = (
        paired_difference_ci(per_pool[with_model], per_pool[without])
        if with_model in per_pool and without in per_pool and with_model != without
        else None
    )
    return rows, lifts, model_lift


def compare(
    per_pool: dict[str, list[float]],
    *,
    scorer: str,
    strongest: str | None,
    run: ExamplesRun,
) -> ExecutionComparison:
    """Paired lifts: each execution row over the strongest static baseline, and examples+model
    over examples+consensus (what the model adds once examples ran)."""
    rows, lifts, model_lift = execution_lifts(
        per_pool, ("examples+", "clusters+"), "examples", scorer=scorer, strongest=strongest
    )

    def paired(row: str, other: str) -> Estimate | None:
        if row in per_pool and other in per_pool:
            return paired_difference_ci(per_pool[row], per_pool[other])
        return None

    return ExecutionComparison(
        fused_over_examples_consensus=paired("examples+fused", "examples+consensus"),
        fused_over_fused_without_model=paired("examples+fused", "examples+fused-without-model"),
        pools_with_examples=run.pools_with_examples,
        candidates_run=run.candidates_run,
        skipped_uniform=run.skipped_uniform,
        wall_s=run.wall_s,
        rows=rows,
        lift_over_static=lifts,
        lift_over_examples_without_model=model_lift,
    )


def _tasks(path: Path, what: str) -> list[dict[str, object]]:
    """The JSON objects of a JSONL task file (InputError when it is missing)."""
    if not path.is_file():
        raise InputError(f"{str(path)!r} does not exist", remediation=f"Give {what}.")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _with_example(
    pools: Sequence[RerankPool], example_of: Callable[[RerankPool], str | None]
) -> tuple[list[RerankPool], int]:
    """Each pool whose `example_of` is not None with that example appended to its instruction;
    the pools and how many got one."""
    out, added = [], 0
    for pool in pools:
        example = example_of(pool)
        if example is None:
            out.append(pool)
            continue
        instruction = f"{pool.instruction or ''}\n\nExample: {example.strip()}".strip()
        out.append(pool.model_copy(update={"instruction": instruction}))
        added += 1
    return out, added


def append_mbpp_examples(pools: Sequence[RerankPool], mbpp: Path) -> tuple[list[RerankPool], int]:
    """Each MBPP pool's instruction with one example appended: the first `test_list` assert of
    `mbpp.jsonl` for its task, when that assert calls the pool's own function (MultiPL-E renamed
    some). Returns the pools and how many got an example."""
    tests = {
        f"mbpp/{task['task_id']}": str(task["test_list"][0])  # type: ignore[index]
        for task in _tasks(mbpp, "mbpp.jsonl")
        if task.get("test_list")
    }

    def example_of(pool: RerankPool) -> str | None:
        names = defined_functions(pool.before)
        test = tests.get(pool.pool_id)
        return test if test is not None and names and mine_examples(test, names[-1]) else None

    return _with_example(pools, example_of)


def first_test_example(tests: str, entry_point: str) -> str | None:
    """The first `self.assertEqual(<call of entry_point>, <expected>)` of a unittest module, as
    `assert <call> == <expected>` (None when there is none): one visible example of the task."""
    try:
        tree = ast.parse(tests)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "assertEqual"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Call)
            and isinstance(node.args[0].func, ast.Name)
            and node.args[0].func.id == entry_point
        ):
            text = f"assert {ast.unparse(node.args[0])} == {ast.unparse(node.args[1])}"
            return text if mine_examples(text, entry_point) else None
    return None


def append_exercism_examples(
    pools: Sequence[RerankPool], exercism: Path
) -> tuple[list[RerankPool], int]:
    """Each exercism pool's instruction with one example appended: the first `assertEqual` of the
    exercise's tests that calls the pool's function (`first_test_example`), as the MBPP pools get
    their first `test_list` assert. Training-side data only (exercism: TRAINING_DATA.md). Returns
    the pools and how many got an example."""
    tests = {
        f"exercism/{task['slug']}": str(task.get("tests") or "")
        for task in _tasks(exercism, "exercism_python.jsonl")
    }

    def example_of(pool: RerankPool) -> str | None:
        symbol = getattr(pool, "symbol", None)
        found = tests.get(str(getattr(pool, "path", "")))
        return first_test_example(found, symbol) if found and isinstance(symbol, str) else None

    return _with_example(pools, example_of)


__all__ = [
    "ExamplesRun",
    "ExecutionComparison",
    "append_exercism_examples",
    "append_mbpp_examples",
    "cluster_weights",
    "clusters_first",
    "compare",
    "examples_first",
    "lexicographic",
    "run_pool_examples",
]
