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
    cal = calibrate_checkpoint(
        tiny_run.out_dir / "last", tiny_dataset, out, pools_kind="mutants", max_pools=20
    )
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
    # the weights are the source's, byte for byte (a re-save would reorder safetensors' metadata)
    weights = "model.safetensors"
    assert (out / weights).read_bytes() == (tiny_run.out_dir / "last" / weights).read_bytes()


def test_a_calibrated_copy_refuses_weights_changed_since_they_were_loaded(
    tiny_run: TrainResult, tmp_path: Path
) -> None:
    import shutil

    from codelewm.checkpoint.write import save_calibrated_copy
    from codelewm.errors import ArtifactError

    source = tmp_path / "source"
    shutil.copytree(tiny_run.out_dir / "last", source)
    ckpt = load_checkpoint(source)
    (source / "model.safetensors").write_bytes(b"swapped after loading")
    with pytest.raises(ArtifactError, match="no longer matches"):
        save_calibrated_copy(
            ckpt, tmp_path / "out", parents=[], metadata={}, calibrator=None, static_calibrator=None
        )
    assert not (tmp_path / "out").exists()


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


def _labelled_pool(i: int) -> dict[str, object]:
    good = f"def f{i}(x):\n    return x + {i}"
    bad = [f"def f{i}(x):\n    return x - {i}", f"def f{i}(x):\n    return None", f"def f{i}(x:\n"]
    cands = [{"candidate_id": f"p{i}#0", "code": good, "passed": True, "origin": "reference"}]
    cands += [
        {"candidate_id": f"p{i}#{j + 1}", "code": code, "passed": False, "origin": "mutant"}
        for j, code in enumerate(bad)
    ]
    return {
        "schema_version": "codelewm.rerank_pool.v1",
        "pool_id": f"labelled-{i}",
        "before": f"def f{i}(x):\n    pass\n",
        "instruction": f"add {i}",
        "candidates": cands,
        "labelled_by": "sandbox",
    }


def _with_val_pools(dataset: Path, tmp_path: Path, count: int) -> Path:
    """A copy of `dataset` whose val split holds `count` sandbox-labelled pools."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(dataset, data)
    lines = [json.dumps(_labelled_pool(i)) for i in range(count)]
    (data / "pools").mkdir(exist_ok=True)
    (data / "pools" / "val.decoys.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


def test_labelled_calibration_fits_the_fused_score_and_its_static_twin(
    tiny_run: TrainResult, tiny_dataset: Path, tmp_path: Path
) -> None:
    from codelewm.scoring.fusion import FUSED_FEATURES, STATIC_FEATURES, StaticFusionScorer

    data = _with_val_pools(tiny_dataset, tmp_path, 12)
    out = tmp_path / "calibrated"
    cal = calibrate_checkpoint(tiny_run.out_dir / "last", data, out)
    assert cal.feature_names == FUSED_FEATURES
    scorer = WorldModelScorer.from_checkpoint(out)
    assert scorer.calibrator == cal
    static = scorer.static_calibrator
    assert static is not None and static.feature_names == STATIC_FEATURES
    # what the fit saw: the invalid candidate (it does not parse) must not be preferred
    assert static.weights[STATIC_FEATURES.index("valid")] >= 0
    pool = _labelled_pool(99)
    query = Query(
        str(pool["before"]),
        str(pool["instruction"]),
        tuple(c["code"] for c in pool["candidates"]),  # type: ignore[attr-defined]
    )
    fused = scorer.score_queries([query])[0]
    assert {f"term:{n}" for n in FUSED_FEATURES} <= set(fused.components)
    alone = StaticFusionScorer(static).score_queries([query])[0]
    assert len(alone.energies) == 4


def test_labelled_calibration_without_labelled_pools_is_a_typed_error(
    tiny_run: TrainResult, tiny_dataset: Path, tmp_path: Path
) -> None:
    from codelewm.errors import SourceUnavailableError

    with pytest.raises(SourceUnavailableError, match="sandbox-labelled"):
        calibrate_checkpoint(tiny_run.out_dir / "last", tiny_dataset, tmp_path / "c")


def test_extra_training_side_pools_join_the_fit_and_evaluation_pools_are_refused(
    tiny_run: TrainResult, tiny_dataset: Path, tmp_path: Path
) -> None:
    from codelewm.data.eval_guard import humaneval_programs
    from codelewm.errors import InputError
    from codelewm.records import RerankPool

    data = _with_val_pools(tiny_dataset, tmp_path, 6)
    extra = [
        RerankPool.model_validate(
            _labelled_pool(i) | {"source": {"benchmark": "dataframebench", "split": "train"}}
        )
        for i in range(6, 10)
    ]
    cal = calibrate_checkpoint(
        tiny_run.out_dir / "last", data, tmp_path / "c", extra_pools=[("dfb-train.jsonl", extra)]
    )
    assert "+ dfb-train.jsonl:4 labelled pools" in cal.fitted_on
    val_split = [
        RerankPool.model_validate(
            _labelled_pool(20) | {"source": {"benchmark": "dataframebench", "split": "test"}}
        )
    ]
    with pytest.raises(InputError, match="evaluation data"):
        calibrate_checkpoint(
            tiny_run.out_dir / "last", data, tmp_path / "d", extra_pools=[("t", val_split)]
        )
    copied = _labelled_pool(21)
    copied["candidates"][0]["code"] = next(iter(humaneval_programs()))  # type: ignore[index]
    with pytest.raises(InputError, match="normalised hash"):
        calibrate_checkpoint(
            tiny_run.out_dir / "last",
            data,
            tmp_path / "e",
            extra_pools=[("h", [RerankPool.model_validate(copied)])],
        )
    assert not (tmp_path / "d").exists() and not (tmp_path / "e").exists()
