"""Checkpoints whose manifest is correct but whose contents are hostile: refused with CheckpointError
(exit 5) before anything large is allocated.

Each one is the shipped default model copied to a temp dir, one thing edited (config.json, the weights
or the calibrator), then re-signed: a fresh manifest over the edited files, as a signing attacker would
write it. So the manifest check passes and only the content checks stand between it and the scorer.
"""

from __future__ import annotations

import json
import math
import resource
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from codelewm.artifacts.manifest import begin_artifact, finalize_artifact
from codelewm.checkpoint.read import (
    CALIBRATOR_NAME,
    CHECKPOINT_KIND,
    CONFIG_NAME,
    WEIGHTS_NAME,
    load_checkpoint,
    verify_checkpoint,
)
from codelewm.cli.app import app
from codelewm.errors import CheckpointError
from codelewm.scoring.load import default_model_path

DEFAULT = default_model_path()
Tensors = dict[str, torch.Tensor]


def resign(
    out: Path,
    *,
    model: Callable[[dict[str, Any]], None] | None = None,
    weights: Callable[[Tensors], None] | None = None,
    calibrator: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    """The default model at `out` with its config's model section, its tensors and/or its calibrator
    edited in place by the callbacks, under a manifest that matches the edited files."""
    config = json.loads((DEFAULT / CONFIG_NAME).read_text())
    if model is not None:
        model(config["model"])
    tmp = begin_artifact(out, overwrite=False)
    for name in (WEIGHTS_NAME, "tokenizer.json", CALIBRATOR_NAME):
        shutil.copy2(DEFAULT / name, tmp / name)
    if weights is not None:
        tensors = load_file(str(tmp / WEIGHTS_NAME))
        weights(tensors)
        save_file(tensors, str(tmp / WEIGHTS_NAME))
    if calibrator is not None:
        data = json.loads((tmp / CALIBRATOR_NAME).read_text())
        calibrator(data)
        (tmp / CALIBRATOR_NAME).write_text(json.dumps(data))  # json writes NaN/Infinity as is
    finalize_artifact(tmp, out, kind=CHECKPOINT_KIND, config=config, command=["test"])
    verify_checkpoint(out)  # the manifest check passes: only the content checks can refuse it
    return out


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda section: section.__setitem__(key, value)


def _poison(name: str, value: float) -> Callable[[Tensors], None]:
    def edit(tensors: Tensors) -> None:
        tensors[name] = tensors[name].clone()
        tensors[name].view(-1)[3] = value

    return edit


CONFIGS = [
    ("d_model string", _set("d_model", "96"), "d_model must be an integer, not str"),
    ("d_model float", _set("d_model", 96.0), "d_model must be an integer, not float"),
    ("d_model bool", _set("n_layers", True), "n_layers must be an integer, not bool"),
    ("d_model zero", _set("d_model", 0), "d_model = 0 is outside"),
    ("n_layers negative", _set("n_layers", -2), "n_layers = -2 is outside"),
    ("max_len negative", _set("max_len", -96), "max_len = -96 is outside"),
    ("n_heads zero", _set("n_heads", 0), "n_heads = 0 is outside"),
    ("heads do not divide", _set("n_heads", 5), "not a multiple of n_heads"),
    ("d_model 8192 (10 GB)", _set("d_model", 1 << 13), r"[\d,]+ parameters, over the limit"),
    ("d_model 1024 (0.1 GB)", _set("d_model", 1024), "has shape"),  # the weights do not match
    ("d_model 2^20 (384 GB)", _set("d_model", 1 << 20), "is outside"),
    ("vocab huge", _set("vocab_size", 1 << 30), "is outside"),
    ("n_layers huge", _set("n_layers", 10**6), "is outside"),
    ("predictor_hidden huge", _set("predictor_hidden", 1 << 15), "over the limit of"),
    ("dropout over 1", _set("dropout", 1.5), "dropout = 1.5 is outside"),
    ("temperature zero", _set("init_temperature", 0.0), "outside"),
    ("temperature string", _set("init_temperature", "0.1"), "must be a finite number"),
    ("null dimension", _set("d_latent", None), "d_latent must be an integer, not NoneType"),
    ("a list", _set("window_radius", [16]), "window_radius must be an integer, not list"),
]


@pytest.mark.parametrize(("name", "edit", "message"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_hostile_model_configs_are_refused_before_allocating(
    tmp_path: Path, name: str, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    ckpt = resign(tmp_path / "ckpt", model=edit)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(ckpt)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mib < 200, f"{name}: the process grew by {grown_mib:.0f} MiB"


WEIGHTS = [
    ("NaN", _poison("predictor.out.weight", math.nan)),
    ("+Inf", _poison("encoder.blocks.0.qkv.weight", math.inf)),
    (
        "-Inf in the temperature",
        lambda t: t.__setitem__("log_temperature", torch.tensor(-math.inf)),
    ),
]


@pytest.mark.parametrize(("name", "edit"), WEIGHTS, ids=[w[0] for w in WEIGHTS])
def test_non_finite_weights_are_refused(
    tmp_path: Path, name: str, edit: Callable[[Tensors], None]
) -> None:
    ckpt = resign(tmp_path / "ckpt", weights=edit)
    with pytest.raises(CheckpointError, match="holds NaN or infinite values"):
        load_checkpoint(ckpt)


def test_weights_of_another_shape_or_type_are_refused_from_the_header(tmp_path: Path) -> None:
    def shrink(tensors: Tensors) -> None:
        tensors["predictor.out.bias"] = tensors["predictor.out.bias"][:10].clone()

    with pytest.raises(CheckpointError, match=r"'predictor.out.bias' has shape \[10\]"):
        load_checkpoint(resign(tmp_path / "a", weights=shrink))

    def as_int(tensors: Tensors) -> None:
        tensors["predictor.out.bias"] = tensors["predictor.out.bias"].to(torch.int32)

    with pytest.raises(CheckpointError, match="is I32, not a float type"):
        load_checkpoint(resign(tmp_path / "b", weights=as_int))

    def extra(tensors: Tensors) -> None:
        tensors["smuggled"] = torch.zeros(4)

    with pytest.raises(CheckpointError, match="'smuggled' is not part of the configured model"):
        load_checkpoint(resign(tmp_path / "c", weights=extra))


@pytest.mark.parametrize(
    ("key", "value"),
    [("weights", [math.nan]), ("bias", math.inf), ("scale", [0])],
)
def test_non_finite_calibrators_are_refused(tmp_path: Path, key: str, value: Any) -> None:
    def spoil(
        data: dict[str, Any],
    ) -> None:  # one bad entry, the rest of the shipped calibrator kept
        if isinstance(value, list):
            data[key] = value + list(data[key][1:])
        else:
            data[key] = value

    ckpt = resign(tmp_path / "ckpt", calibrator=spoil)
    with pytest.raises(CheckpointError, match="must be finite and every scale non-zero"):
        load_checkpoint(ckpt)


def test_the_cli_exits_5_on_a_hostile_config(tmp_path: Path) -> None:
    ckpt = resign(tmp_path / "ckpt", model=_set("d_model", "96"))
    (tmp_path / "before.py").write_text("def f(x):\n    return x\n")
    argv = ["score", "--before", str(tmp_path / "before.py"), "--instruction", "add one"]
    argv += ["-c", str(tmp_path / "before.py"), "--checkpoint", str(ckpt), "--json"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 5, result.output
    error = json.loads(result.stdout)
    assert error["error_type"] == "CheckpointError" and "d_model" in error["message"]


def test_the_resigned_default_model_itself_still_loads(tmp_path: Path) -> None:
    loaded = load_checkpoint(resign(tmp_path / "ckpt"))  # the helper changes nothing by itself
    assert loaded.model.cfg.d_model == 96 and loaded.calibrator is not None
