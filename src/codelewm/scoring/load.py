"""`load_scorer`: a `Reranker` over a checkpoint directory, or over the default model shipped in the package.

Loading goes through the checkpoint trust gate (`checkpoint/read.py`): manifest present, every
file's sha256 and size as listed, safetensors only, a config this version reads. Any failure is a
`CheckpointError` (CLI exit 5) with a remediation. There is no fallback: when no checkpoint loads,
nothing scores.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from codelewm.errors import CheckpointError, InputError
from codelewm.scoring.reranker import Reranker

if TYPE_CHECKING:
    from codelewm.scoring.world_model import WorldModelScorer

DEFAULT_MODEL_DIR: Final = Path(__file__).resolve().parents[1] / "assets" / "default_model"
DEFAULT_MODEL_REMEDIATION: Final = (
    "Pass a checkpoint directory (`load_scorer(path)`, `--checkpoint DIR`) written by "
    "`codelewm train`, or install a build of codelewm that ships the default model."
)


def default_model_path() -> Path:
    """Where the default model lives inside the installed package (it may be absent)."""
    return DEFAULT_MODEL_DIR


def resolve_checkpoint(path: Path | str | None) -> Path:
    """The checkpoint directory to load: `path`, or the shipped default model."""
    if path is not None:
        return Path(path)
    default = default_model_path()
    if not (default / "manifest.json").is_file():
        raise CheckpointError(
            f"no default model is shipped in this build (looked in {default})",
            remediation=DEFAULT_MODEL_REMEDIATION,
        )
    return default


def check_device(device: str) -> str:
    """`device` when this machine has it; InputError (exit 2) otherwise."""
    import torch

    try:
        parsed = torch.device(device)
    except RuntimeError as exc:
        raise InputError(
            f"unknown device {device!r}", remediation="Use 'cpu', 'cuda' or 'cuda:N'."
        ) from exc
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise InputError(
            f"device {device!r} was asked for, but CUDA is not available on this machine",
            remediation="Use --device cpu.",
        )
    if parsed.type not in {"cpu", "cuda"}:
        raise InputError(f"device {device!r} is not supported", remediation="Use 'cpu' or 'cuda'.")
    return device


def load_scorer(
    path: Path | str | None = None, *, device: str = "cpu", batch_size: int = 64
) -> Reranker:
    """A `Reranker` over the checkpoint at `path` (None = the default model shipped in the package).

    Raises `CheckpointError` when the checkpoint is absent, fails the trust gate or does not fit this
    version, and `InputError` for a device this machine does not have.
    """
    directory = resolve_checkpoint(path)
    check_device(device)
    try:
        exists = directory.exists()
    except OSError as exc:  # a name the OS refuses (too long, a path through a file, ...)
        raise CheckpointError(
            f"checkpoint directory {str(directory)[:200]!r} cannot be read: {exc.strerror}",
            remediation=DEFAULT_MODEL_REMEDIATION,
        ) from None
    if not exists:
        raise CheckpointError(
            f"checkpoint directory {str(directory)!r} does not exist",
            remediation=DEFAULT_MODEL_REMEDIATION,
        )
    from codelewm.scoring.world_model import WorldModelScorer

    try:
        scorer = WorldModelScorer.from_checkpoint(directory, device=device, batch_size=batch_size)
    except OSError as exc:  # unreadable files inside the directory, or a name the OS refuses
        raise CheckpointError(
            f"checkpoint {str(directory)[:200]!r} cannot be read: {exc.strerror}",
            remediation=DEFAULT_MODEL_REMEDIATION,
        ) from None
    warnings = []
    if scorer.calibrator is None:
        warnings.append("the checkpoint has no calibrator: final_score = -energy")
    info = {
        "checkpoint_path": str(directory.resolve()),
        "default_model": path is None,
        "device": device,
        "model_config": scorer.model.cfg.to_dict(),
        "parameters": sum(p.numel() for p in scorer.model.parameters()),
        "calibrator": scorer.calibrator is not None,
        "tokenizer_vocab": scorer.tokenizer.vocab_size,
    }
    return Reranker(scorer, warnings=warnings, info=info, before_checks=[_window_check(scorer)])


def _window_check(scorer: WorldModelScorer) -> Callable[[str], str | None]:
    """A warning when the before is longer than the model's sequence: it encodes only the start."""
    max_len = scorer.model.cfg.max_len

    def check(before: str) -> str | None:
        n = len(scorer.tokenizer.encode(before))
        if n <= max_len:
            return None
        return (
            f"the before is {n} tokens; the model encodes its first {max_len} (candidates are "
            "seen as windows around their changes): give the function being edited, not a module"
        )

    return check
