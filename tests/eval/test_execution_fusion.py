"""The execution-aware score: features, the listwise fit, the order it gives, its fallbacks, and the
opt-in `execute_examples` step ranking real sandbox runs by it."""

from __future__ import annotations

import numpy as np
import pytest

from codelewm.checkpoint.calibrator import EXECUTION_FEATURES, Calibrator
from codelewm.errors import CheckpointError
from codelewm.eval.downstream import evaluate_downstream
from codelewm.eval.examples_exec import run_pool_examples
from codelewm.eval.executed import execute_examples
from codelewm.eval.execution_fusion import (
    execution_energies,
    execution_features,
    execution_scores,
    failed_yet_passing,
    fit_execution_calibrator,
)
from codelewm.eval.leakage import check_leakage
from codelewm.records import PoolCandidate, RerankPool, RerankRecord, ScoreRecord, Validity
from codelewm.scoring.registry import get_scorer

BEFORE = 'def double(x: int) -> int:\n    """Return twice x.\n\n    >>> double(2)\n    4\n    """\n'
RIGHT = "def double(x):\n    return 2 * x\n"
PLUS_TWO = "def double(x):\n    return x + 2\n"  # passes double(2) == 4, wrong elsewhere
SQUARE = "def double(x):\n    return x * x\n"  # passes double(2) == 4, wrong elsewhere
CRASH = "def double(x):\n    raise ValueError(x)\n"


def _calibrator(weights: tuple[float, ...]) -> Calibrator:
    n = len(EXECUTION_FEATURES)
    return Calibrator(EXECUTION_FEATURES, weights, 0.0, (0.0,) * n, (1.0,) * n, fitted_on="test")


#: within a tier of examples passed: behaviour on the probe inputs first, then the static score
TRUSTING = _calibrator((0.5, 2.0, 10.0))


def test_features_are_within_the_call() -> None:
    f = execution_features([3.0, 1.0, 2.0], [0.5, None, 0.25], [None, 0.5, 0.5])
    assert f["static_z"].argmax() == 0 and abs(float(f["static_z"].mean())) < 1e-9
    assert f["cluster_share"].tolist() == [0.5, 0.0, 0.25]
    assert f["probe_share"].tolist() == [0.0, 0.5, 0.5]


def test_passing_more_examples_always_ranks_higher() -> None:
    # b passed fewer examples: no static score or cluster share lifts it above a or c
    energies = execution_energies(
        TRUSTING, [[9.0, -9.0, 0.0]], [[1.0, 0.5, 1.0]], [[0.1, 0.9, 0.1]]
    )[0]
    assert energies[1] > max(energies[0], energies[2]) and energies[2] < energies[0]


def test_nothing_passed_means_no_execution_order() -> None:
    assert execution_scores(TRUSTING, [1.0, 2.0], [0.0, 0.0], [0.5, 0.5]) is None
    assert execution_scores(TRUSTING, [], [], []) is None


def test_energies_keep_the_static_order_where_nothing_ran_or_nothing_passed() -> None:
    energies = [[0.1, 0.2, 0.3], [0.1, 0.2], [0.3, 0.2, 0.1]]
    fractions = [[None, None, None], [0.0, 0.0], [1.0, 0.0, 1.0]]
    clusters = [[None, None, None], [0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]
    out = execution_energies(TRUSTING, energies, fractions, clusters)
    assert out[0] == energies[0] and out[1] == energies[1]
    # the third pool: the two that passed lead; of them the better static score (lower energy) wins
    assert out[2].index(min(out[2])) == 2 and out[2][1] == max(out[2])


def test_the_fit_uses_the_top_tier_and_refuses_empty_data() -> None:
    pools, static, fractions, clusters = [], [], [], []
    rng = np.random.default_rng(0)
    for p in range(30):
        # the right one passes its example and sits in the bigger behaviour cluster; one wrong one
        # passes too, one fails (outside the top tier: never a row of the fit); static is noise
        labels = [True, False, False]
        pools.append(
            RerankPool(
                pool_id=f"p{p}",
                before=BEFORE,
                instruction=None,
                candidates=[
                    PoolCandidate(candidate_id=f"p{p}#{i}", code=str(i), passed=ok)
                    for i, ok in enumerate(labels)
                ],
            )
        )
        static.append(rng.normal(size=3).tolist())
        fractions.append([1.0, 1.0 if p % 2 else 0.0, 0.0])
        clusters.append([0.6, 0.3, 0.1])
    fitted = fit_execution_calibrator(static, fractions, clusters, pools, fitted_on="synthetic")
    weights = dict(zip(fitted.feature_names, fitted.weights, strict=True))
    assert weights["cluster_share"] > 0 and abs(weights["static_z"]) < weights["cluster_share"]
    assert weights["probe_share"] == 0.0  # never probed: no information, no weight
    assert failed_yet_passing(fractions, pools) == (0, 45)
    uniform = RerankPool(
        pool_id="u",
        before=BEFORE,
        instruction=None,
        candidates=[PoolCandidate(candidate_id="u#0", code=RIGHT, passed=True)],
    )
    with pytest.raises(ValueError, match="both a passing and a failing"):
        fit_execution_calibrator([[0.0]], [[1.0]], [[1.0]], [uniform], fitted_on="x")
    with pytest.raises(ValueError, match="both a passing and a failing"):  # nothing passed
        fit_execution_calibrator(
            [static[0]], [[0.0, 0.0, 0.0]], [clusters[0]], [pools[0]], fitted_on="x"
        )


def test_an_execution_calibrator_round_trips_and_unknown_features_are_refused() -> None:
    again = Calibrator.from_json(TRUSTING.to_json())
    assert again == TRUSTING
    with pytest.raises(CheckpointError, match="unknown features"):
        Calibrator(("examples_pased",), (1.0,), 0.0, (0.0,), (1.0,))


def _record(cid: str, rank: int, after: str, score: float) -> ScoreRecord:
    return ScoreRecord(
        rank=rank,
        candidate_id=cid,
        final_score=score,
        validity=Validity(parses=True, applies=True),
        after_code=after,
        checkpoint_id="ckpt",
        checkpoint_sha256="00" * 32,
        input_digest="11" * 32,
    )


def _rerank(results: list[ScoreRecord]) -> RerankRecord:
    return RerankRecord(
        instruction="double it",
        before_sha256="22" * 32,
        input_digest="33" * 32,
        checkpoint_id="ckpt",
        checkpoint_sha256="00" * 32,
        results=results,
    )


SUM = "def double(x):\n    return x + x\n"  # the same behaviour as RIGHT, another program


def test_execute_examples_ranks_the_runs_by_the_calibrated_score_with_probe_inputs() -> None:
    # static order: crash, square, plus_two, right, sum; double(2) == 4 passes all but the crash, so
    # on that input the four agree; on the probes (double(3), double(1), ...) right and sum agree
    rerank = _rerank(
        [
            _record("crash", 1, CRASH, 3.0),
            _record("square", 2, SQUARE, 2.0),
            _record("plus_two", 3, PLUS_TWO, 1.5),
            _record("right", 4, RIGHT, 1.0),
            _record("sum", 5, SUM, 0.5),
        ]
    )
    out = execute_examples(rerank, before=BEFORE, instruction=None, calibrator=TRUSTING)
    assert [r.candidate_id for r in out.results] == ["right", "sum", "square", "plus_two", "crash"]
    assert out.executed is True
    top = out.results[0].execution
    assert top is not None and top.execution_score is not None
    assert top.cluster_share == 0.8 and top.probe_share == 0.5
    assert out.results[-1].execution is not None and out.results[-1].execution.probe_share is None
    assert any("execution-aware score" in w and "fitted on test" in w for w in out.warnings)
    assert any("probe input(s)" in w and "double(3)" in w for w in out.warnings)
    assert out.recommendation.candidate_id == "right"
    # the reason is said in the execution-aware score's terms, not the static final score's
    rec = out.recommendation
    assert rec.runner_up == "sum" and rec.margin is not None and rec.margin >= 0
    assert "highest execution-aware score" in rec.reason and "leads sum" in rec.reason
    assert set(top.execution_terms) == set(EXECUTION_FEATURES)
    assert np.isclose(sum(top.execution_terms.values()) + TRUSTING.bias, top.execution_score)


def test_a_pick_that_passed_more_examples_says_so() -> None:
    rerank = _rerank([_record("crash", 1, CRASH, 3.0), _record("right", 2, RIGHT, 1.0)])
    out = execute_examples(rerank, before=BEFORE, instruction=None, calibrator=TRUSTING)
    rec = out.recommendation
    assert rec.candidate_id == "right" and rec.runner_up == "crash" and rec.margin is None
    assert "passed more of the examples than crash (100% vs 0%)" in rec.reason


def test_execute_examples_falls_back_to_the_static_order_when_nothing_passes() -> None:
    rerank = _rerank([_record("a", 1, CRASH, 2.0), _record("b", 2, CRASH + "\n", 1.0)])
    out = execute_examples(rerank, before=BEFORE, instruction=None, calibrator=TRUSTING)
    assert [r.candidate_id for r in out.results] == ["a", "b"]
    assert any("the static order stands" in w for w in out.warnings)
    assert out.recommendation.candidate_id is None


def test_the_downstream_report_adds_the_fused_rows_when_the_scorer_has_the_calibrator() -> None:
    def pool(pid: str, codes: list[tuple[str, bool]]) -> RerankPool:
        return RerankPool(
            pool_id=pid,
            before=BEFORE,
            instruction="Double it.",
            candidates=[
                PoolCandidate(candidate_id=f"{pid}#{i}", code=c, passed=ok)
                for i, (c, ok) in enumerate(codes)
            ],
        )

    pools = [
        pool("p1", [(PLUS_TWO, False), (RIGHT, True), (CRASH, False)]),
        pool("p2", [(CRASH, False), (RIGHT, True)]),
    ]
    run = run_pool_examples(pools, workers=2)
    scorer = get_scorer("lexical")
    scorer.execution_calibrator = TRUSTING  # type: ignore[attr-defined]
    leakage = check_leakage(None, set())  # a baseline: overlap 0 by construction
    report = evaluate_downstream(
        pools,
        scorer,
        pools_label="test",
        leakage=leakage,
        baselines=["random-expected", "consensus"],
        examples=run,
    )
    rows = {r.name: r for r in report.rankers}
    assert rows["examples+fused"].per_pool[1] == 1.0
    assert report.execution is not None
    assert report.execution.fused_over_examples_consensus is not None
    assert "examples+fused" in report.execution.lift_over_static
