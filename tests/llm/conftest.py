"""LLM harness fixtures: planted keys (assembled at run time, so this file holds none), a tiny real
checkpoint for the demo, recorded sleeps."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from llm_keys import PLANTED_LOCAL_KEY, PLANTED_OPENROUTER_KEY
from pydantic import SecretStr

_HELPERS = Path(__file__).resolve().parents[1] / "scoring" / "harness_helpers.py"


def harness_helpers() -> ModuleType:
    if "harness_helpers" in sys.modules:
        return sys.modules["harness_helpers"]
    spec = importlib.util.spec_from_file_location("harness_helpers", _HELPERS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["harness_helpers"] = module
    spec.loader.exec_module(module)
    return module


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
