"""Which term of the fused score pays for itself: drop-one refits of the calibrator.

    python scripts/fusion_ablations.py --checkpoint src/codelewm/assets/default_model \
        --dataset build/default-data/dataset --pools data/eval/mbpp_llm_pools.v1.jsonl \
        --pools out/model-eval/labelled_test_pools.jsonl --out out/model-eval/fusion_ablations.json

For the full fused feature set, the static set, the model set and every set with one feature dropped,
the calibrator is refitted on the dataset's VAL sandbox-labelled pools (never on evaluation data) and
scored on each pool file: pass@1 with its bootstrap CI, and the paired difference to the full fusion.
The model's latents are computed once per pool; only the calibrator changes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from codelewm.data.labelled import read_labelled_pools
from codelewm.eval.bootstrap import bootstrap_ci, paired_difference_ci
from codelewm.eval.metrics import expected_pass_at_1
from codelewm.eval.pools import read_pool_file, require_labels
from codelewm.scoring.calibrate import fused_pool_features
from codelewm.scoring.fusion import (
    FUSED_FEATURES,
    MODEL_FEATURES,
    STATIC_FEATURES,
    feature_matrix,
    fit_listwise,
)
from codelewm.scoring.world_model import WorldModelScorer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--pools", type=Path, action="append", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    scorer = WorldModelScorer.from_checkpoint(args.checkpoint)
    fit_pools = list(read_labelled_pools(args.dataset, "val"))
    fit_features = fused_pool_features(scorer, fit_pools)
    fit_labels = [[bool(c.passed) for c in p.candidates] for p in fit_pools]
    sets: dict[str, tuple[str, ...]] = {
        "fused (all)": FUSED_FEATURES,
        "static only": STATIC_FEATURES,
        "model only": MODEL_FEATURES,
    }
    for name in FUSED_FEATURES:
        sets[f"fused without {name}"] = tuple(f for f in FUSED_FEATURES if f != name)
    evals = []
    for path in args.pools:
        pools = read_pool_file(path)
        evals.append((path.name, fused_pool_features(scorer, pools), require_labels(pools)))
    command = "python scripts/fusion_ablations.py " + " ".join(
        [f"--checkpoint {args.checkpoint}", f"--dataset {args.dataset}"]
        + [f"--pools {p}" for p in args.pools]
        + [f"--out {args.out}"]
    )
    out: dict[str, Any] = {
        "fitted_on": f"{args.dataset}: val, {len(fit_pools)} sandbox-labelled pools",
        "command": command,
        "rows": [],
    }
    full: dict[str, list[float]] = {}
    for label, names in sets.items():
        data = [
            (feature_matrix(f, names), y) for f, y in zip(fit_features, fit_labels, strict=True)
        ]
        cal = fit_listwise(data, names, fitted_on="ablation")
        row: dict[str, Any] = {"set": label, "weights": dict(zip(names, cal.weights, strict=True))}
        for pool_name, feats, labels in evals:
            per = [
                expected_pass_at_1([-v for v in cal.score(feature_matrix(f, names))], y)
                for f, y in zip(feats, labels, strict=True)
            ]
            if label == "fused (all)":
                full[pool_name] = per
            row[pool_name] = {
                "pass_at_1": bootstrap_ci(per).model_dump(),
                "minus_full": paired_difference_ci(per, full[pool_name]).model_dump(),
            }
        out["rows"].append(row)
        print(
            label,
            {
                k: round(v["pass_at_1"]["mean"], 3)
                for k, v in row.items()
                if isinstance(v, dict) and "pass_at_1" in v
            },
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
