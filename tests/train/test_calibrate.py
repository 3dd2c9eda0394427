from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from codelewm.checkpoint.calibrator import Calibrator, fit_calibrator
from codelewm.checkpoint.read import load_checkpoint
from codelewm.cli.app import app
from codelewm.errors import CheckpointError
from codelewm.scoring.calibrate import calibrate_checkpoint
from codelewm.scoring.protocol import Query
from codelewm.scoring.world_model import WorldModelScorer
from codelewm.train.loop import TrainResult


def test_fit_separates_separable_data_and_round_trips() -> None:
    x = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 0.0], [3.0, 0.0]])
    cal = fit_calibrator(x, [False, False, True, True], ("energy_z", "parses"), fitted_on="unit")
    logits = cal.score(x)
    assert list(np.argsort(logits)) == [0, 1, 2, 3]
    assert Calibrator.from_json(cal.to_json()) == cal


def test_calibrator_refuses_unknown_features() -> None:
    with pytest.raises(CheckpointError, match="unknown features"):
        Calibrator(("length",), (1.0,), 0.0, (0.0,), (1.0,))


def test_calibrated_checkpoint_loads_and_ranks_by_final_score(
    tiny_run: TrainResult, tiny_dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "calibrated"
    cal = calibrate_checkpoint(tiny_run.out_dir / "last", tiny_dataset, out, max_pools=20)
    assert cal.feature_names == ("energy_z", "action_gain", "consensus", "parses")
    ckpt = load_checkpoint(out)
    assert ckpt.calibrator == cal
    assert (
        len(ckpt.manifest.parent_artifacts) == 1
    )  # the source checkpoint (test data has no manifest)
    scorer = WorldModelScorer.from_checkpoint(out)
    query = Query(
        "def f(x):\n    return x\n", "Add one.", ("def f(x):\n    return x + 1\n", "def f(x:\n")
    )
    scores = scorer.score_queries([query])[0]
    assert scores.energies == tuple(-v for v in scores.components["final_score"])


def test_cli_inspect_json(tiny_run: TrainResult) -> None:
    result = CliRunner().invoke(app, ["model", "inspect", str(tiny_run.out_dir / "best"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["schema_version"] == "codelewm.checkpoint_inspect.v1"
    assert report["total_parameters"] == sum(report["parameters"].values())


def test_cli_refuses_a_tampered_checkpoint_with_exit_5(
    tiny_run: TrainResult, tmp_path: Path
) -> None:
    import shutil

    ckpt = tmp_path / "ckpt"
    shutil.copytree(tiny_run.out_dir / "best", ckpt)
    (ckpt / "tokenizer.json").write_text("{}")
    result = CliRunner().invoke(app, ["model", "inspect", str(ckpt), "--json"])
    assert result.exit_code == 5
    assert json.loads(result.output)["error_type"] == "CheckpointError"
