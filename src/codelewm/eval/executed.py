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
from collections import Counter
from collections.abc import Sequence

from codelewm.checkpoint.calibrator import Calibrator
from codelewm.code.examples import Example, check_program, examples_for, outputs_of
from codelewm.code.probes import probe_calls, probe_examples
from codelewm.errors import InputError
from codelewm.eval.examples_exec import cluster_weights, top_tier
from codelewm.eval.execution_fusion import execution_terms
from codelewm.execution import ExecutionResult, Limits, SandboxJob, TestKind, run_many
from codelewm.records import RerankRecord, ScoreRecord
from codelewm.scoring.recommend import STATIC, Basis, recommend

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
    chosen = kind or detect_test_kind(tests)
    updated, runs = _run_all(rerank, tests, tests_name, chosen, entry_point, limits, workers)
    passed_first = sorted(
        enumerate(updated),
        key=lambda item: (not _passed(item[1]), -_fraction(item[1]), item[0]),
    )
    order = "passing candidates first, then by the fraction of checks passed, then by score"
    return _finish(rerank, [r for _, r in passed_first], runs, tests_name, chosen, order)


def _run_all(
    rerank: RerankRecord,
    tests: str,
    tests_name: str,
    kind: TestKind,
    entry_point: str | None,
    limits: Limits | None,
    workers: int,
) -> tuple[list[ScoreRecord], list[ExecutionResult]]:
    """The results in rank order, each runnable one with its run attached; the runs."""
    if not tests.strip():
        raise InputError(f"the tests in {tests_name} are empty", remediation="Give a test file.")
    if len(tests) > MAX_TESTS_CHARS:
        raise InputError(f"the tests in {tests_name} are over {MAX_TESTS_CHARS:,} characters")
    ordered = sorted(rerank.results, key=lambda r: (r.rank is None, r.rank or 0))
    to_run = [r for r in ordered if runnable(r)]
    jobs = [
        SandboxJob(r.after_code or "", tests, kind, entry_point, r.candidate_id) for r in to_run
    ]
    results = list(run_many(jobs, limits=limits, workers=workers))
    runs = dict(zip((r.candidate_id for r in to_run), results, strict=True))
    return [_with_run(r, runs.get(r.candidate_id), tests_name) for r in ordered], results


def _finish(
    rerank: RerankRecord,
    ranked_results: Sequence[ScoreRecord],
    runs: Sequence[ExecutionResult],
    tests_name: str,
    kind: TestKind,
    order: str,
    *,
    notes: Sequence[str] = (),
    basis: Basis = STATIC,
) -> RerankRecord:
    """The executed record: ranks renumbered, the recommendation among passing candidates (its
    reason in `basis`'s terms), the loud note that code ran (and how the order was made)."""
    ranked = [r.model_copy(update={"rank": n}) for n, r in enumerate(ranked_results, start=1)]
    note = _execution_note(tests_name, kind, runs, len(ranked), order)
    recommendation = recommend(ranked, usable=_passed, basis=basis)
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
            "warnings": [*rerank.warnings, *note, *notes],
        }
    )


#: the execution-aware order's basis: examples passed first, then its score and calibrator terms
EXECUTION = Basis(
    score=lambda r: r.execution.execution_score if r.execution is not None else None,
    terms=lambda r: dict(r.execution.execution_terms) if r.execution is not None else {},
    name="execution-aware score among those that passed the most examples",
    tier=lambda r: _fraction(r),
    tier_name="of the examples",
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
    tests_name: str, kind: TestKind, runs: Sequence[ExecutionResult], total: int, order: str
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
        f"Isolation: {', '.join(layers) or 'none'}. Ranked: {order}."
    ]
    note += [f"sandbox caveat: {c}" for c in caveats]
    return note


EXAMPLES_NAME = "examples"


def execute_examples(
    rerank: RerankRecord,
    *,
    before: str,
    instruction: str | None,
    calibrator: Calibrator | None = None,
    limits: Limits | None = None,
    workers: int = 1,
) -> RerankRecord:
    """`rerank` with every runnable candidate run against the examples mined from the instruction
    and the before (opt-in: `--execute examples`). Without examples nothing runs, and the record
    says so. With the checkpoint's execution-aware `calibrator` (`eval/execution_fusion.py`) the
    candidates that ran rank by it (ties: the static order); when none passed an example, or without
    a calibrator, passing candidates come first, then the static order."""
    examples = examples_for(before, instruction)
    if not examples:
        note = (
            "--execute examples: no runnable example was found in the instruction or the before's "
            "docstrings (doctests, `f(x) -> y` lines, asserts): nothing was executed"
        )
        return rerank.model_copy(update={"warnings": [*rerank.warnings, note]})
    shown = "; ".join(e.describe() for e in examples[:5])
    mined = f"{len(examples)} example(s) mined from the instruction and the before: {shown}"
    kind = TestKind.UNITTEST
    if calibrator is None:
        executed = execute_rerank(
            rerank,
            check_program(examples),
            tests_name=EXAMPLES_NAME,
            kind=kind,
            limits=limits,
            workers=workers,
        )
        return executed.model_copy(update={"warnings": [*executed.warnings, mined]})
    updated, runs = _run_all(
        rerank, check_program(examples), EXAMPLES_NAME, kind, None, limits, workers
    )
    by_id = {run.job_id: run for run in runs}
    ran = [r for r in updated if r.candidate_id in by_id]
    fractions = [_fraction(r) if _fraction(r) > 0 else 0.0 for r in ran]
    signatures = [outputs_of(by_id[r.candidate_id].stdout, len(examples)) for r in ran]
    counts = Counter(r.after_code for r in ran)
    shares = cluster_weights(signatures, [counts[r.after_code] for r in ran])
    static = [r.final_score if r.final_score is not None else 0.0 for r in ran]
    probe_shares, probe_note = _probe_tier(ran, fractions, examples, limits, workers)
    terms = execution_terms(calibrator, static, fractions, shares, probe_shares)
    if terms is None:
        order = (
            "no candidate passed an example, so the execution signals cannot tell them apart: the "
            "static order stands"
        )
        return _finish(rerank, updated, runs, EXAMPLES_NAME, kind, order, notes=[mined])
    scores = terms.sum(axis=1) + calibrator.bias  # = execution_scores(...)
    probe_of = {r.candidate_id: s for r, s in zip(ran, probe_shares, strict=True)}
    score_of = {r.candidate_id: float(s) for r, s in zip(ran, scores, strict=True)}
    share_of = {r.candidate_id: s for r, s in zip(ran, shares, strict=True)}
    terms_of = {
        r.candidate_id: dict(zip(calibrator.feature_names, map(float, row), strict=True))
        for r, row in zip(ran, terms, strict=True)
    }
    scored = [_with_execution_score(r, score_of, share_of, probe_of, terms_of) for r in updated]
    tier_of = {r.candidate_id: f for r, f in zip(ran, fractions, strict=True)}
    ranked = sorted(
        enumerate(scored),
        key=lambda item: (
            item[1].candidate_id not in score_of,
            -tier_of.get(item[1].candidate_id, 0.0),
            -score_of.get(item[1].candidate_id, 0.0),
            item[0],
        ),
    )
    order = (
        "by the execution-aware score (examples passed first; then the calibrator over the static "
        "final score and the behaviour clusters on the example and probe inputs, fitted on "
        f"{calibrator.fitted_on}), ties in the static order"
    )
    notes = [mined, *probe_note]
    return _finish(
        rerank,
        [r for _, r in ranked],
        runs,
        EXAMPLES_NAME,
        kind,
        order,
        notes=notes,
        basis=EXECUTION,
    )


def _probe_tier(
    ran: Sequence[ScoreRecord],
    fractions: Sequence[float],
    examples: list[Example],
    limits: Limits | None,
    workers: int,
) -> tuple[list[float | None], list[str]]:
    """Run the probe inputs (`code/probes.py`) for the candidates that passed the most examples
    when they are two or more different programs: their probe-behaviour shares (None for the
    others) and a note naming what ran."""
    tier = top_tier(list(fractions), [r.after_code or "" for r in ran])
    probes = probe_calls(examples) if tier else []
    if not probes:
        return [None] * len(ran), []
    program = check_program(probe_examples(probes))
    jobs = [
        SandboxJob(
            ran[i].after_code or "",
            program,
            TestKind.UNITTEST,
            None,
            f"probe:{ran[i].candidate_id}",
        )
        for i in tier
    ]
    results = list(run_many(jobs, limits=limits, workers=workers))
    counts = Counter(ran[i].after_code for i in tier)
    values = cluster_weights(
        [outputs_of(r.stdout, len(probes)) for r in results],
        [counts[ran[i].after_code] for i in tier],
    )
    shares: list[float | None] = [None] * len(ran)
    for i, value in zip(tier, values, strict=True):
        shares[i] = value
    shown = "; ".join(probes[:4])
    note = (
        f"{len(probes)} probe input(s) near the examples' (no expected output; behaviour clusters "
        f"only) ran for the {len(tier)} candidates that passed the most examples: {shown}"
    )
    return shares, [note]


def _with_execution_score(
    result: ScoreRecord,
    score_of: dict[str, float],
    share_of: dict[str, float | None],
    probe_of: dict[str, float | None],
    terms_of: dict[str, dict[str, float]],
) -> ScoreRecord:
    if result.execution is None or result.candidate_id not in score_of:
        return result
    summary = result.execution.model_copy(
        update={
            "execution_score": score_of[result.candidate_id],
            "cluster_share": share_of[result.candidate_id],
            "probe_share": probe_of[result.candidate_id],
            "execution_terms": terms_of[result.candidate_id],
        }
    )
    return result.model_copy(update={"execution": summary})
