"""The exact-resume training state in OUT/state/: model.safetensors, optimizer.safetensors (+ torch RNG)
and state.json. Nothing is pickled.

The optimizer's tensors go to safetensors under `state.<param index>.<name>`; its hyperparameters and
the loop position (step, epoch, batch in epoch, best metric, patience) go to state.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, load_model, save_file, save_model

from codelewm.artifacts.atomic import atomic_write_text
from codelewm.checkpoint.write import unwrap_model
from codelewm.errors import CheckpointError
from codelewm.model.world_model import WorldModel

STATE_SCHEMA = "codelewm.train_state.v1"


@dataclass
class LoopState:
    """Where the loop stands; with the model, optimizer and RNG it is all exact resume needs."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    best_metric: float = float("-inf")
    bad_evals: int = 0
    examples_seen: int = 0


def save_train_state(
    state_dir: Path, *, model: WorldModel, optimizer: torch.optim.Optimizer, loop: LoopState
) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    save_model(unwrap_model(model), str(state_dir / "model.tmp.safetensors"))
    opt = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {"rng.torch": torch.get_rng_state()}
    for index, values in opt["state"].items():
        for name, value in values.items():
            tensors[f"state.{index}.{name}"] = value.detach().clone().contiguous()
    save_file(tensors, str(state_dir / "optimizer.tmp.safetensors"))
    groups = [
        {k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()}
        for g in opt["param_groups"]
    ]
    payload = {"schema_version": STATE_SCHEMA, "loop": loop.__dict__, "param_groups": groups}
    # Tensors first, then state.json last and atomically: a kill leaves the previous complete state.
    (state_dir / "model.tmp.safetensors").replace(state_dir / "model.safetensors")
    (state_dir / "optimizer.tmp.safetensors").replace(state_dir / "optimizer.safetensors")
    atomic_write_text(state_dir / "state.json", json.dumps(payload, indent=2) + "\n")


def load_train_state(
    state_dir: Path, *, model: WorldModel, optimizer: torch.optim.Optimizer
) -> LoopState:
    """Restore model, optimizer and torch RNG in place; return the loop position."""
    try:
        payload = json.loads((state_dir / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(
            f"no resumable training state in {state_dir}: {exc}",
            remediation="Start without --resume, or point --out at the run to resume.",
        ) from exc
    if payload.get("schema_version") != STATE_SCHEMA:
        raise CheckpointError(f"{state_dir}/state.json has an unknown schema")
    load_model(unwrap_model(model), str(state_dir / "model.safetensors"), strict=True)
    tensors = load_file(str(state_dir / "optimizer.safetensors"))
    torch.set_rng_state(tensors.pop("rng.torch"))
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        _, index, name = key.split(".", 2)
        state.setdefault(int(index), {})[name] = value
    groups = [
        {k: (tuple(v) if k == "betas" else v) for k, v in g.items()}
        for g in payload["param_groups"]
    ]
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    return LoopState(**payload["loop"])
