from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from conftest import tiny_config

from codelewm.checkpoint.read import load_checkpoint, read_checkpoint_config, verify_checkpoint
from codelewm.checkpoint.write import save_checkpoint
from codelewm.errors import CheckpointError
from codelewm.scoring.protocol import Query
from codelewm.scoring.world_model import WorldModelScorer
from codelewm.train.inspect import inspect_checkpoint
from codelewm.train.loop import TrainResult

QUERY = Query(
    before="def f(x, n):\n    if x < n:\n        return x + 1\n    return n\n",
    instruction="Replace `<` with `<=` in `if x < n`.",
    candidates=(
        "def f(x, n):\n    if x <= n:\n        return x + 1\n    return n\n",
        "def f(x, n):\n    if x < n:\n        return x - 1\n    return n\n",
        "def f(x, n):\n    if x < n:\n        return x + 1\n    return n\n",
        "def f(x, n:\n",
    ),
)


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ckpt"
    shutil.copytree(src, dst)
    return dst


def test_run_writes_best_last_and_state(tiny_run: TrainResult) -> None:
    out = tiny_run.out_dir
    assert tiny_run.steps == 20
    for name in ("best", "last"):
        assert sorted(p.name for p in (out / name).iterdir()) == [
            "config.json",
            "manifest.json",
            "model.safetensors",
            "tokenizer.json",
        ]
    assert sorted(p.name for p in (out / "state").iterdir()) == [
        "model.safetensors",
        "optimizer.safetensors",
        "state.json",
        "tokenizer.json",
    ]
    assert list((out / "tb").iterdir())


def test_round_trip_gives_identical_energies(tiny_run: TrainResult) -> None:
    ckpt = load_checkpoint(tiny_run.out_dir / "last")
    in_memory = WorldModelScorer(ckpt.model, ckpt.tokenizer)
    loaded = WorldModelScorer.from_checkpoint(tiny_run.out_dir / "last")
    a = in_memory.score_queries([QUERY])[0]
    b = loaded.score_queries([QUERY])[0]
    assert a == b
    assert loaded.checkpoint_id.startswith("checkpoint-")
    assert len(loaded.checkpoint_sha256) == 64
    assert b.components["parses"] == (1.0, 1.0, 1.0, 0.0)
    assert b.energies == b.components["energy"]  # no calibrator: final_score = -energy


def test_scores_of_a_candidate_do_not_depend_on_the_others(tiny_run: TrainResult) -> None:
    scorer = WorldModelScorer.from_checkpoint(tiny_run.out_dir / "last")
    full = scorer.score_queries([QUERY])[0]
    alone = scorer.score_queries([Query(QUERY.before, QUERY.instruction, QUERY.candidates[:1])])[0]
    assert alone.components["energy"][0] == pytest.approx(full.components["energy"][0], abs=1e-6)
    before = scorer.embed([QUERY.before])
    assert before.shape == (1, 32)


def test_saving_twice_gives_identical_weights(tiny_run: TrainResult, tmp_path: Path) -> None:
    ckpt = load_checkpoint(tiny_run.out_dir / "last")
    save_checkpoint(
        tmp_path / "again",
        model=ckpt.model,
        tokenizer=ckpt.tokenizer,
        train_config=tiny_config(tmp_path).model_dump(mode="json"),
    )
    again = load_checkpoint(tmp_path / "again")
    for (name, p), (_, q) in zip(
        ckpt.model.state_dict().items(), again.model.state_dict().items(), strict=True
    ):
        assert torch.equal(p, q), name


def test_inspect_reports_parameters_and_lineage(tiny_run: TrainResult, tiny_dataset: Path) -> None:
    report = inspect_checkpoint(tiny_run.out_dir / "best")
    assert report.total_parameters == sum(report.parameters.values())
    assert set(report.parameters) == {
        "log_temperature",
        "token_emb",
        "encoder",
        "action_encoder",
        "predictor",
    }
    assert report.config["model"]["d_model"] == 32
    assert report.metadata["step"] in (10, 20)
    assert report.parents == []  # the generated test dataset has no manifest


# --- the trust gate: every refusal path --------------------------------------------------------


def test_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not a checkpoint directory"):
        load_checkpoint(tmp_path / "nope")


def test_refuses_a_tampered_weight_file(tiny_run: TrainResult, tmp_path: Path) -> None:
    ckpt = _copy(tiny_run.out_dir / "last", tmp_path)
    data = bytearray((ckpt / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (ckpt / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"model\.safetensors.*sha256"):
        load_checkpoint(ckpt)


def test_refuses_a_missing_manifest(tiny_run: TrainResult, tmp_path: Path) -> None:
    ckpt = _copy(tiny_run.out_dir / "last", tmp_path)
    (ckpt / "manifest.json").unlink()
    with pytest.raises(CheckpointError, match=r"no manifest\.json"):
        load_checkpoint(ckpt)


def test_refuses_pickle_files(tiny_run: TrainResult, tmp_path: Path) -> None:
    ckpt = _copy(tiny_run.out_dir / "last", tmp_path)
    (ckpt / "model.pt").write_bytes(b"\x80\x04not really a pickle")
    with pytest.raises(CheckpointError, match="pickle-capable"):
        load_checkpoint(ckpt)


def test_refuses_an_unlisted_file(tiny_run: TrainResult, tmp_path: Path) -> None:
    ckpt = _copy(tiny_run.out_dir / "last", tmp_path)
    (ckpt / "notes.txt").write_text("hello")
    with pytest.raises(CheckpointError, match=r"notes\.txt"):
        verify_checkpoint(ckpt)


def test_refuses_an_edited_config(tiny_run: TrainResult, tmp_path: Path) -> None:
    ckpt = _copy(tiny_run.out_dir / "last", tmp_path)
    config = json.loads((ckpt / "config.json").read_text())
    config["model"]["d_model"] = 64
    (ckpt / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"config\.json"):
        load_checkpoint(ckpt)


def test_refuses_an_unknown_schema(tiny_run: TrainResult, tmp_path: Path) -> None:
    ckpt = _copy(tiny_run.out_dir / "last", tmp_path)
    config = json.loads((ckpt / "config.json").read_text())
    (ckpt / "config.json").write_text(
        json.dumps({**config, "schema_version": "codelewm.checkpoint.v9"})
    )
    with pytest.raises(CheckpointError, match="not supported"):
        read_checkpoint_config(ckpt)


def test_refuses_another_artifact_kind(tiny_dataset: Path) -> None:
    with pytest.raises(CheckpointError):
        load_checkpoint(tiny_dataset)


def test_refuses_a_symlinked_checkpoint(tiny_run: TrainResult, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(tiny_run.out_dir / "last", target_is_directory=True)
    with pytest.raises(CheckpointError, match="not a checkpoint directory"):
        load_checkpoint(link)
