"""The training config: a TOML file validated by pydantic; unknown keys are errors."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from codelewm.errors import ConfigError
from codelewm.model.loss import LossConfig
from codelewm.model.world_model import ModelConfig


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _ModelSectionBase(Section):
    """The `[model]` table: `ModelConfig`'s own fields and defaults, less what the trained tokenizer
    decides (vocab_size), checked with `ModelConfig.from_dict`'s bounds when the config loads."""

    @model_validator(mode="after")
    def _within_bounds(self) -> Self:
        ModelConfig.from_dict(self.model_dump())  # ValueError -> ValidationError -> ConfigError
        return self

    def build(self, vocab_size: int) -> ModelConfig:
        return ModelConfig.from_dict({"vocab_size": vocab_size, **self.model_dump()})


def _model_section_fields() -> dict[str, Any]:
    """(type, default) of every ModelConfig field the TOML may set: one source, no copied defaults."""
    hints = get_type_hints(ModelConfig)
    return {
        f.name: (hints[f.name], f.default)
        for f in fields(ModelConfig)
        if f.name not in TOKENIZER_FIELDS
    }


TOKENIZER_FIELDS = frozenset({"vocab_size"})  # set from the trained tokenizer, never from TOML
if TYPE_CHECKING:
    ModelSection = _ModelSectionBase
else:
    ModelSection = create_model(
        "ModelSection",
        __base__=_ModelSectionBase,
        __doc__=_ModelSectionBase.__doc__,
        **_model_section_fields(),
    )


class LossSection(Section):
    """Weights of each loss term (0 switches a term off) and the action dropout rate."""

    infonce: float = 1.0
    swap: float = 0.5
    mse: float = 0.05
    sigreg: float = 0.02
    sigreg_slices: int = 256
    sigreg_knots: int = 17
    behaviour: float = Field(
        default=0.0,
        ge=0.0,
        description="behaviour-grounded term (model/loss.py): a labelled pool's failing members "
        "far from the true after in latent space, its passing ones close",
    )
    behaviour_margin: float = Field(
        default=0.5, ge=-1.0, le=1.0, description="cosine a failing member must stay below"
    )
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
    labelled_repeat: int = Field(
        default=4,
        ge=1,
        description="times each transition with a sandbox-labelled pool appears per epoch (its "
        "failing members are its first negatives)",
    )
    passing_members: int = Field(
        default=0,
        ge=0,
        description="passing members (equivalents of the after) a labelled row carries among its "
        "candidates, labelled passed for the behaviour term (never infonce negatives)",
    )
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
