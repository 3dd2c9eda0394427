"""Opt-in execution for a rerank (`codelewm rerank --tests FILE`): CodeT-style, passing candidates first.

Scoring never executes anything and never imports the sandbox; this step sits above it. It takes a
finished `codelewm.rerank.v1` record, runs every candidate that has an after-state which parses
against the given tests in the execution sandbox (`codelewm.execution`: one child process per
candidate, see `execution/sandbox.py` for what it does and does not protect against), attaches each
run's status and isolation layers, and re-ranks: candidates whose tests passed first, then the rest;
within each group the model's order is kept. Invalid candidates are not run.

The record says what happened: `executed=True`, a warning naming the tests, how many candidates ran
and the isolation layers that applied, and each run's caveats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from codelewm.code.examples import Example, check_program, mine_examples
from codelewm.code.functions import defined_functions, docstrings
from codelewm.errors import InputError
from codelewm.execution import ExecutionResult, Limits, SandboxJob, TestKind, run_many
from codelewm.records import RerankRecord, ScoreRecord
from codelewm.scoring.recommend import recommend

_UNITTEST = re.compile(r"\bunittest\b|\(\s*TestCase\s*\)")
MAX_TESTS_CHARS = 1_000_000


def detect_test_kind(tests: str) -> TestKind:
    """`unittest` when the tests use unittest (a TestCase), else `script` (bare asserts)."""
    return TestKind.UNITTEST if _UNITTEST.search(tests) else TestKind.SCRIPT


def runnable(result: ScoreRecord) -> bool:
    """Whether a candidate is run: it loaded without error and its after-state parses."""
    return result.error is None and result.after_code is not None and result.validity.parses


def execute_rerank(
    rerank: RerankRecord,
    tests: str,
    *,
    tests_name: str = "tests",
    kind: TestKind | None = None,
    entry_point: str | None = None,
    limits: Limits | None = None,
    workers: int = 1,
) -> RerankRecord:
    """`rerank` with every runnable candidate run against `tests`, passing candidates ranked first."""
    if not tests.strip():
        raise InputError(f"the tests in {tests_name} are empty", remediation="Give a test file.")
    if len(tests) > MAX_TESTS_CHARS:
        raise InputError(f"the tests in {tests_name} are over {MAX_TESTS_CHARS:,} characters")
    chosen = kind or detect_test_kind(tests)
    ordered = sorted(rerank.results, key=lambda r: (r.rank is None, r.rank or 0))
    to_run = [r for r in ordered if runnable(r)]
    jobs = [
        SandboxJob(r.after_code or "", tests, chosen, entry_point, r.candidate_id) for r in to_run
    ]
    runs = dict(
        zip(
            (r.candidate_id for r in to_run),
            run_many(jobs, limits=limits, workers=workers),
            strict=True,
        )
    )
    updated = [_with_run(r, runs.get(r.candidate_id), tests_name) for r in ordered]
    passed_first = sorted(
        enumerate(updated),
        key=lambda item: (not _passed(item[1]), -_fraction(item[1]), item[0]),
    )
    ranked = [r.model_copy(update={"rank": n}) for n, (_, r) in enumerate(passed_first, start=1)]
    note = _execution_note(tests_name, chosen, list(runs.values()), len(ordered))
    recommendation = recommend(ranked, usable=_passed)
    if recommendation.candidate_id is not None:
        recommendation = recommendation.model_copy(
            update={"reason": f"passed {tests_name} (code was executed); {recommendation.reason}"}
        )
    elif ranked:
        recommendation = recommendation.model_copy(
            update={"reason": f"no candidate passed {tests_name}: no recommendation"}
        )
    return rerank.model_copy(
        update={
            "executed": True,
            "results": ranked,
            "recommendation": recommendation,
            "warnings": [*rerank.warnings, *note],
        }
    )


def _passed(result: ScoreRecord) -> bool:
    return result.execution is not None and result.execution.status == "passed"


def _fraction(result: ScoreRecord) -> float:
    execution = result.execution
    return execution.passed_fraction or 0.0 if execution is not None else -1.0


def _with_run(result: ScoreRecord, run: ExecutionResult | None, checks: str) -> ScoreRecord:
    if run is None:
        return result
    warnings = list(result.warnings)
    if not run.passed:
        detail = f": {run.detail}" if run.detail else ""
        warnings.append(f"tests {run.status.value}{detail}")
    return result.model_copy(update={"execution": run.summary(checks), "warnings": warnings})


def _execution_note(
    tests_name: str, kind: TestKind, runs: Sequence[ExecutionResult], total: int
) -> list[str]:
    layers: dict[str, None] = {}
    caveats: dict[str, None] = {}
    for run in runs:
        layers.update(dict.fromkeys(run.isolation))
        caveats.update(dict.fromkeys(run.caveats))
    passed = sum(run.passed for run in runs)
    note = [
        f"CODE WAS EXECUTED: {len(runs)} of {total} candidates ran against {tests_name} "
        f"({kind.value} tests) in the sandbox, one child process each; {passed} passed. "
        f"Isolation: {', '.join(layers) or 'none'}. Ranked: passing candidates first, then by the "
        "fraction of checks passed, then by score."
    ]
    note += [f"sandbox caveat: {c}" for c in caveats]
    return note


EXAMPLES_NAME = "examples"


def examples_for(before: str, instruction: str | None) -> list[Example]:
    """The checks the instruction and the before's docstrings already give (`code.examples`),
    for the functions the before defines (any call when it defines none)."""
    names: list[str | None] = [*defined_functions(before)] or [None]
    found: list[Example] = []
    for text in (instruction or "", *docstrings(before)):
        for name in names:
            found += [e for e in mine_examples(text, name) if e not in found]
    return found


def execute_examples(
    rerank: RerankRecord,
    *,
    before: str,
    instruction: str | None,
    limits: Limits | None = None,
    workers: int = 1,
) -> RerankRecord:
    """`rerank` with every runnable candidate run against the examples mined from the instruction
    and the before (opt-in: `--execute examples`). Without examples nothing runs, and the record
    says so."""
    examples = examples_for(before, instruction)
    if not examples:
        note = (
            "--execute examples: no runnable example was found in the instruction or the before's "
            "docstrings (doctests, `f(x) -> y` lines, asserts): nothing was executed"
        )
        return rerank.model_copy(update={"warnings": [*rerank.warnings, note]})
    shown = "; ".join(e.describe() for e in examples[:5])
    executed = execute_rerank(
        rerank,
        check_program(examples),
        tests_name=EXAMPLES_NAME,
        kind=TestKind.UNITTEST,
        limits=limits,
        workers=workers,
    )
    note = f"{len(examples)} example(s) mined from the instruction and the before: {shown}"
    return executed.model_copy(update={"warnings": [*executed.warnings, note]})
