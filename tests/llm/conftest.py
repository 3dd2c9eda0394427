"""LLM harness fixtures: planted keys (assembled at run time, so this file holds none), a tiny real
checkpoint for the demo, recorded sleeps."""

from __future__ import annotations

from pathlib import Path

import pytest
from helper_modules import harness_helpers
from llm_keys import PLANTED_LOCAL_KEY, PLANTED_OPENROUTER_KEY
from pydantic import SecretStr


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = harness_helpers().build_tiny_checkpoint(
        tmp_path_factory.mktemp("llm-ckpt") / "tiny"
    )
    return path


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def openrouter_key() -> SecretStr:
    return SecretStr(PLANTED_OPENROUTER_KEY)


@pytest.fixture
def local_key() -> SecretStr:
    return SecretStr(PLANTED_LOCAL_KEY)
