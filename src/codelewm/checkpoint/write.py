"""Write a checkpoint: an artifact directory that `checkpoint/read.py` loads through the trust gate.

OUT/best/, OUT/last/   model.safetensors, config.json (model + training config), tokenizer.json,
                       calibrator*.json (optional), manifest.json with every sha256. Nothing pickled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_model

from codelewm.artifacts.manifest import ArtifactWriter, load_manifest
from codelewm.checkpoint.calibrator import Calibrator
from codelewm.checkpoint.read import (
    CALIBRATOR_NAME,
    CHECKPOINT_KIND,
    CHECKPOINT_SCHEMA,
    EXECUTION_CALIBRATOR_NAME,
    STATIC_CALIBRATOR_NAME,
    TOKENIZER_NAME,
    WEIGHTS_NAME,
    LoadedCheckpoint,
)
from codelewm.checkpoint.tokenizer import CodeTokenizer
from codelewm.errors import ArtifactError
from codelewm.model.world_model import WorldModel
from codelewm.records import ArtifactManifest


def save_checkpoint(
    out_dir: Path,
    *,
    model: WorldModel,
    tokenizer: CodeTokenizer,
    train_config: Mapping[str, Any],
    parents: Sequence[Path] = (),
    metadata: Mapping[str, Any] | None = None,
    calibrator: Calibrator | None = None,
    static_calibrator: Calibrator | None = None,
    execution_calibrator: Calibrator | None = None,
    weights_of: LoadedCheckpoint | None = None,
) -> ArtifactManifest:
    """Write a checkpoint artifact at `out_dir` (replacing an older one there). `train_config` is the
    training config as JSON data (`TrainConfig.model_dump(mode="json")`), stored under "train".
    `weights_of`: copy that checkpoint's weights file byte for byte instead of saving `model` (its
    weights): safetensors orders the shared-tensor metadata differently from one save to the next,
    so a re-save of the same tensors is a different file."""
    config = {
        "schema_version": CHECKPOINT_SCHEMA,
        "model": model.cfg.to_dict(),
        "train": dict(train_config),
    }
    real_parents = [p for p in parents if _has_manifest(p)]
    with ArtifactWriter(
        out_dir,
        kind=CHECKPOINT_KIND,
        config=config,
        overwrite=True,
        parents=real_parents,
        metadata=metadata,
    ) as art:
        if weights_of is None:
            save_model(unwrap_model(model), str(art.path / WEIGHTS_NAME))
        else:
            _copy_weights(weights_of, art.path / WEIGHTS_NAME)
        tokenizer.save(art.path / TOKENIZER_NAME)
        if calibrator is not None:
            (art.path / CALIBRATOR_NAME).write_text(calibrator.to_json(), encoding="utf-8")
        if static_calibrator is not None:
            text = static_calibrator.to_json()
            (art.path / STATIC_CALIBRATOR_NAME).write_text(text, encoding="utf-8")
        if execution_calibrator is not None:
            text = execution_calibrator.to_json()
            (art.path / EXECUTION_CALIBRATOR_NAME).write_text(text, encoding="utf-8")
    return art.manifest


def save_calibrated_copy(
    ckpt: LoadedCheckpoint,
    out_dir: Path,
    *,
    parents: Sequence[Path],
    metadata: Mapping[str, Any],
    calibrator: Calibrator | None,
    static_calibrator: Calibrator | None,
    execution_calibrator: Calibrator | None = None,
) -> ArtifactManifest:
    """`ckpt`'s weights, tokenizer and training config with new calibrators, at `out_dir`;
    `metadata` is added to the source checkpoint's."""
    return save_checkpoint(
        out_dir,
        model=ckpt.model,
        tokenizer=ckpt.tokenizer,
        train_config=ckpt.config["train"],
        parents=parents,
        metadata={**ckpt.manifest.metadata, **metadata},
        calibrator=calibrator,
        static_calibrator=static_calibrator,
        execution_calibrator=execution_calibrator,
        weights_of=ckpt,
    )


def _copy_weights(ckpt: LoadedCheckpoint, dest: Path) -> None:
    """`ckpt`'s weights file's bytes at `dest`, checked against its manifest's sha256 (the file may
    have changed since it was loaded)."""
    entry = next((f for f in ckpt.manifest.files if f.path == WEIGHTS_NAME), None)
    data = (ckpt.path / WEIGHTS_NAME).read_bytes()
    if entry is None or hashlib.sha256(data).hexdigest() != entry.sha256:
        raise ArtifactError(
            f"{ckpt.path / WEIGHTS_NAME} no longer matches the manifest it was loaded with",
            remediation="Reload the checkpoint and calibrate again.",
        )
    dest.write_bytes(data)


def _has_manifest(path: Path) -> bool:
    try:
        load_manifest(path)
    except ArtifactError:
        return False
    return True


def unwrap_model(model: torch.nn.Module) -> torch.nn.Module:
    """The module itself, not its DDP wrapper (whose state_dict keys carry a `module.` prefix)."""
    inner = getattr(model, "module", None)
    return inner if isinstance(inner, torch.nn.Module) else model
