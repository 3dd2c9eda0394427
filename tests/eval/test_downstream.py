"""P4 on hand-built labelled pools: exact pass@1 values, lift, claim, and the CLI artifact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codelewm.cli.app import app
from codelewm.errors import GateFailedError, InputError
from codelewm.eval.claim import enforce_gate
from codelewm.eval.downstream import evaluate_downstream
from codelewm.eval.leakage import check_leakage
from codelewm.eval.pools import write_pool_file
from codelewm.records import PoolCandidate, RerankPool
from codelewm.scoring.baselines import ConstantScorer, ValidityScorer

GOOD = "def f(x):\n    return x + 1\n"
BAD = "def f(x):\n    return y + 1\n"  # undefined name: invalid


def _pool(n: int, labels: list[bool]) -> RerankPool:
    codes = [GOOD if ok else BAD for ok in labels]
    return RerankPool(
        pool_id=f"p{n}",
        before="def f(x):\n    pass\n",
        instruction="add one",
        candidates=[
            PoolCandidate(candidate_id=f"p{n}#{i}", code=c, passed=ok)
            for i, (c, ok) in enumerate(zip(codes, labels, strict=True))
        ],
    )


POOLS = [_pool(0, [True, False, False, False]), _pool(1, [True, True]), _pool(2, [False, False])]


def _row(report, name):  # type: ignore[no-untyped-def]
    return next(r for r in report.rankers if r.name == name)


def test_validity_picks_the_passing_candidate_and_constant_is_random() -> None:
    leakage = check_leakage(None, set())
    report = evaluate_downstream(
        POOLS, ValidityScorer(), pools_label="t", leakage=leakage, baselines=("random-expected",)
    )
    assert (report.n_pools, report.n_mixed, report.n_candidates) == (3, 1, 8)
    validity = _row(report, "validity")
    assert validity.per_pool == [1.0, 1.0, 0.0]
    assert validity.pass_at_1_mixed is not None and validity.pass_at_1_mixed.mean == 1.0
    assert _row(report, "random-expected").per_pool == [0.25, 1.0, 0.0]
    assert _row(report, "oracle").per_pool == [1.0, 1.0, 0.0]
    assert report.strongest_baseline == "random-expected"
    assert report.lift is not None and report.lift.mean == pytest.approx(0.25)
    assert not report.claim.allowed
    assert report.claim.failed_conditions == [
        "n = 3 < 100",
        "the 95% CI of the pass@1 lift over random-expected (+0.250 [+0.000, +0.750])"
        " does not lie above 0",
    ]
    with pytest.raises(GateFailedError):
        enforce_gate(report.claim)


def test_constant_scorer_equals_random_expected() -> None:
    leakage = check_leakage(None, set())
    report = evaluate_downstream(
        POOLS, ConstantScorer(), pools_label="t", leakage=leakage, baselines=("lexical",)
    )
    assert _row(report, "random-expected").per_pool == [0.25, 1.0, 0.0]
    assert _row(report, "random-expected").pass_at_k["2"].mean == pytest.approx(
        (0.5 + 1.0 + 0.0) / 3
    )


def test_unlabelled_pools_are_refused() -> None:
    pool = RerankPool(
        pool_id="u",
        before="",
        instruction=None,
        candidates=[
            PoolCandidate(candidate_id="a", code=GOOD),
            PoolCandidate(candidate_id="b", code=GOOD),
        ],
    )
    with pytest.raises(InputError):
        evaluate_downstream(
            [pool, pool], ConstantScorer(), pools_label="t", leakage=check_leakage(None, set())
        )


def test_cli_writes_a_report_artifact_and_gates(tmp_path: Path) -> None:
    pools = tmp_path / "pools.jsonl"
    write_pool_file(pools, POOLS)
    out = tmp_path / "report"
    args = [
        "eval",
        "downstream-rerank",
        "--pools",
        str(pools),
        "--scorer",
        "validity",
        "--out",
        str(out),
        "--baselines",
        "random-expected,lexical",
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["schema_version"] == "codelewm.eval.downstream_rerank.v1"
    assert payload["leakage"]["overlap"] == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "manifest.json",
        "pass_at_1.png",
        "report.json",
        "report.md",
    ]
    gated = CliRunner().invoke(app, [*args, "--overwrite", "--gate"])
    assert gated.exit_code == 6


class _FusingScorer:
    """A ranker with a static twin (as a v2-calibrated WorldModelScorer has): ranks the reverse of
    validity and reports model-style components, to check the rows the report derives."""

    def __init__(self) -> None:
        from codelewm.checkpoint.calibrator import Calibrator

        self.static_calibrator = Calibrator(
            ("valid",), (2.0,), 0.0, (0.0,), (1.0,), fitted_on="unit test"
        )

    @property
    def name(self) -> str:
        return "fusing"

    def score_queries(self, queries):  # type: ignore[no-untyped-def]
        from codelewm.scoring.protocol import PoolScores

        out = []
        for q in queries:
            energies = tuple(0.0 if c == BAD else 1.0 for c in q.candidates)
            comps = {
                "energy": energies,
                "action_gain": tuple(0.0 for _ in energies),
                "consensus": tuple(-e for e in energies),
            }
            out.append(PoolScores(energies=energies, components=comps))
        return out


def test_report_has_the_fusion_without_the_model_and_each_signal_alone() -> None:
    report = evaluate_downstream(
        POOLS,
        _FusingScorer(),  # type: ignore[arg-type]
        pools_label="t",
        leakage=check_leakage(None, set()),
        baselines=("random-expected",),
    )
    without = _row(report, "fused-without-model")
    assert without.role == "control" and without.per_pool == [1.0, 1.0, 0.0]
    assert _row(report, "fusing").per_pool == [0.0, 1.0, 0.0]
    assert {"signal:energy", "signal:action_gain", "signal:consensus"} <= {
        r.name for r in report.rankers
    }
    assert _row(report, "signal:energy").per_pool == [0.0, 1.0, 0.0]
    assert report.model_adds is not None and report.model_adds.mean == pytest.approx(-1 / 3)
    assert any("what the model adds" in c for c in report.claim.failed_conditions)
