"""Helper modules that tests in several directories share, loaded by file path once per session.

They live beside the tests they belong to (tests/scoring, tests/artifacts), whose directories are not
on sys.path in every run; each is registered under its basename, so `import harness_helpers` inside
tests/scoring and these loaders give the same module object. tests/ itself is on sys.path through
`pythonpath` in pyproject.toml.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parent


def load_by_path(name: str, path: Path) -> ModuleType:
    """The module `name` from `path`, imported once and cached in sys.modules."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def harness_helpers() -> ModuleType:
    """tests/scoring/harness_helpers.py: a tiny real checkpoint and the example candidates."""
    return load_by_path("harness_helpers", TESTS / "scoring" / "harness_helpers.py")


def artifact_helpers() -> ModuleType:
    """tests/artifacts/artifact_helpers.py: artifact and credential helpers."""
    return load_by_path("artifact_helpers", TESTS / "artifacts" / "artifact_helpers.py")
