"""Fit the world-model scorer's calibrator on labelled NON-evaluation data and write a calibrated copy.

Labelled pools come from a dataset split (default: val, never test and never benchmark data): for each
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

import numpy as np

from codelewm.checkpoint.calibrator import LEGACY_FEATURES, Calibrator, fit_calibrator
from codelewm.checkpoint.read import load_checkpoint
from codelewm.checkpoint.write import save_checkpoint
from codelewm.code.mutations import mutants_of
from codelewm.data.layout import read_transitions
from codelewm.errors import SourceUnavailableError
from codelewm.records import Split, TransitionRecord
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


def calibrate_checkpoint(
    checkpoint: Path,
    dataset: Path,
    out: Path,
    *,
    split: Split = "val",
    max_pools: int = 400,
    mutants: int = 5,
    seed: int = 0,
) -> Calibrator:
    """Fit on `split` of `dataset`; write checkpoint + calibrator.json to `out` (parents: both)."""
    ckpt = load_checkpoint(checkpoint)
    scorer = WorldModelScorer(ckpt.model, ckpt.tokenizer)
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
    save_checkpoint(
        out,
        model=ckpt.model,
        tokenizer=ckpt.tokenizer,
        train_config=ckpt.config["train"],
        parents=[checkpoint, dataset],
        metadata={**ckpt.manifest.metadata, "calibrated_on": calibrator.fitted_on},
        calibrator=calibrator,
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
