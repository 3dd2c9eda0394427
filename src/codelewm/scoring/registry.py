"""`get_scorer(name_or_checkpoint)`: what every eval command's `--scorer` resolves through.

A baseline name (`random`, `lexical`, ...), `shuffled-action:<inner>` (the control wrapped around any
other scorer), `default` (the world model shipped in the package), `default-energy` (the same
weights ranked by their transition energy alone, without the calibrated fusion: what the world model
learned, for protocols whose candidates are not one before's samples, e.g. P2 retrieval, where the
fusion's consensus and duplicate terms favour the same central candidates for every query) or a path
to a checkpoint directory (the world model). An unknown name or a missing
checkpoint is an error: there is no silent fallback to a baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
DEFAULT_MODEL = "default"  # the world model shipped inside the package
DEFAULT_ENERGY = "default-energy"  # its weights ranked by energy alone (no calibrators)


def baseline_names() -> list[str]:
    return [*BASELINES, SHUFFLED_PREFIX, DEFAULT_MODEL, DEFAULT_ENERGY]


def get_scorer(name_or_path: str, *, seed: int = SEED, device: str = "cpu") -> Scorer:
    """The scorer a `--scorer` value names. `shuffled-action` alone wraps `lexical`."""
    if name_or_path in BASELINES:
        return BASELINES[name_or_path](seed)
    if name_or_path == SHUFFLED_PREFIX or name_or_path.startswith(SHUFFLED_PREFIX + ":"):
        inner = name_or_path.partition(":")[2] or "lexical"
        return ShuffledActionScorer(get_scorer(inner, seed=seed, device=device), seed=seed)
    if name_or_path == DEFAULT_MODEL:
        return load_checkpoint_scorer(None, device=device)
    if name_or_path == DEFAULT_ENERGY:
        return load_checkpoint_scorer(None, device=device, energy_only=True)
    path = Path(name_or_path)
    if path.is_dir():
        return load_checkpoint_scorer(path, device=device)
    raise InputError(
        f"--scorer {name_or_path!r} is neither a baseline nor a checkpoint directory",
        remediation=f"Use a checkpoint directory or one of: {', '.join(baseline_names())}.",
    )


def load_checkpoint_scorer(
    path: Path | None, *, device: str = "cpu", energy_only: bool = False
) -> Scorer:
    """The world-model scorer of checkpoint `path` (None: the default model shipped in the package),
    loaded through the checkpoint trust gate; torch is imported only here. `energy_only`: without
    its calibrators (candidates rank by transition energy)."""
    from codelewm.scoring.load import check_device, resolve_checkpoint
    from codelewm.scoring.world_model import WorldModelScorer

    directory = resolve_checkpoint(path)
    check_device(device)
    if not directory.is_dir():
        raise CheckpointError(f"checkpoint directory {directory} does not exist")
    scorer = WorldModelScorer.from_checkpoint(directory, device=device)
    if energy_only:
        scorer.calibrator = scorer.static_calibrator = scorer.execution_calibrator = None
    return scorer


def checkpoint_path(name_or_path: str) -> Path | None:
    """The checkpoint directory a `--scorer` value names (None for a baseline)."""
    if name_or_path in (DEFAULT_MODEL, DEFAULT_ENERGY):
        from codelewm.scoring.load import resolve_checkpoint

        return resolve_checkpoint(None)
    if name_or_path in BASELINES or name_or_path.startswith(SHUFFLED_PREFIX):
        return None
    return Path(name_or_path) if Path(name_or_path).is_dir() else None


def is_checkpoint(name_or_path: str) -> bool:
    return checkpoint_path(name_or_path) is not None
