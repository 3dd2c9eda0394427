"""Opt-in execution against LLM-written tests (CodeT, Chen et al. 2022): dual agreement.

The tests come from a `codelewm llm tests` artifact (`codelewm.generated_tests.v1` sets, read and
checked by `eval.generated_io`). Every runnable candidate runs all of its task's tests in the
sandbox, one child process per candidate (`run_many`): the program has one `unittest` test per
generated assert and each passing test prints its id, so a run says exactly which tests the
candidate passed (a run whose printed passes disagree with unittest's own counts is taken to pass
none). Candidates that pass exactly the same set of tests form a group; a group's score is its
sample weight (each candidate counts `n_samples` in pool files, `eval.pools.sample_count`, else 1)
times the number of tests the set holds. Candidates rank by their group's score, ties (and a pool
where no candidate passes any test) in the static order.

Generated tests are untrusted twice: the model may have written wrong expectations (which is why
agreement, not pass/fail, decides) and the candidates are untrusted code (which is why only the
sandbox runs them, and only when asked).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from codelewm.eval.bootstrap import Estimate
from codelewm.eval.examples_exec import examples_first, execution_lifts
from codelewm.eval.executed import runnable
from codelewm.eval.pools import candidate_code, sample_count
from codelewm.execution import ExecutionResult, Limits, Policy, SandboxJob, TestKind, run_many
from codelewm.records import (
    GeneratedTestSet,
    Recommendation,
    RerankPool,
    RerankRecord,
    ScoreRecord,
)
from codelewm.scoring.recommend import recommend

GENERATED_NAME = "generated tests"
PASS_MARKER = "@@codelewm-generated-pass@@"
GENERATED_LIMITS = Limits(wall_s=10)


def generated_program(tests: GeneratedTestSet) -> str:
    """A `unittest`-kind module with one test per generated assert, run in the candidate's
    namespace; a test that passes prints `PASS_MARKER` + its JSON test id."""
    payload = json.dumps([[t.test_id, t.source] for t in tests.tests])
    return f"""
import json as _json, unittest as _unittest

_NAMESPACE = globals()


def _generated_test(test_id, source):
    def test(self):
        exec(compile(source, "<generated test>", "exec"), dict(_NAMESPACE))
        print({PASS_MARKER!r} + _json.dumps(test_id), flush=True)
    return test


class CodelewmGeneratedTests(_unittest.TestCase):
    pass


for _index, (_test_id, _source) in enumerate(_json.loads({payload!r})):
    setattr(
        CodelewmGeneratedTests, f"test_generated_{{_index:04d}}", _generated_test(_test_id, _source)
    )
"""


def passed_tests(result: ExecutionResult, tests: GeneratedTestSet) -> frozenset[str]:
    """The ids of the tests a run passed: those it printed, when they agree with unittest's counts
    (tests run minus failures and errors), else none."""
    ids = {t.test_id for t in tests.tests}
    found: set[str] = set()
    for line in result.stdout.splitlines():
        if line.startswith(PASS_MARKER):
            try:
                test_id = json.loads(line[len(PASS_MARKER) :])
            except ValueError:
                continue
            if isinstance(test_id, str) and test_id in ids:
                found.add(test_id)
    counted = (result.tests_run or 0) - (result.failures or 0) - (result.errors or 0)
    return frozenset(found) if len(found) == counted else frozenset()


def dual_agreement(
    passed: Sequence[frozenset[str] | None], weights: Sequence[float]
) -> list[float | None]:
    """Each candidate's CodeT score: the weight of the candidates passing exactly its set of tests,
    times the size of that set (None: the candidate did not run)."""
    group: dict[frozenset[str], float] = {}
    for tests, weight in zip(passed, weights, strict=True):
        if tests is not None:
            group[tests] = group.get(tests, 0.0) + weight
    return [group[t] * len(t) if t is not None else None for t in passed]


def agreement_first(
    energies: Sequence[Sequence[float]], scores: Sequence[Sequence[float | None]]
) -> list[list[float]]:
    """Energies (lower = better) that sort by dual agreement first, then by `energies` (the same
    evidence-first order as the examples mode)."""
    return examples_first(energies, scores)


# --- one rerank ----------------------------------------------------------------------------------


def execute_generated(
    rerank: RerankRecord,
    tests: GeneratedTestSet,
    *,
    limits: Limits | None = None,
    workers: int = 1,
) -> RerankRecord:
    """`rerank` with every runnable candidate run against `tests` (opt-in: `--execute generated`),
    ranked by dual agreement, then by the order it had. Without tests nothing runs, and the record
    says so."""
    if not tests.tests:
        empty = (
            f"--execute generated: the generated tests of {tests.task_id!r} hold no test "
            f"({_discarded(tests)}): nothing was executed"
        )
        return rerank.model_copy(update={"warnings": [*rerank.warnings, empty]})
    ordered = sorted(rerank.results, key=lambda r: (r.rank is None, r.rank or 0))
    to_run = [r for r in ordered if runnable(r)]
    program = generated_program(tests)
    jobs = [
        SandboxJob(r.after_code or "", program, TestKind.UNITTEST, None, r.candidate_id)
        for r in to_run
    ]
    runs = dict(
        zip(
            (r.candidate_id for r in to_run),
            run_many(jobs, limits=limits or GENERATED_LIMITS, workers=workers),
            strict=True,
        )
    )
    passed = [
        passed_tests(runs[r.candidate_id], tests) if r.candidate_id in runs else None
        for r in ordered
    ]
    scores = dual_agreement(passed, [1.0] * len(ordered))
    updated = [
        _with_run(r, runs.get(r.candidate_id), p, s, len(tests.tests))
        for r, p, s in zip(ordered, passed, scores, strict=True)
    ]
    by_agreement = sorted(
        enumerate(updated),
        key=lambda item: (scores[item[0]] is None, -(scores[item[0]] or 0.0), item[0]),
    )
    ranked = [r.model_copy(update={"rank": n}) for n, (_, r) in enumerate(by_agreement, start=1)]
    note = _execution_note(tests, list(runs.values()), len(ordered), scores, rerank.before_sha256)
    return rerank.model_copy(
        update={
            "executed": True,
            "results": ranked,
            "recommendation": _recommendation(ranked),
            "warnings": [*rerank.warnings, *note],
        }
    )


def _agreement(result: ScoreRecord) -> float:
    execution = result.execution
    return execution.agreement or 0.0 if execution is not None else 0.0


def _recommendation(ranked: Sequence[ScoreRecord]) -> Recommendation:
    recommendation = recommend(ranked, usable=lambda r: _agreement(r) > 0)
    if recommendation.candidate_id is not None:
        reason = f"highest dual agreement on {GENERATED_NAME} (code was executed); "
        return recommendation.model_copy(update={"reason": reason + recommendation.reason})
    if ranked:
        reason = f"no candidate passed any of the {GENERATED_NAME}: no recommendation"
        return recommendation.model_copy(update={"reason": reason})
    return recommendation


def _with_run(
    result: ScoreRecord,
    run: ExecutionResult | None,
    passed: frozenset[str] | None,
    score: float | None,
    total: int,
) -> ScoreRecord:
    if run is None or passed is None:
        return result
    summary = run.summary(GENERATED_NAME).model_copy(
        update={
            "tests_passed": len(passed),
            "passed_fraction": len(passed) / total,
            "passed_checks": sorted(passed),
            "agreement": score,
        }
    )
    shown = ", ".join(sorted(passed)) or "none"
    warning = (
        f"{GENERATED_NAME}: passed {len(passed)} of {total} ({shown}); run {run.status.value}; "
        f"dual agreement {score:g}"
    )
    return result.model_copy(update={"execution": summary, "warnings": [*result.warnings, warning]})


def _execution_note(
    tests: GeneratedTestSet,
    runs: Sequence[ExecutionResult],
    total: int,
    scores: Sequence[float | None],
    before_sha256: str,
) -> list[str]:
    layers: dict[str, None] = {}
    caveats: dict[str, None] = {}
    for run in runs:
        layers.update(dict.fromkeys(run.isolation))
        caveats.update(dict.fromkeys(run.caveats))
    note = [
        f"CODE WAS EXECUTED: {len(runs)} of {total} candidates ran against {len(tests.tests)} "
        f"{GENERATED_NAME} of {tests.task_id!r} (written by {tests.generator}, sha256 "
        f"{tests.tests_sha256[:12]}) in the sandbox, one child process each. Isolation: "
        f"{', '.join(layers) or 'none'}. Ranked by CodeT dual agreement (candidates passing the "
        "same tests x the number of those tests), then by score."
    ]
    if not any(s for s in scores if s is not None):
        note.append(
            f"no candidate passed any of the {GENERATED_NAME}: the order is the static order"
        )
    if tests.before_sha256 != before_sha256:
        note.append(
            f"the {GENERATED_NAME} were written for another before (sha256 "
            f"{tests.before_sha256[:12]}, this one {before_sha256[:12]})"
        )
    note += [f"sandbox caveat: {c}" for c in caveats]
    return note


def _discarded(tests: GeneratedTestSet) -> str:
    shown = ", ".join(f"{k} {v}" for k, v in tests.discarded.items())
    return f"discarded: {shown}" if shown else "the model gave none"


# --- pools (eval downstream-rerank) --------------------------------------------------------------


class GeneratedRun(BaseModel):
    """What ran: per pool, per candidate, its dual-agreement score (None: not run)."""

    model_config = ConfigDict(extra="forbid")

    scores: list[list[float | None]]
    pools_with_tests: int
    pools_without_tests: list[str]
    tests: int
    candidates_run: int
    skipped_uniform: int
    wall_s: float


class GeneratedComparison(BaseModel):
    """The `generated+<ranker>` rows' paired lifts, beside the static report."""

    model_config = ConfigDict(extra="forbid")

    pools_with_tests: int
    pools_without_tests: int
    tests: int
    candidates_run: int
    skipped_uniform: int
    wall_s: float
    rows: list[str]
    lift_over_static: dict[str, Estimate]
    lift_over_generated_without_model: Estimate | None


def run_pool_generated(
    pools: Sequence[RerankPool],
    tests_by_pool: dict[str, GeneratedTestSet],
    *,
    workers: int = 2,
    limits: Limits = GENERATED_LIMITS,
    policy: Policy | None = None,
) -> GeneratedRun:
    """Run every candidate of every pool whose order can matter against the pool's generated
    tests, under `policy` (default: the sandbox's own). A pool whose candidates all share one label
    is not run (no order changes its pass@1)."""
    started = time.perf_counter()
    jobs: list[SandboxJob] = []
    where: list[tuple[int, int]] = []
    skipped = 0
    for p, pool in enumerate(pools):
        tests = tests_by_pool.get(pool.pool_id)
        if tests is None or not tests.tests:
            continue
        if len({c.passed for c in pool.candidates}) == 1:
            skipped += 1
            continue
        program = generated_program(tests)
        for c, candidate in enumerate(pool.candidates):
            jobs.append(
                SandboxJob(
                    candidate_code(pool.before, candidate.code),
                    program,
                    TestKind.UNITTEST,
                    None,
                    f"{pool.pool_id}#{c}",
                )
            )
            where.append((p, c))
    passed: list[list[frozenset[str] | None]] = [[None] * len(p.candidates) for p in pools]
    runs = run_many(jobs, limits=limits, policy=policy, workers=workers)
    for (p, c), result in zip(where, runs, strict=True):
        passed[p][c] = passed_tests(result, tests_by_pool[pools[p].pool_id])
    scores = [
        dual_agreement(passed[p], [float(sample_count(c)) for c in pool.candidates])
        for p, pool in enumerate(pools)
    ]
    with_tests = [
        p for p in pools if tests_by_pool.get(p.pool_id) and tests_by_pool[p.pool_id].tests
    ]
    return GeneratedRun(
        scores=scores,
        pools_with_tests=len(with_tests),
        pools_without_tests=[p.pool_id for p in pools if p not in with_tests],
        tests=sum(len(tests_by_pool[p.pool_id].tests) for p in with_tests),
        candidates_run=len(jobs),
        skipped_uniform=skipped,
        wall_s=round(time.perf_counter() - started, 2),
    )


def compare_generated(
    per_pool: dict[str, list[float]], *, scorer: str, strongest: str | None, run: GeneratedRun
) -> GeneratedComparison:
    """Paired lifts: each generated row over the strongest static baseline, and generated+model
    over generated+consensus (what the model adds once the generated tests ran)."""
    rows, lifts, model_lift = execution_lifts(
        per_pool, ("generated+",), "generated", scorer=scorer, strongest=strongest
    )
    return GeneratedComparison(
        pools_with_tests=run.pools_with_tests,
        pools_without_tests=len(run.pools_without_tests),
        tests=run.tests,
        candidates_run=run.candidates_run,
        skipped_uniform=run.skipped_uniform,
        wall_s=run.wall_s,
        rows=rows,
        lift_over_static=lifts,
        lift_over_generated_without_model=model_lift,
    )


__all__ = [
    "GENERATED_NAME",
    "GeneratedComparison",
    "GeneratedRun",
    "agreement_first",
    "compare_generated",
    "dual_agreement",
    "execute_generated",
    "generated_program",
    "passed_tests",
    "run_pool_generated",
]
