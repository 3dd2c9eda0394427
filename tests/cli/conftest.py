"""CLI fixtures; the artifact and credential helpers live in tests/artifacts/artifact_helpers.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

_HELPERS = Path(__file__).resolve().parents[1] / "artifacts" / "artifact_helpers.py"


def _load_helpers() -> ModuleType:
    if "artifact_helpers" in sys.modules:
        return sys.modules["artifact_helpers"]
    spec = importlib.util.spec_from_file_location("artifact_helpers", _HELPERS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["artifact_helpers"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def helpers() -> ModuleType:
    return _load_helpers()
