"""The execution-aware final score (opt-in execution): the static final score beside what ran.

Per candidate that ran the examples of its call (`--execute examples`), within that call:

    static_z             the static final score (the model's fused score), z-scored among those that ran
    examples_passed      the fraction of the examples it passed
    all_examples_passed  1 when it passed every example
    cluster_share        the share of the call's samples that returned the same as it on every example
                         input (MBR-exec behaviour clusters, weighted by duplicate count); 0 when its
                         run showed no behaviour

A listwise calibrator over these (`scoring/fusion.fit_listwise`, the same conditional logit as the
static fusion) is fitted on TRAINING-SIDE sandbox-labelled pools only (`fit_execution_calibrator`:
the val split's held-out groups by default, never evaluation data) and stored in the checkpoint as
`calibrator_execution.json`, beside the static calibrators. The fit shows each pool only its FIRST
mined example (`FIT_VISIBLE_EXAMPLES`) while its labels come from all of the task's checks: the
situation of a user whose instruction gives one example, where passing it is strong but not
conclusive evidence and the static score and the behaviour clusters must break what it leaves open.

Order (`execution_scores`): by the execution-aware score, ties by the static order. When no candidate
that ran passed any example, the execution signals say nothing about which one is right, so the
static order stands (`None`; the record says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from codelewm.checkpoint.calibrator import EXECUTION_FEATURES, Calibrator
from codelewm.errors import InputError, SourceUnavailableError
from codelewm.eval.examples_exec import lexicographic
from codelewm.records import RerankPool, Split
from codelewm.scoring.fusion import feature_matrix, fit_listwise, zscore

Array = NDArray[np.float64]

#: how many of a labelled pool's mined examples the fit lets the candidates see
FIT_VISIBLE_EXAMPLES = 1


def execution_features(
    static: Sequence[float], fractions: Sequence[float], clusters: Sequence[float | None]
) -> dict[str, Array]:
    """The features of the candidates that ran (see the module docstring), in their order:
    `static` final scores (higher = better), examples passed, behaviour-cluster shares."""
    passed = np.asarray(fractions, dtype=np.float64)
    return {
        "static_z": zscore(np.asarray(static, dtype=np.float64)),
        "examples_passed": passed,
        "all_examples_passed": (passed >= 1.0 - 1e-9).astype(np.float64),
        "cluster_share": np.asarray([c or 0.0 for c in clusters], dtype=np.float64),
    }


def execution_scores(
    calibrator: Calibrator,
    static: Sequence[float],
    fractions: Sequence[float],
    clusters: Sequence[float | None],
) -> Array | None:
    """The execution-aware scores (higher = better) of the candidates that ran, or None when none of
    them passed an example (the static order then stands)."""
    if not fractions or max(fractions) <= 0.0:
        return None
    features = execution_features(static, fractions, clusters)
    return calibrator.score(feature_matrix(features, calibrator.feature_names))


def execution_energies(
    calibrator: Calibrator,
    energies: Sequence[Sequence[float]],
    fractions: Sequence[Sequence[float | None]],
    clusters: Sequence[Sequence[float | None]],
) -> list[list[float]]:
    """Pool by pool, energies (lower = better) of the execution-aware order over a static ranker's
    `energies`: pools where nothing ran, or nothing passed, keep the static energies; elsewhere the
    candidates rank by the calibrated score, then by the static energy (an equal pair stays a tie)."""
    out: list[list[float]] = []
    for row, ran, shares in zip(energies, fractions, clusters, strict=True):
        if any(f is None for f in ran):
            out.append(list(row))
            continue
        scores = execution_scores(calibrator, [-e for e in row], [f or 0.0 for f in ran], shares)
        if scores is None:
            out.append(list(row))
            continue
        out.append(lexicographic([list(zip((-scores).tolist(), row, strict=True))])[0])
    return out


def fit_execution_calibrator(
    static: Sequence[Sequence[float]],
    fractions: Sequence[Sequence[float | None]],
    clusters: Sequence[Sequence[float | None]],
    pools: Sequence[RerankPool],
    *,
    fitted_on: str,
) -> Calibrator:
    """The listwise execution-aware calibrator over labelled `pools` (training-side, never evaluation
    data): `static` final scores per pool, the examples run's fractions and cluster shares. Pools
    where nothing ran, or where every candidate shares one label, carry no information."""
    data = []
    for row, ran, shares, pool in zip(static, fractions, clusters, pools, strict=True):
        if any(f is None for f in ran):
            continue
        labels = [bool(c.passed) for c in pool.candidates]
        features = execution_features(row, [f or 0.0 for f in ran], shares)
        data.append((feature_matrix(features, EXECUTION_FEATURES), labels))
    return fit_listwise(data, EXECUTION_FEATURES, fitted_on=fitted_on)


class ExecutionCalibration(BaseModel):
    """What `calibrate_execution_checkpoint` fitted and how the fit pools rank under it."""

    model_config = ConfigDict(extra="forbid")

    out: str
    fitted_on: str
    features: list[str]
    weights: list[float]
    pools: int
    pools_with_examples: int
    mixed_pools_run: int
    candidates_run: int
    wall_s: float
    #: in-sample expected pass@1 on the fit pools (not an evaluation: see the P4 report)
    in_sample: dict[str, float]


def calibrate_execution_checkpoint(
    checkpoint: Path,
    dataset: Path,
    out: Path,
    *,
    split: Split = "val",
    visible: int = FIT_VISIBLE_EXAMPLES,
    workers: int = 2,
) -> ExecutionCalibration:
    """Fit the execution-aware calibrator on `split`'s sandbox-labelled pools of `dataset` (training
    side: never test, never evaluation data), showing each pool its first `visible` mined examples,
    and write `checkpoint` with it as `calibrator_execution.json` to `out` (everything else kept).
    RUNS CODE: every candidate of every mixed pool runs its visible examples in the sandbox."""
    from codelewm.checkpoint.read import load_checkpoint
    from codelewm.checkpoint.write import save_checkpoint
    from codelewm.data.labelled import read_labelled_pools
    from codelewm.eval.examples_exec import examples_first, run_pool_examples
    from codelewm.eval.metrics import expected_pass_at_1
    from codelewm.eval.pools import pool_queries
    from codelewm.scoring.world_model import WorldModelScorer

    if split == "test":
        raise InputError("the execution-aware calibrator is fitted on train or val, never on test")
    ckpt = load_checkpoint(checkpoint)
    pools = list(read_labelled_pools(dataset, split))
    if not pools:
        raise SourceUnavailableError(
            f"{dataset}: the {split} split holds no sandbox-labelled pools",
            remediation="Build it with the exercism/quixbugs/doctests sources "
            "(configs/data/labelled.toml or configs/data/default.toml).",
        )
    scorer = WorldModelScorer(
        ckpt.model, ckpt.tokenizer, calibrator=ckpt.calibrator, checkpoint_id=ckpt.checkpoint_id
    )
    scores = scorer.score_queries(pool_queries(pools))
    static = [list(s.components["final_score"]) for s in scores]
    run = run_pool_examples(pools, workers=workers, max_examples=visible)
    fitted_on = (
        f"{dataset.name}:{split}:{len(pools)} sandbox-labelled pools, first {visible} example(s) "
        "shown, labels from all checks"
    )
    calibrator = fit_execution_calibrator(
        static, run.fractions, run.clusters, pools, fitted_on=fitted_on
    )
    labels = [[bool(c.passed) for c in p.candidates] for p in pools]
    energies = [[-v for v in row] for row in static]
    orders = {
        "static": energies,
        "examples+static": examples_first(energies, run.fractions),
        "examples+fused": execution_energies(calibrator, energies, run.fractions, run.clusters),
    }
    in_sample = {
        name: float(sum(expected_pass_at_1(e, y) for e, y in zip(rows, labels, strict=True)))
        / len(pools)
        for name, rows in orders.items()
    }
    save_checkpoint(
        out,
        model=ckpt.model,
        tokenizer=ckpt.tokenizer,
        train_config=ckpt.config["train"],
        parents=[checkpoint, dataset],
        metadata={**ckpt.manifest.metadata, "execution_calibrated_on": fitted_on},
        calibrator=ckpt.calibrator,
        static_calibrator=ckpt.static_calibrator,
        execution_calibrator=calibrator,
    )
    return ExecutionCalibration(
        out=str(out),
        fitted_on=fitted_on,
        features=list(calibrator.feature_names),
        weights=list(calibrator.weights),
        pools=len(pools),
        pools_with_examples=run.pools_with_examples,
        mixed_pools_run=sum(all(f is not None for f in row) for row in run.fractions),
        candidates_run=run.candidates_run,
        wall_s=run.wall_s,
        in_sample=in_sample,
    )


__all__ = [
    "FIT_VISIBLE_EXAMPLES",
    "ExecutionCalibration",
    "calibrate_execution_checkpoint",
    "execution_energies",
    "execution_features",
    "execution_scores",
    "fit_execution_calibrator",
]
