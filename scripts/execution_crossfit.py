"""Does the execution-aware calibrator generalise on the TRAINING side? Fit on one split's labelled
pools, score the other's (no evaluation data involved; RUNS the pools' candidates in the sandbox).

    python scripts/execution_crossfit.py --dataset build/labelled-data \
        --exercism ../shared/data/exercism_python.jsonl

For train -> val and val -> train: expected pass@1 of the fitted-on-the-other-split pools under
examples-then-static, the fitted execution-aware order, and the probe share alone as the tie-breaker
(pools whose reference passes its first example on its own, as the fit itself uses).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from codelewm.checkpoint.calibrator import EXECUTION_FEATURES, Calibrator
from codelewm.checkpoint.read import load_checkpoint
from codelewm.data.labelled import read_labelled_pools
from codelewm.eval.examples_exec import append_exercism_examples, examples_first, run_pool_examples
from codelewm.eval.execution_fusion import (
    execution_energies,
    fit_execution_calibrator,
    reproducible_runs,
)
from codelewm.eval.metrics import expected_pass_at_1
from codelewm.eval.pools import pool_queries
from codelewm.scoring.load import default_model_path
from codelewm.scoring.world_model import WorldModelScorer


def _picker(keep: list[int]):  # type: ignore[no-untyped-def]
    def sub(rows):  # type: ignore[no-untyped-def]
        return [rows[i] for i in keep]

    return sub


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=default_model_path())
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--exercism", type=Path, required=True)
    args = parser.parse_args()
    ckpt = load_checkpoint(args.checkpoint)
    scorer = WorldModelScorer(ckpt.model, ckpt.tokenizer, calibrator=ckpt.calibrator)
    data = {}
    for split in ("train", "val"):
        pools, _ = append_exercism_examples(
            list(read_labelled_pools(args.dataset, split)), args.exercism
        )
        static = [
            list(s.components["final_score"]) for s in scorer.score_queries(pool_queries(pools))
        ]
        run = run_pool_examples(pools, workers=2, max_examples=1)
        fractions, clusters = reproducible_runs(pools, run.fractions, run.clusters)
        data[split] = (pools, static, fractions, clusters, run.probe_shares)
    n = len(EXECUTION_FEATURES)
    probe_only = Calibrator(
        EXECUTION_FEATURES,
        tuple(1.0 if f == "probe_share" else 0.0 for f in EXECUTION_FEATURES),
        0.0,
        (0.0,) * n,
        (1.0,) * n,
    )
    for fit_on, test_on in (("train", "val"), ("val", "train")):
        pools, static, fractions, clusters, probes = data[fit_on]
        fitted = fit_execution_calibrator(
            static, fractions, clusters, pools, fitted_on=fit_on, probes=probes
        )
        pools, static, fractions, clusters, probes = data[test_on]
        keep = [i for i, row in enumerate(fractions) if all(f is not None for f in row)]
        sub = _picker(keep)

        energies = [[-v for v in row] for row in sub(static)]
        labels = [[bool(c.passed) for c in p.candidates] for p in sub(pools)]
        orders = {
            "examples+static": examples_first(energies, sub(fractions)),
            "examples+fused": execution_energies(
                fitted, energies, sub(fractions), sub(clusters), sub(probes)
            ),
            "examples+probe_share": execution_energies(
                probe_only, energies, sub(fractions), sub(clusters), sub(probes)
            ),
        }
        shown = {
            name: round(
                sum(expected_pass_at_1(e, y) for e, y in zip(rows, labels, strict=True))
                / len(labels),
                3,
            )
            for name, rows in orders.items()
        }
        weights = dict(zip(EXECUTION_FEATURES, (round(w, 2) for w in fitted.weights), strict=True))
        print(f"fit {fit_on} -> {test_on} ({len(keep)} pools): {shown}; weights {weights}")


if __name__ == "__main__":
    main()
