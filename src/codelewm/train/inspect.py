"""`codelewm model inspect`: what a checkpoint holds — parameters per module, tensor statistics, config
and data lineage — read through the trust gate (nothing is loaded that the manifest does not vouch for)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from codelewm.checkpoint.read import load_checkpoint
from codelewm.model.world_model import count_parameters
from codelewm.records import ParentRef


class TensorStats(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    shape: list[int]
    numel: int
    mean: float
    std: float
    min: float
    max: float


class CheckpointReport(BaseModel):
    """`codelewm.checkpoint_inspect.v1`"""

    model_config = ConfigDict(extra="forbid")

    schema_version: str = "codelewm.checkpoint_inspect.v1"
    path: str
    checkpoint_id: str
    manifest_sha256: str
    created_at: str
    source_git_sha: str
    parameters: dict[str, int]
    total_parameters: int
    tensors: list[TensorStats]
    config: dict[str, Any]
    parents: list[ParentRef]
    metadata: dict[str, Any]
    files: dict[str, int] = Field(description="file -> bytes")
    calibrator: dict[str, Any] | None = None


def inspect_checkpoint(path: Path) -> CheckpointReport:
    ckpt = load_checkpoint(path)
    counts = count_parameters(ckpt.model)
    tensors = []
    for name, param in ckpt.model.named_parameters():
        data = param.detach().float()
        tensors.append(
            TensorStats(
                name=name,
                shape=list(data.shape),
                numel=data.numel(),
                mean=float(data.mean()),
                std=float(data.std()) if data.numel() > 1 else 0.0,
                min=float(data.min()),
                max=float(data.max()),
            )
        )
    calibrator = None
    if ckpt.calibrator is not None:
        calibrator = {
            "features": list(ckpt.calibrator.feature_names),
            "weights": list(ckpt.calibrator.weights),
            "bias": ckpt.calibrator.bias,
            "fitted_on": ckpt.calibrator.fitted_on,
        }
    return CheckpointReport(
        path=str(path),
        checkpoint_id=ckpt.checkpoint_id,
        manifest_sha256=ckpt.manifest_sha256,
        created_at=ckpt.manifest.created_at,
        source_git_sha=ckpt.manifest.source_git_sha,
        parameters=counts,
        total_parameters=sum(counts.values()),
        tensors=tensors,
        config=ckpt.config,
        parents=list(ckpt.manifest.parent_artifacts),
        metadata=dict(ckpt.manifest.metadata),
        files={f.path: f.bytes for f in ckpt.manifest.files},
        calibrator=calibrator,
    )
