"""The training config's [model] table is ModelConfig itself: its defaults, its bounds, no vocab_size."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from codelewm.errors import ConfigError
from codelewm.model.world_model import ModelConfig
from codelewm.train.config import ModelSection, load_train_config

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, model_table: str) -> Path:
    path = tmp_path / "train.toml"
    path.write_text(f'[data]\ndataset = "d"\n\n[model]\n{model_table}\n', encoding="utf-8")
    return path


def test_the_model_section_has_model_configs_fields_and_defaults_less_vocab_size() -> None:
    defaults = ModelSection().build(vocab_size=1234)
    assert defaults == ModelConfig(vocab_size=1234)
    assert set(ModelSection.model_fields) == {f.name for f in fields(ModelConfig)} - {"vocab_size"}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("vocab_size = 500", "vocab_size"),  # the trained tokenizer decides it
        ("d_modle = 64", "d_modle"),  # unknown keys are errors
        ("n_layers = 1000", "outside"),  # ModelConfig.from_dict's bounds
        ("d_model = 30\nn_heads = 4", "multiple of n_heads"),
    ],
)
def test_the_model_section_refuses(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_train_config(_config(tmp_path, table))


@pytest.mark.parametrize("name", ["default", "dev-stdlib", "tiny"])
def test_the_shipped_training_configs_load(name: str) -> None:
    path = ROOT / "configs" / "train" / f"{name}.toml"
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("model", {})
    built = load_train_config(path).model.build(vocab_size=500)
    assert built == ModelConfig.from_dict({"vocab_size": 500, **table})
