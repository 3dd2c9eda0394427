"""Scoring fixtures: one tiny real checkpoint per session (see harness_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness_helpers import build_tiny_checkpoint

from codelewm.scoring.load import load_scorer
from codelewm.scoring.reranker import Reranker


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny")


@pytest.fixture(scope="session")
def reranker(tiny_checkpoint: Path) -> Reranker:
    return load_scorer(tiny_checkpoint)
