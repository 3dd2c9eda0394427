"""The execution-aware final score (opt-in execution): the static final score beside what ran.

Two stages, per call (`--execute examples`), over the candidates that ran its examples:

1. **Examples passed**, a hard key: a candidate that passed more of the examples ranks above one that
   passed fewer. An example the user gave is part of the specification, so failing it is proof of
   a wrong program, not a soft signal: on the training-side labelled pools every candidate that
   failed its visible example is labelled failing (`ExecutionCalibration.failed_yet_passing` counts
   the exceptions: 0), which a logistic weight can only approach, never reach (a free fit of one
   weight per signal, tried first, ranked below this order on held-out pools: its closing note).
2. **Within a tier**, the calibrated score over

       static_z        the static final score (the model's fused score), z-scored among those that ran
       cluster_share   the share of the call's samples that returned the same as it on every example
                       input (MBR-exec behaviour clusters, weighted by duplicate count); 0 when its run
                       showed no behaviour
       probe_share     the share of the tier's samples that returned the same as it on every probe
                       input (`code/probes.py`: the examples' calls with one literal argument, or one item inside one, nudged),
                       where candidates that all pass the examples can still differ; 0 when the
                       tier was not probed (one program, no literal argument) or its run showed none

   a listwise calibrator (`scoring/fusion.fit_listwise`, the static fusion's conditional logit),
   fitted on TRAINING-SIDE sandbox-labelled pools only (the train and val splits by default, never
   test, never evaluation data), among the candidates of each pool's top tier, and stored in the checkpoint
   as `calibrator_execution.json` beside the static calibrators. The fit shows each pool only its
   FIRST mined example (`FIT_VISIBLE_EXAMPLES`) while its labels come from all of the task's checks:
   a user whose instruction gives one example, where passing it leaves several candidates open.

Ties keep the static order. When no candidate that ran passed any example, the execution signals
cannot tell them apart and the static order stands (`None`; the record says so).
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
    static: Sequence[float],
    clusters: Sequence[float | None],
    probes: Sequence[float | None] | None = None,
) -> dict[str, Array]:
    """The within-tier features of the candidates that ran, in their order: `static` final scores
    (higher = better) z-scored among them, their behaviour-cluster shares on the examples' inputs
    and on the probe inputs."""
    probed = probes if probes is not None else [None] * len(static)
    return {
        "static_z": zscore(np.asarray(static, dtype=np.float64)),
        "cluster_share": np.asarray([c or 0.0 for c in clusters], dtype=np.float64),
        "probe_share": np.asarray([c or 0.0 for c in probed], dtype=np.float64),
    }


def execution_scores(
    calibrator: Calibrator,
    static: Sequence[float],
    fractions: Sequence[float],
    clusters: Sequence[float | None],
    probes: Sequence[float | None] | None = None,
) -> Array | None:
    """The calibrated within-tier scores (a logit, higher = better) of the candidates that ran; the
    order is by examples passed first, then this (`execution_order`). None when none of them passed
    an example (the static order stands)."""
    terms = execution_terms(calibrator, static, fractions, clusters, probes)
    return None if terms is None else terms.sum(axis=1) + calibrator.bias


def execution_terms(
    calibrator: Calibrator,
    static: Sequence[float],
    fractions: Sequence[float],
    clusters: Sequence[float | None],
    probes: Sequence[float | None] | None = None,
) -> Array | None:
    """Each calibrator feature's term (N, F) of `execution_scores` (which is their sum plus the
    bias), in `calibrator.feature_names` order; None as there."""
    if not fractions or max(fractions) <= 0.0:
        return None
    features = execution_features(static, clusters, probes)
    return calibrator.terms(feature_matrix(features, calibrator.feature_names))


def execution_order(fractions: Sequence[float], scores: Array) -> list[tuple[float, float]]:
    """Per candidate, its sort key (lower = better): examples passed first, then the score."""
    return [(-f, -float(s)) for f, s in zip(fractions, scores, strict=True)]


def execution_energies(
    calibrator: Calibrator,
    energies: Sequence[Sequence[float]],
    fractions: Sequence[Sequence[float | None]],
    clusters: Sequence[Sequence[float | None]],
    probes: Sequence[Sequence[float | None]] | None = None,
) -> list[list[float]]:
    """Pool by pool, energies (lower = better) of the execution-aware order over a static ranker's
    `energies`: pools where nothing ran, or nothing passed, keep the static energies; elsewhere the
    candidates rank by the execution-aware score, then by the static energy (an equal pair stays a
    tie)."""
    out: list[list[float]] = []
    probe_rows = probes if probes else [None] * len(energies)
    for row, ran, shares, probed in zip(energies, fractions, clusters, probe_rows, strict=True):
        if any(f is None for f in ran):
            out.append(list(row))
            continue
        passed = [f or 0.0 for f in ran]
        scores = execution_scores(calibrator, [-e for e in row], passed, shares, probed)
        if scores is None:
            out.append(list(row))
            continue
        keys = execution_order(passed, scores)
        out.append(lexicographic([[(*k, e) for k, e in zip(keys, row, strict=True)]])[0])
    return out


def fit_execution_calibrator(
    static: Sequence[Sequence[float]],
    fractions: Sequence[Sequence[float | None]],
    clusters: Sequence[Sequence[float | None]],
    pools: Sequence[RerankPool],
    *,
    fitted_on: str,
    probes: Sequence[Sequence[float | None]] | None = None,
) -> Calibrator:
    """The listwise within-tier calibrator over labelled `pools` (training-side, never evaluation
    data): `static` final scores per pool, the examples run's fractions and cluster shares. Each
    pool contributes the candidates of its top tier (the most examples passed); pools where nothing
    ran, nothing passed, or the top tier shares one label carry no information."""
    data = []
    probe_rows = probes if probes else [None] * len(pools)
    rows = zip(static, fractions, clusters, probe_rows, pools, strict=True)
    for row, ran, shares, probed, pool in rows:
        if any(f is None for f in ran):
            continue
        passed = [f or 0.0 for f in ran]
        if max(passed) <= 0.0:
            continue
        top = [i for i, f in enumerate(passed) if f >= max(passed) - 1e-9]
        features = feature_matrix(execution_features(row, shares, probed), EXECUTION_FEATURES)
        labels = [bool(pool.candidates[i].passed) for i in top]
        data.append((features[top], labels))
    return fit_listwise(data, EXECUTION_FEATURES, fitted_on=fitted_on)


def reproducible_runs(
    pools: Sequence[RerankPool],
    fractions: Sequence[Sequence[float | None]],
    clusters: Sequence[Sequence[float | None]],
) -> tuple[list[list[float | None]], list[list[float | None]]]:
    """The runs of the pools whose reference passed every visible example on its own; the other
    pools' rows become not-run (None). A doctest task was labelled inside its module (`context`),
    which the pool does not carry whole, so its reference can fail there for want of a module name:
    such a pool's runs measure the missing context, not the candidates."""
    out_f: list[list[float | None]] = []
    out_c: list[list[float | None]] = []
    for pool, ran, shares in zip(pools, fractions, clusters, strict=True):
        reference = [
            f
            for f, c in zip(ran, pool.candidates, strict=True)
            if getattr(c, "origin", "") == "reference"
        ]
        if reference and all(f is not None and f >= 1.0 - 1e-9 for f in reference):
            out_f.append(list(ran))
            out_c.append(list(shares))
        else:
            out_f.append([None] * len(ran))
            out_c.append([None] * len(ran))
    return out_f, out_c


def failed_yet_passing(
    fractions: Sequence[Sequence[float | None]], pools: Sequence[RerankPool]
) -> tuple[int, int]:
    """(candidates that failed a visible example yet are labelled passing, candidates that failed a
    visible example): the evidence for the hard first key."""
    exceptions = failed = 0
    for ran, pool in zip(fractions, pools, strict=True):
        for f, candidate in zip(ran, pool.candidates, strict=True):
            if f is not None and f < 1.0 - 1e-9:
                failed += 1
                exceptions += bool(candidate.passed)
    return exceptions, failed


class ExecutionCalibration(BaseModel):
    """What `calibrate_execution_checkpoint` fitted and how the fit pools rank under it."""

    model_config = ConfigDict(extra="forbid")

    out: str
    fitted_on: str
    features: list[str]
    weights: list[float]
    pools: int
    #: exercism pools shown the first assertEqual of their tests as their one example
    exercism_examples_appended: int = 0
    pools_with_examples: int
    mixed_pools_run: int
    #: mixed pools whose reference passes its visible examples when run on its own (a doctest task
    #: labelled in its module's context may not): the fit's pools
    pools_reproducible: int
    candidates_run: int
    failed_a_visible_example: int
    #: of those, how many the task's full checks label passing (the hard key's evidence: 0 expected)
    failed_yet_passing: int
    wall_s: float
    #: in-sample expected pass@1 on the fit pools (not an evaluation: see the P4 report)
    in_sample: dict[str, float]


def calibrate_execution_checkpoint(
    checkpoint: Path,
    dataset: Path,
    out: Path,
    *,
    splits: Sequence[Split] = ("train", "val"),
    visible: int = FIT_VISIBLE_EXAMPLES,
    workers: int = 2,
    exercism: Path | None = None,
) -> ExecutionCalibration:
    """Fit the execution-aware calibrator on the sandbox-labelled pools of `splits` of `dataset`
    (training side: never test, never evaluation data), showing each pool its first `visible` mined examples,
    and write `checkpoint` with it as `calibrator_execution.json` to `out` (everything else kept).
    RUNS CODE: every candidate of every mixed pool runs its visible examples in the sandbox."""
    from codelewm.checkpoint.read import load_checkpoint
    from codelewm.checkpoint.write import save_calibrated_copy
    from codelewm.data.labelled import read_labelled_pools
    from codelewm.eval.examples_exec import (
        append_exercism_examples,
        examples_first,
        run_pool_examples,
    )
    from codelewm.eval.metrics import expected_pass_at_1
    from codelewm.eval.pools import pool_queries
    from codelewm.scoring.world_model import WorldModelScorer

    if "test" in splits or not splits:
        raise InputError("the execution-aware calibrator is fitted on train or val, never on test")
    ckpt = load_checkpoint(checkpoint)
    pools = [pool for split in splits for pool in read_labelled_pools(dataset, split)]
    split = "+".join(splits)
    if not pools:
        raise SourceUnavailableError(
            f"{dataset}: the {split} split holds no sandbox-labelled pools",
            remediation="Build it with the exercism/quixbugs/doctests sources "
            "(configs/data/labelled.toml or configs/data/default.toml).",
        )
    appended = 0
    if exercism is not None:  # exercism instructions carry no example: show each its first test
        pools, appended = append_exercism_examples(pools, exercism)
    scorer = WorldModelScorer(
        ckpt.model, ckpt.tokenizer, calibrator=ckpt.calibrator, checkpoint_id=ckpt.checkpoint_id
    )
    scores = scorer.score_queries(pool_queries(pools))
    static = [list(s.components["final_score"]) for s in scores]
    run = run_pool_examples(pools, workers=workers, max_examples=visible)
    fractions, clusters = reproducible_runs(pools, run.fractions, run.clusters)
    kept = sum(all(f is not None for f in row) for row in fractions)
    fitted_on = (
        f"{dataset.name}:{split}: {kept} sandbox-labelled pools whose reference passes its first "
        f"{visible} example(s) on its own; labels from all of the task's checks"
    )
    calibrator = fit_execution_calibrator(
        static, fractions, clusters, pools, fitted_on=fitted_on, probes=run.probe_shares
    )
    exceptions, failed = failed_yet_passing(fractions, pools)
    labels = [[bool(c.passed) for c in p.candidates] for p in pools]
    energies = [[-v for v in row] for row in static]
    orders = {
        "static": energies,
        "examples+static": examples_first(energies, fractions),
        "examples+fused": execution_energies(
            calibrator, energies, fractions, clusters, run.probe_shares
        ),
    }
    in_sample = {
        name: float(sum(expected_pass_at_1(e, y) for e, y in zip(rows, labels, strict=True)))
        / len(pools)
        for name, rows in orders.items()
    }
    save_calibrated_copy(
        ckpt,
        out,
        parents=[checkpoint, dataset],
        metadata={"execution_calibrated_on": fitted_on},
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
        exercism_examples_appended=appended,
        pools_with_examples=run.pools_with_examples,
        mixed_pools_run=sum(all(f is not None for f in row) for row in run.fractions),
        pools_reproducible=kept,
        candidates_run=run.candidates_run,
        failed_a_visible_example=failed,
        failed_yet_passing=exceptions,
        wall_s=run.wall_s,
        in_sample=in_sample,
    )


__all__ = [
    "FIT_VISIBLE_EXAMPLES",
    "ExecutionCalibration",
    "calibrate_execution_checkpoint",
    "execution_energies",
    "execution_features",
    "execution_order",
    "execution_scores",
    "failed_yet_passing",
    "fit_execution_calibrator",
]
