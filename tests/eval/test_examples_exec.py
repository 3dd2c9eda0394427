"""P4 with opt-in execution evidence: examples mined per pool, run in the sandbox, examples+X rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codelewm.errors import InputError
from codelewm.eval.downstream import evaluate_downstream
from codelewm.eval.examples_exec import (
    append_mbpp_examples,
    cluster_weights,
    clusters_first,
    examples_first,
    run_pool_examples,
)
from codelewm.eval.leakage import check_leakage
from codelewm.eval.packs.mutants import HEAVY_LABEL_LIMITS, HEAVY_POLICY
from codelewm.eval.pools import write_pool_file
from codelewm.eval.protocols import run_downstream
from codelewm.records import PoolCandidate, RerankPool
from codelewm.scoring.registry import get_scorer

BEFORE = 'def double(x: int) -> int:\n    """Return twice x.\n\n    >>> double(3)\n    6\n    """\n'


def _pool(
    pool_id: str, codes: list[tuple[str, bool]], instruction: str = "Double it."
) -> RerankPool:
    return RerankPool(
        pool_id=pool_id,
        before=BEFORE,
        instruction=instruction,
        candidates=[
            PoolCandidate(candidate_id=f"{pool_id}#{i}", code=code, passed=passed)
            for i, (code, passed) in enumerate(codes)
        ],
    )


RIGHT = "def double(x):\n    return 2 * x\n"
WRONG = "def double(x):\n    return x + 2\n"  # passes double(2) == 4, fails double(3) == 6
CRASH = "def double(x):\n    raise ValueError(x)\n"


def test_examples_first_keeps_static_ties_and_orders_by_examples() -> None:
    energies = [[0.1, 0.5, 0.5]]
    assert examples_first(energies, [[None, None, None]]) == [[0.0, 1.0, 1.0]]  # ranks
    ordered = examples_first(energies, [[0.0, 1.0, 1.0]])[0]
    assert ordered[1] == ordered[2] < ordered[0]  # the two that pass stay tied


def test_examples_rows_rank_by_the_examples_each_candidate_passes() -> None:
    pools = [
        _pool("p1", [(WRONG, False), (RIGHT, True), (CRASH, False)]),
        _pool("p2", [(RIGHT, True), (RIGHT + "\n", True)]),  # one label: not run
        _pool("p3", [(WRONG, False), (RIGHT, True)], instruction="double(2) -> 4"),
    ]
    run = run_pool_examples(pools, workers=2)
    assert run.candidates_run == 5 and run.skipped_uniform == 1
    assert run.fractions[0] == [0.0, 1.0, 0.0]
    assert run.fractions[2] == [0.5, 1.0]  # double(2) -> 4 and the doctest double(3) -> 6
    assert run.fractions[1] == [None, None]
    leakage = check_leakage(None, set())  # a baseline: overlap 0 by construction
    report = evaluate_downstream(
        pools,
        get_scorer("lexical"),
        pools_label="test",
        leakage=leakage,
        baselines=["random-expected", "consensus"],
        examples=run,
    )
    rows = {r.name: r for r in report.rankers}
    assert rows["examples+lexical"].per_pool == [1.0, 1.0, 1.0]
    assert rows["examples+consensus"].role == "execution"
    assert report.execution is not None
    assert set(report.execution.lift_over_static) == {
        "examples+lexical",
        "examples+consensus",
        "examples+random-expected",
        "clusters+consensus",
        "examples+clusters",
    }
    assert run.clusters[0] == [1 / 3, 1 / 3, 1 / 3]  # three behaviours on double(3)
    assert report.strongest_baseline in {"random-expected", "consensus"}  # never an execution row


def test_one_mbpp_example_is_appended_when_it_calls_the_pools_function(tmp_path: Path) -> None:
    mbpp = tmp_path / "mbpp.jsonl"
    mbpp.write_text(
        json.dumps({"task_id": 1, "test_list": ["assert double(2) == 4", "assert double(0) == 0"]})
        + "\n"
        + json.dumps({"task_id": 2, "test_list": ["assert other_name(1) == 2"]})
        + "\n"
    )
    pools = [_pool("mbpp/1", [(RIGHT, True)]), _pool("mbpp/2", [(RIGHT, True)])]
    out, added = append_mbpp_examples(pools, mbpp)
    assert added == 1
    assert out[0].instruction == "Double it.\n\nExample: assert double(2) == 4"
    assert out[1].instruction == "Double it."  # renamed by MultiPL-E: not appended


def test_the_top_level_api_exports_the_execution_step() -> None:
    import codelewm
    from codelewm.eval import executed

    assert codelewm.execute_examples is executed.execute_examples
    assert codelewm.execute_rerank is executed.execute_rerank


def test_behaviour_clusters_weigh_duplicates() -> None:
    signatures = [("4", "6"), ("4", "6"), ("4", "5"), None]
    assert cluster_weights(signatures, [1, 2, 5, 1]) == [3 / 9, 3 / 9, 5 / 9, None]
    # MBR-exec alone follows the biggest cluster; with examples, passing comes first
    energies = [[0.0, 0.0, 0.0, 0.0]]
    weights = [cluster_weights(signatures, [1, 2, 5, 1])]
    assert clusters_first(energies, weights)[0] == [1.0, 1.0, 0.0, 2.0]
    assert clusters_first(energies, weights, [[1.0, 1.0, 0.0, 0.0]])[0] == [0.0, 0.0, 1.0, 2.0]


NUMPY_RIGHT = "import numpy as np\n\ndef double(x):\n    return int(np.multiply(x, 2))\n"


def test_installed_packages_are_importable_only_under_the_site_packages_policy() -> None:
    """dataframebench's candidates import pandas: under the default policy the child imports no
    installed package, so a numpy candidate fails its example; under HEAVY_POLICY it passes."""
    pools = [_pool("np", [(NUMPY_RIGHT, True), (WRONG, False)])]
    assert run_pool_examples(pools, workers=1).fractions == [[0.0, 0.0]]
    heavy = run_pool_examples(pools, workers=1, policy=HEAVY_POLICY, limits=HEAVY_LABEL_LIMITS)
    assert heavy.fractions == [[1.0, 0.0]]


def test_site_packages_without_execute_is_a_typed_error(tmp_path: Path) -> None:
    pools = tmp_path / "pools.jsonl"
    write_pool_file(pools, [_pool("p", [(RIGHT, True), (WRONG, False)])])
    with pytest.raises(InputError, match="executed candidates only"):
        run_downstream(pools, scorer="lexical", baselines=[], modes=set(), site_packages=True)


def test_run_downstream_site_packages_reaches_the_sandbox(tmp_path: Path) -> None:
    """The CLI's --site-packages path: the numpy candidate passes its example only with it, so
    examples+random-expected ranks it first only with it."""
    pools = tmp_path / "pools.jsonl"
    pair = [(NUMPY_RIGHT, True), (WRONG, False)]
    write_pool_file(pools, [_pool("np1", pair), _pool("np2", pair)])  # the shuffled row needs 2

    def examples_row(site_packages: bool) -> list[float]:
        report = run_downstream(
            pools,
            scorer="lexical",
            baselines=["random-expected"],
            modes={"examples"},
            site_packages=site_packages,
            workers=1,
        )
        return next(r.per_pool for r in report.rankers if r.name == "examples+random-expected")

    assert examples_row(True) == [1.0, 1.0]
    assert examples_row(False) == [0.5, 0.5]  # both fail to run: the random order stands
