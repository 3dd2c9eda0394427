"""Load a world-model checkpoint through the trust gate. Nothing is ever unpickled.

A checkpoint is a directory written by `codelewm train`:

    model.safetensors   weights (safetensors: tensors only, no code)
    config.json         {"schema_version": "codelewm.checkpoint.v1", "model": ModelConfig, "train": ...}
    tokenizer.json      the byte-level BPE the model was trained with
    calibrator.json     optional: logistic-regression weights for final_score
    calibrator_static.json  optional: the same fusion over the static signals only
    calibrator_execution.json  optional: the execution-aware score (static final score + what ran)
    manifest.json       artifact manifest: sha256 and size of every file, parent (dataset) manifests

`load_checkpoint` refuses (CheckpointError, exit 5) a path that is not a directory, a missing or invalid
manifest, a manifest of another artifact kind, any file whose size or sha256 differs, any file not listed,
any symlink, any pickle-capable weight file (.pt/.pth/.bin/.pkl/.ckpt), an unknown config schema, a
model config with a wrong type or a value out of bounds (`ModelConfig.from_dict`, checked before
anything is allocated), a model over MAX_PARAMETERS, weights whose names, shapes or dtypes (read from
the safetensors header, before allocating) do not fit the config, weights or a calibrator holding NaN
or infinite values.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_model

from codelewm.artifacts.digest import sha256_file
from codelewm.artifacts.manifest import MANIFEST_NAME, load_manifest
from codelewm.artifacts.verify import verify_artifact
from codelewm.checkpoint.calibrator import Calibrator
from codelewm.checkpoint.tokenizer import CodeTokenizer
from codelewm.errors import ArtifactError, CheckpointError
from codelewm.model.world_model import ModelConfig, WorldModel, build_world_model
from codelewm.records import ArtifactManifest

CHECKPOINT_KIND = "checkpoint"
CHECKPOINT_SCHEMA = "codelewm.checkpoint.v1"
WEIGHTS_NAME = "model.safetensors"
TOKENIZER_NAME = "tokenizer.json"
CALIBRATOR_NAME = "calibrator.json"
#: the same fusion without the model's terms (evaluation's `fused-without-model` control)
STATIC_CALIBRATOR_NAME = "calibrator_static.json"
#: the execution-aware score over the static final score and the execution signals (opt-in
#: `--execute examples`; `eval/execution_fusion.py`)
EXECUTION_CALIBRATOR_NAME = "calibrator_execution.json"
CONFIG_NAME = "config.json"
REQUIRED_FILES = (WEIGHTS_NAME, CONFIG_NAME, TOKENIZER_NAME, MANIFEST_NAME)
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".npz")
MAX_PARAMETERS = 1 << 30  # 4 GiB of float32; the shipped model has 2.7 M
FLOAT_DTYPES = frozenset({"F32", "F16", "BF16", "F64"})


@dataclass(frozen=True)
class LoadedCheckpoint:
    path: Path
    model: WorldModel
    tokenizer: CodeTokenizer
    config: dict[str, Any]
    manifest: ArtifactManifest
    manifest_sha256: str
    calibrator: Calibrator | None
    static_calibrator: Calibrator | None = None
    execution_calibrator: Calibrator | None = None

    @property
    def checkpoint_id(self) -> str:
        return self.manifest.artifact_id


def verify_checkpoint(path: Path) -> ArtifactManifest:
    """The trust gate without loading tensors: returns the manifest or raises CheckpointError."""
    if path.is_symlink() or not path.is_dir():
        raise CheckpointError(
            f"{path} is not a checkpoint directory",
            remediation="Give the directory written by `codelewm train` (it holds manifest.json).",
        )
    for item in path.rglob("*"):
        if item.suffix.lower() in PICKLE_SUFFIXES:
            raise CheckpointError(
                f"{item.name}: pickle-capable weight files are refused (loading them can run code)",
                remediation="Only model.safetensors is accepted; re-export the weights with safetensors.",
            )
    for name in REQUIRED_FILES:
        if not (path / name).is_file():
            raise CheckpointError(f"{path} has no {name}")
    try:
        manifest = load_manifest(path)
        report = verify_artifact(path)
    except ArtifactError as exc:
        raise CheckpointError(f"{path}: {exc.message}") from exc
    if not report.ok:
        first = report.problems[0]
        raise CheckpointError(
            f"{path}: checksum/manifest check failed: {first.path}: {first.kind}: {first.detail}"
            + (f" (+{len(report.problems) - 1} more)" if len(report.problems) > 1 else ""),
            remediation="The checkpoint was modified after it was written; re-download or retrain it.",
        )
    if manifest.artifact_kind != CHECKPOINT_KIND:
        raise CheckpointError(f"{path} is a {manifest.artifact_kind!r} artifact, not a checkpoint")
    return manifest


def read_checkpoint_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads((path / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path / CONFIG_NAME} is not valid JSON: {exc}") from exc
    schema = config.get("schema_version") if isinstance(config, dict) else None
    if schema != CHECKPOINT_SCHEMA:
        raise CheckpointError(
            f"checkpoint schema {schema!r} is not supported (this codelewm reads {CHECKPOINT_SCHEMA})",
            remediation="Use a checkpoint written by this version of codelewm, or retrain it.",
        )
    if not isinstance(config.get("model"), dict):
        raise CheckpointError(f"{path / CONFIG_NAME} has no model section")
    return dict(config)


def load_checkpoint(path: Path, *, device: str = "cpu") -> LoadedCheckpoint:
    """Verify every file against the manifest, then rebuild the model from config + safetensors."""
    manifest = verify_checkpoint(path)
    config = read_checkpoint_config(path)
    try:
        model_cfg = ModelConfig.from_dict(config["model"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(
            f"{path / CONFIG_NAME}: model config does not fit this version: {exc}"
        ) from exc
    tokenizer = CodeTokenizer.from_file(path / TOKENIZER_NAME)
    if tokenizer.vocab_size != model_cfg.vocab_size:
        raise CheckpointError(
            f"tokenizer has {tokenizer.vocab_size} tokens, the model expects {model_cfg.vocab_size}"
        )
    check_weights_fit(path / WEIGHTS_NAME, model_cfg)  # before allocating anything
    model = build_world_model(model_cfg)
    try:
        load_model(model, str(path / WEIGHTS_NAME), strict=True, device=device)
    except (SafetensorError, RuntimeError, ValueError, OSError) as exc:
        raise CheckpointError(f"{path / WEIGHTS_NAME} does not fit the config: {exc}") from exc
    check_finite(model, path / WEIGHTS_NAME)
    model.to(device).eval()
    calibrator = _load_calibrator(path / CALIBRATOR_NAME)
    return LoadedCheckpoint(
        path=path,
        model=model,
        tokenizer=tokenizer,
        config=config,
        manifest=manifest,
        manifest_sha256=sha256_file(path / MANIFEST_NAME),
        calibrator=calibrator,
        static_calibrator=_load_calibrator(path / STATIC_CALIBRATOR_NAME),
        execution_calibrator=_load_calibrator(path / EXECUTION_CALIBRATOR_NAME),
    )


def _load_calibrator(file: Path) -> Calibrator | None:
    if not file.is_file():
        return None
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{file} is not readable UTF-8: {exc}") from exc
    calibrator = Calibrator.from_json(text)
    check_calibrator(calibrator, file)
    return calibrator


def check_weights_fit(weights: Path, cfg: ModelConfig) -> None:
    """CheckpointError unless the file's tensors are exactly the config's (names, shapes, float
    dtypes) and the model stays under MAX_PARAMETERS. Reads only the safetensors header and builds
    the model on the meta device, so a hostile config allocates nothing."""
    with torch.device("meta"):
        skeleton = build_world_model(cfg)
    expected = {name: tuple(t.shape) for name, t in skeleton.state_dict().items()}
    total = sum(p.numel() for p in skeleton.parameters())
    if total > MAX_PARAMETERS:
        raise CheckpointError(
            f"the model config asks for {total:,} parameters, over the limit of {MAX_PARAMETERS:,}"
        )
    try:
        with safe_open(str(weights), framework="pt") as handle:
            found = {
                name: (
                    tuple(handle.get_slice(name).get_shape()),
                    handle.get_slice(name).get_dtype(),
                )
                for name in handle.keys()  # noqa: SIM118 (safe_open is not a mapping)
            }
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights} is not a readable safetensors file: {exc}") from exc
    for name, (shape, dtype) in found.items():
        if name not in expected:
            raise CheckpointError(f"{weights}: tensor {name!r} is not part of the configured model")
        if shape != expected[name]:
            raise CheckpointError(
                f"{weights}: tensor {name!r} has shape {list(shape)}, the config says "
                f"{list(expected[name])}"
            )
        if dtype not in FLOAT_DTYPES:
            raise CheckpointError(f"{weights}: tensor {name!r} is {dtype}, not a float type")
    if sum(math.prod(shape) for shape, _ in found.values()) != total:
        raise CheckpointError(f"{weights} does not hold every tensor of the configured model")


def check_finite(model: torch.nn.Module, weights: Path) -> None:
    """CheckpointError naming the first tensor that holds a NaN or an infinity."""
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(
                f"{weights}: tensor {name!r} holds NaN or infinite values",
                remediation="The weights are corrupt (or diverged in training): retrain or re-download.",
            )


def check_calibrator(calibrator: Calibrator, file: Path) -> None:
    values = [*calibrator.weights, *calibrator.mean, *calibrator.scale, calibrator.bias]
    if not all(math.isfinite(v) for v in values) or any(v == 0 for v in calibrator.scale):
        raise CheckpointError(
            f"{file}: weights, mean, scale and bias must be finite and every scale non-zero",
            remediation="Refit it: `codelewm model calibrate CHECKPOINT --dataset DIR`.",
        )


def torch_device(name: str) -> torch.device:
    try:
        return torch.device(name)
    except RuntimeError as exc:
        raise CheckpointError(
            f"unknown device {name!r}", remediation="Use 'cpu' or 'cuda'."
        ) from exc
