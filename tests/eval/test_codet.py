"""CodeT over real sandbox runs: which generated tests each candidate passes, dual agreement, the
rerank record that says code ran, and the generated+X rows of P4."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codelewm.cli.app import app
from codelewm.eval.codet import (
    agreement_first,
    dual_agreement,
    execute_generated,
    run_pool_generated,
)
from codelewm.eval.downstream import evaluate_downstream
from codelewm.eval.leakage import check_leakage
from codelewm.records import (
    ErrorRecord,
    GeneratedTest,
    GeneratedTestSet,
    PoolCandidate,
    RerankPool,
    RerankRecord,
    ScoreRecord,
    Validity,
)
from codelewm.scoring.registry import get_scorer

BEFORE = (
    "def moving_average(values, window):\n"
    "    averages = []\n"
    "    for start in range(len(values) - window):\n"
    "        averages.append(sum(values[start : start + window]) / window)\n"
    "    return averages\n"
)
GOOD = BEFORE.replace("range(len(values) - window)", "range(len(values) - window + 1)")
DROPS_FIRST = BEFORE.replace("range(len(values) - window)", "range(1, len(values) - window + 1)")
CRASH = "def moving_average(values, window):\n    raise ValueError(window)\n"
# the fixture's tests: the correct function passes 7 (t006 repeats the bug), the before passes
# t004 and t006, the candidate that drops the first window passes t004 only
SOURCES = [
    "assert moving_average([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]",
    "assert moving_average([1.0, 2.0, 3.0], 3) == [2.0]",
    "assert moving_average([5, 5, 5], 1) == [5.0, 5.0, 5.0]",
    "assert moving_average([], 2) == []",
    "assert moving_average([2, 4], 2) == [3.0]",
    "assert moving_average([1, 2, 3, 4], 2) == [1.5, 2.5]",
    "assert moving_average([1, 2, 3], 1) == [1.0, 2.0, 3.0]",
    "assert moving_average([0, 0], 1) == [0.0, 0.0]",
]
GOOD_PASSES = ["t001", "t002", "t003", "t004", "t005", "t007", "t008"]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _tests(task_id: str = "task") -> GeneratedTestSet:
    tests = [
        GeneratedTest(
            test_id=f"t{i + 1:03d}", source=s, sha256=_sha(s), origin="llm:request0:choice0"
        )
        for i, s in enumerate(SOURCES)
    ]
    return GeneratedTestSet(
        task_id=task_id,
        entry_point="moving_average",
        before_sha256=_sha(BEFORE),
        tests=tests,
        tests_sha256=_sha("\n".join(SOURCES)),
        generator="fixture:test",
    )


def _record(cid: str, rank: int, after: str | None, score: float | None) -> ScoreRecord:
    error = None
    if after is None:
        error = ErrorRecord(error_type="HunkMismatchError", message="no", remediation="fix")
    return ScoreRecord(
        rank=rank,
        candidate_id=cid,
        final_score=score,
        validity=Validity(parses=after is not None, applies=after is not None),
        after_code=after,
        error=error,
        checkpoint_id="ckpt",
        checkpoint_sha256="00" * 32,
        input_digest="11" * 32,
    )


def _rerank() -> RerankRecord:
    """The static order puts the correct candidate last among the valid ones."""
    return RerankRecord(
        instruction="Fix the off-by-one: the last full window is missing.",
        before_sha256=_sha(BEFORE),
        input_digest="33" * 32,
        checkpoint_id="ckpt",
        checkpoint_sha256="00" * 32,
        results=[
            _record("drops-first", 1, DROPS_FIRST, -1.0),
            _record("noop-a", 2, BEFORE, -2.0),
            _record("crash", 3, CRASH, -3.0),
            _record("noop-b", 4, BEFORE + "\n", -4.0),
            _record("good", 5, GOOD, -5.0),
            _record("broken", 6, None, None),
        ],
    )


def test_dual_agreement_is_group_weight_times_tests_passed() -> None:
    a, b = frozenset({"t1", "t2"}), frozenset({"t3"})
    scores = dual_agreement([a, a, b, frozenset(), None], [1.0, 2.0, 5.0, 1.0, 1.0])
    assert scores == [6.0, 6.0, 5.0, 0.0, None]
    assert agreement_first([[0.0, 0.5, 0.1, 0.2, 0.3]], [scores])[0] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert agreement_first([[0.3, 0.1]], [[None, None]])[0] == [1.0, 0.0]  # static order kept


def test_the_correct_candidate_wins_on_agreement_in_a_real_sandbox() -> None:
    out = execute_generated(_rerank(), _tests(), workers=2)
    assert out.executed is True
    order = [r.candidate_id for r in out.results]
    assert order == ["good", "noop-a", "noop-b", "drops-first", "crash", "broken"]
    execution = {r.candidate_id: r.execution for r in out.results}
    good = execution["good"]
    assert good is not None and good.checks == "generated tests"
    assert good.passed_checks == GOOD_PASSES and good.agreement == 7.0
    assert good.tests_passed == 7 and good.passed_fraction == 7 / 8
    assert "process_group" in good.isolation
    noop = execution["noop-a"]
    assert noop is not None and noop.passed_checks == ["t004", "t006"]
    assert noop.agreement == 4.0  # two candidates pass exactly {t004, t006}: 2 x 2
    drops = execution["drops-first"]
    assert drops is not None and drops.passed_checks == ["t004"] and drops.agreement == 1.0
    crash = execution["crash"]
    assert crash is not None and crash.passed_checks == [] and crash.agreement == 0.0
    assert execution["broken"] is None  # invalid: not run
    note = next(w for w in out.warnings if w.startswith("CODE WAS EXECUTED"))
    assert "5 of 6 candidates ran against 8 generated tests of 'task'" in note
    assert "process_group" in note
    good_record = out.results[0]
    assert any("passed 7 of 8" in w and "dual agreement 7" in w for w in good_record.warnings)
    assert out.recommendation is not None and out.recommendation.candidate_id == "good"
    assert "dual agreement" in out.recommendation.reason


def test_duplicates_can_outvote_a_lone_correct_candidate_as_codet_says() -> None:
    pool = RerankPool(
        pool_id="p",
        before=BEFORE,
        instruction="Fix it.",
        candidates=[
            PoolCandidate(candidate_id="good", code=GOOD, passed=True),
            PoolCandidate(candidate_id="noop", code=BEFORE, passed=False, n_samples=4),
            PoolCandidate(candidate_id="crash", code=CRASH, passed=False),
        ],
    )
    uniform = RerankPool(
        pool_id="u",
        before=BEFORE,
        instruction="Fix it.",
        candidates=[PoolCandidate(candidate_id="g", code=GOOD, passed=True)],
    )
    missing = uniform.model_copy(update={"pool_id": "m"})
    run = run_pool_generated([pool, uniform, missing], {"p": _tests("p"), "u": _tests("u")})
    assert run.scores[0] == [7.0, 8.0, 0.0]  # 4 samples x 2 tests beat 1 x 7
    assert run.scores[1] == [None] and run.skipped_uniform == 1
    assert run.pools_with_tests == 2 and run.pools_without_tests == ["m"]
    assert run.candidates_run == 3 and run.tests == 16
    leakage = check_leakage(None, set())  # a baseline: overlap 0 by construction
    report = evaluate_downstream(
        [pool, uniform, missing],
        get_scorer("lexical"),
        pools_label="test",
        leakage=leakage,
        baselines=["random-expected", "consensus"],
        generated=run,
    )
    rows = {r.name: r for r in report.rankers}
    assert rows["generated+lexical"].per_pool == [0.0, 1.0, 1.0]  # the four duplicates win
    assert rows["generated+consensus"].role == "execution"
    assert report.generated_execution is not None
    assert set(report.generated_execution.lift_over_static) == {
        "generated+lexical",
        "generated+consensus",
        "generated+random-expected",
    }
    assert report.strongest_baseline in {"random-expected", "consensus"}


def test_eval_without_generated_tests_is_a_typed_error(tmp_path: Path) -> None:
    pools = tmp_path / "pools.jsonl"
    pools.write_text(
        RerankPool(
            pool_id="p",
            before=BEFORE,
            instruction="x",
            candidates=[PoolCandidate(candidate_id="a", code=GOOD, passed=True)],
        ).model_dump_json()
        + "\n"
    )
    args = ["eval", "downstream-rerank", "--pools", str(pools), "--scorer", "lexical"]
    args += ["--out", str(tmp_path / "out"), "--json"]
    for mode in ("generated", "all"):
        result = CliRunner().invoke(app, [*args, "--execute", mode])
        assert result.exit_code == 2, result.output
        assert f"--execute {mode} needs --generated-tests" in result.stdout
    stray = CliRunner().invoke(app, [*args, "--generated-tests", str(tmp_path)])
    assert stray.exit_code == 2 and "only with --execute generated" in stray.stdout
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("tests_run", [None, 3])
def test_printed_passes_that_disagree_with_unittests_counts_count_for_nothing(
    tests_run: int | None,
) -> None:
    from codelewm.eval.codet import PASS_MARKER, passed_tests
    from codelewm.execution import ExecutionResult, ExecutionStatus, Limits, Policy

    stdout = "".join(f'{PASS_MARKER}"t00{i}"\n' for i in (1, 2))
    result = ExecutionResult(
        status=ExecutionStatus.FAILED,
        isolation=[],
        duration_s=0.1,
        tests_run=tests_run,
        failures=1 if tests_run else None,
        stdout=stdout,
        stdout_sha256="",
        limits=Limits(),
        policy=Policy(),
    )
    expected = frozenset({"t001", "t002"}) if tests_run == 3 else frozenset()
    assert passed_tests(result, _tests()) == expected
