from __future__ import annotations

import json
import shlex
import textwrap
from pathlib import Path

import pytest
from _train_dataset import build_dataset

from codelewm.train.config import TrainConfig, load_train_config
from codelewm.train.loop import TrainResult, run_training

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny_dataset")
    modules = [json.decoder, textwrap, shlex]
    import colorsys
    import fnmatch
    import string

    build_dataset(root, [*modules, colorsys, fnmatch, string], seed=0, mutants=4)
    return root


def tiny_config(dataset: Path, **overrides: object) -> TrainConfig:
    cfg = load_train_config(ROOT / "configs" / "train" / "tiny.toml")
    data = cfg.data.model_copy(update={"dataset": dataset})
    return cfg.model_copy(update={"data": data, **overrides})


@pytest.fixture(scope="session")
def tiny_run(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    out = tmp_path_factory.mktemp("tiny_run") / "run"
    return run_training(tiny_config(tiny_dataset), out_dir=out)
