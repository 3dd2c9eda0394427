"""`get_scorer(name_or_checkpoint)`: what every eval command's `--scorer` resolves through.

A baseline name (`random`, `lexical`, ...), `shuffled-action:<inner>` (the control wrapped around any
other scorer), or a path to a checkpoint directory (the world model). An unknown name or a missing
checkpoint is an error: there is no silent fallback to a baseline.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import cast

from codelewm.errors import CheckpointError, InputError
from codelewm.scoring.baselines import (
    BM25Scorer,
    ConsensusScorer,
    ConstantScorer,
    LexicalScorer,
    NoActionScorer,
    RandomScorer,
    ValidityScorer,
)
from codelewm.scoring.baselines_shuffled import ShuffledActionScorer
from codelewm.scoring.protocol import Scorer

SEED = 17
SHUFFLED_PREFIX = "shuffled-action"

BASELINES: dict[str, Callable[[int], Scorer]] = {
    "random": lambda seed: RandomScorer(seed=seed),
    "random-expected": lambda seed: ConstantScorer(),
    "lexical": lambda seed: LexicalScorer(),
    "no-action": lambda seed: NoActionScorer(),
    "bm25": lambda seed: BM25Scorer(),
    "validity": lambda seed: ValidityScorer(),
    "consensus": lambda seed: ConsensusScorer(),
}
# The model's checkpoint loader, imported lazily so baselines never need torch.
WORLD_MODEL_LOADER = "codelewm.scoring.world_model:load_world_model_scorer"


def baseline_names() -> list[str]:
    return [*BASELINES, SHUFFLED_PREFIX]


def get_scorer(name_or_path: str, *, seed: int = SEED, device: str = "cpu") -> Scorer:
    """The scorer a `--scorer` value names. `shuffled-action` alone wraps `lexical`."""
    if name_or_path in BASELINES:
        return BASELINES[name_or_path](seed)
    if name_or_path == SHUFFLED_PREFIX or name_or_path.startswith(SHUFFLED_PREFIX + ":"):
        inner = name_or_path.partition(":")[2] or "lexical"
        return ShuffledActionScorer(get_scorer(inner, seed=seed, device=device), seed=seed)
    path = Path(name_or_path)
    if path.is_dir():
        return load_checkpoint_scorer(path, device=device)
    raise InputError(
        f"--scorer {name_or_path!r} is neither a baseline nor a checkpoint directory",
        remediation=f"Use a checkpoint directory or one of: {', '.join(baseline_names())}.",
    )


def load_checkpoint_scorer(path: Path, *, device: str = "cpu") -> Scorer:
    """The world-model scorer of checkpoint `path` (verified by its own loader)."""
    module_name, _, attr = WORLD_MODEL_LOADER.partition(":")
    try:
        loader = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise CheckpointError(
            f"cannot load checkpoint {path}: the world-model scorer is unavailable ({exc})",
            remediation="Install codelewm with torch; `codelewm.scoring.world_model` must import.",
        ) from exc
    return cast(Scorer, loader(path, device=device))


def is_checkpoint(name_or_path: str) -> bool:
    return name_or_path not in BASELINES and Path(name_or_path).is_dir()
