"""The training config: a TOML file validated by pydantic; unknown keys are errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from codelewm.errors import ConfigError
from codelewm.model.loss import LossConfig
from codelewm.model.world_model import ModelConfig


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelSection(Section):
    """ModelConfig minus vocab_size (that comes from the trained tokenizer)."""

    max_len: int = 128
    action_max_len: int = 48
    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 2
    action_layers: int = 1
    d_latent: int = 128
    predictor_blocks: int = 2
    predictor_hidden: int = 256
    dropout: float = 0.0
    init_temperature: float = 0.1
    window_head: int = 16
    window_radius: int = 24

    def build(self, vocab_size: int) -> ModelConfig:
        return ModelConfig(vocab_size=vocab_size, **self.model_dump())


class LossSection(Section):
    """Weights of each loss term (0 switches a term off) and the action dropout rate."""

    infonce: float = 1.0
    swap: float = 0.5
    mse: float = 0.05
    sigreg: float = 0.02
    sigreg_slices: int = 256
    sigreg_knots: int = 17
    action_dropout: float = Field(default=0.1, ge=0.0, le=1.0)

    def build(self) -> LossConfig:
        return LossConfig(**self.model_dump(exclude={"action_dropout"}))


class DataSection(Section):
    dataset: Path = Field(
        description="dataset directory (data/layout.py); relative to the working dir"
    )
    candidates: int = Field(default=8, ge=2, description="K: the true after plus K-1 negatives")
    swap_actions: int = Field(default=3, ge=0, description="other instructions of the same before")
    negatives_before: bool = True
    negatives_partial: bool = True
    negatives_mutants: int = Field(default=2, ge=0, description="seeded mutants of the true after")
    negatives_decoys: int = Field(default=2, ge=0, description="afters of other befores")
    max_train_examples: int | None = None
    val_max_pools: int = 200
    tokenizer_vocab: int = 8192
    tokenizer_max_texts: int = 200_000


class OptimSection(Section):
    batch_size: int = Field(default=32, ge=1, description="per process")
    lr: float = 1e-3
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.98)
    warmup_steps: int = 100
    max_steps: int = 2000
    grad_clip: float = 1.0


class TrainConfig(Section):
    seed: int = 0
    threads: int = 2
    device: Literal["cpu", "cuda"] = "cpu"
    bf16: bool = False
    eval_every: int = 200
    log_every: int = 10
    checkpoint_every: int = 200
    patience: int = Field(
        default=5, ge=1, description="evaluations without improvement before stopping"
    )
    max_minutes: float | None = None
    model: ModelSection = Field(default_factory=ModelSection)
    loss: LossSection = Field(default_factory=LossSection)
    data: DataSection
    optim: OptimSection = Field(default_factory=OptimSection)


def load_train_config(path: Path) -> TrainConfig:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"no config at {path}") from exc
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
