"""Fit the world-model scorer's calibrator on labelled NON-evaluation data and write a calibrated copy.

v2 (`pools_kind="labelled"`, the default): the split's sandbox-labelled pools (`data/labelled.py`:
a task's reference and realistic wrong programs, labelled by running the task's checks at build
time). A listwise calibrator over the fused features (`scoring/fusion.py`: the model's energy, action
gain and latent consensus beside validity, token consensus and duplicate count), and its twin over the
static features alone, stored as `calibrator_static.json` so that evaluation can show what the model
adds. The val split's groups are held out from training, so the model's features are not fitted to
them.

v1 (`pools_kind="mutants"`): labelled pools come from a dataset split (default: val, never test and never benchmark data): for each
transition with an instruction, the pool is (before, instruction, [the true after, seeded mutants of the
true after]); the true after is labelled correct, its mutants incorrect. With stub transitions (before =
docstring stub, after = the real function) this is the shape of the downstream job: an LLM filled in a
function from its spec, which candidate is right. The logistic regression sees, per candidate, the
energy z-scored within its pool, the action gain, the latent consensus and whether it parses.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from codelewm.checkpoint.calibrator import LEGACY_FEATURES, Calibrator, fit_calibrator
from codelewm.checkpoint.read import load_checkpoint
from codelewm.checkpoint.write import save_calibrated_copy
from codelewm.code.mutations import mutants_of
from codelewm.data.eval_guard import check_training_side_pools
from codelewm.data.labelled import read_labelled_pools
from codelewm.data.layout import read_transitions
from codelewm.errors import InputError, SourceUnavailableError
from codelewm.records import RerankPool, Split, TransitionRecord
from codelewm.scoring.fusion import (
    FUSED_FEATURES,
    STATIC_FEATURES,
    feature_matrix,
    fit_listwise,
    model_features,
    static_features,
)
from codelewm.scoring.protocol import Query
from codelewm.scoring.world_model import WorldModelScorer


def labelled_pools(
    examples: Sequence[TransitionRecord], *, max_pools: int, mutants: int, seed: int
) -> list[tuple[Query, list[bool]]]:
    rng = random.Random(seed)
    order = list(range(len(examples)))
    rng.shuffle(order)
    pools = []
    for index in order:
        ex = examples[index]
        if ex.instruction is None:
            continue
        wrong = [m for m in mutants_of(ex.after, mutants, rng) if m != ex.after]
        if not wrong:
            continue
        candidates = [ex.after, *wrong]
        pools.append(
            (Query(ex.before, ex.instruction, tuple(candidates)), [True] + [False] * len(wrong))
        )
        if len(pools) >= max_pools:
            break
    return pools


def calibration_features(
    scorer: WorldModelScorer, pools: Sequence[tuple[Query, list[bool]]]
) -> tuple[np.ndarray, list[bool]]:
    scores = scorer.score_queries([q for q, _ in pools])
    rows: list[list[float]] = []
    labels: list[bool] = []
    for s, (_, pool_labels) in zip(scores, pools, strict=True):
        e = np.asarray(s.components["energy"])
        z = (e - e.mean()) / (e.std() + 1e-6)
        feats = {
            "energy_z": z,
            "action_gain": np.asarray(s.components["action_gain"]),
            "consensus": np.asarray(s.components["consensus"]),
            "parses": np.asarray(s.components["parses"]),
        }
        rows += np.stack([feats[n] for n in LEGACY_FEATURES], axis=1).tolist()
        labels += pool_labels
    return np.asarray(rows, dtype=np.float64), labels


CalibrationPools = Literal["labelled", "mutants"]


def fused_pool_features(
    scorer: WorldModelScorer, pools: Sequence[RerankPool]
) -> list[dict[str, np.ndarray]]:
    """Every fused feature (`scoring/fusion.py`) of every candidate, pool by pool, computed exactly
    as the scorer computes them at rerank time (same components, same within-pool z-scores)."""
    queries = [
        Query(p.before, p.instruction, tuple(c.code for c in p.candidates), p.pool_id)
        for p in pools
    ]
    out = []
    for query, score in zip(queries, scorer.score_queries(queries), strict=True):
        energy = np.asarray(score.components["energy"], dtype=np.float64)
        no_action = np.asarray(score.components["no_action_energy"], dtype=np.float64)
        consensus = np.asarray(score.components["consensus"], dtype=np.float64)
        out.append(model_features(energy, no_action, consensus) | static_features(query))
    return out


def fit_fused(
    scorer: WorldModelScorer, pools: Sequence[RerankPool], *, fitted_on: str
) -> tuple[Calibrator, Calibrator]:
    """The fused calibrator (model + static features) and the same fit over the static features
    alone, both listwise on `pools` (sandbox-labelled, never evaluation data)."""
    features = fused_pool_features(scorer, pools)
    labels = [[bool(c.passed) for c in pool.candidates] for pool in pools]

    def fit(names: tuple[str, ...], what: str) -> Calibrator:
        data = [(feature_matrix(f, names), y) for f, y in zip(features, labels, strict=True)]
        return fit_listwise(data, names, fitted_on=f"{fitted_on} ({what})")

    return fit(FUSED_FEATURES, "fused"), fit(STATIC_FEATURES, "static only")


def calibrate_checkpoint(
    checkpoint: Path,
    dataset: Path,
    out: Path,
    *,
    split: Split = "val",
    pools_kind: CalibrationPools = "labelled",
    max_pools: int = 400,
    mutants: int = 5,
    seed: int = 0,
    extra_pools: Sequence[tuple[str, Sequence[RerankPool]]] = (),
) -> Calibrator:
    """Fit on `split` of `dataset`; write checkpoint + calibrator(s) to `out` (parents: both).

    `labelled` (v2): the split's sandbox-labelled pools (data/labelled.py), plus `extra_pools`
    ((name, pools) of other training-side labelled pool files, e.g. dataframebench train; each is
    refused when it holds evaluation data), a listwise fused calibrator plus its static-only twin
    (`calibrator_static.json`). `mutants` (v1): pointwise logistic regression over the v1 features
    on (true after vs its seeded mutants)."""
    if extra_pools and pools_kind != "labelled":
        raise InputError(
            "extra pool files join the labelled calibrator only",
            remediation="Use pools_kind='labelled' (--pools labelled).",
        )
    for name, extra in extra_pools:
        check_training_side_pools(extra, name)
    ckpt = load_checkpoint(checkpoint)
    scorer = WorldModelScorer(ckpt.model, ckpt.tokenizer)
    static: Calibrator | None = None
    if pools_kind == "labelled":
        labelled: list[RerankPool] = list(read_labelled_pools(dataset, split))[:max_pools]
        if not labelled:
            raise SourceUnavailableError(
                f"{dataset}: the {split} split holds no sandbox-labelled pools",
                remediation="Build the dataset with the exercism/quixbugs/doctests sources "
                "(configs/data/default.toml), or pass --pools mutants for the v1 calibrator.",
            )
        where = f"{dataset.name}:{split}:{len(labelled)} sandbox-labelled pools"
        for name, extra in extra_pools:
            labelled += extra
            where += f" + {name}:{len(extra)} labelled pools"
        calibrator, static = fit_fused(scorer, labelled, fitted_on=where)
    else:
        pools = labelled_pools(
            _transitions(dataset, split), max_pools=max_pools, mutants=mutants, seed=seed
        )
        features, labels = calibration_features(scorer, pools)
        calibrator = fit_calibrator(
            features,
            labels,
            LEGACY_FEATURES,
            fitted_on=f"{dataset.name}:{split}:{len(pools)} pools (true after vs its mutants)",
        )
    save_calibrated_copy(
        ckpt,
        out,
        parents=[checkpoint, dataset],
        metadata={"calibrated_on": calibrator.fitted_on},
        calibrator=calibrator,
        static_calibrator=static,
    )
    return calibrator


def _transitions(dataset: Path, split: Split) -> list[TransitionRecord]:
    """The split's transitions that edit something; SourceUnavailableError when there are none."""
    records = [rec for rec in read_transitions(dataset, split) if rec.before != rec.after]
    if not records:
        raise SourceUnavailableError(
            f"{dataset}: the {split} split holds no usable transitions",
            remediation="Build a dataset with a non-empty split: `codelewm dataset build ...`.",
        )
    return records
