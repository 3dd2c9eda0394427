"""Loads tests/scoring/harness_helpers.py by path (a tiny real checkpoint and the example candidates)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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
