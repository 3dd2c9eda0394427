"""CLI fixtures; the artifact and credential helpers live in tests/artifacts/artifact_helpers.py."""

from __future__ import annotations

from types import ModuleType

import pytest
from helper_modules import artifact_helpers


@pytest.fixture
def helpers() -> ModuleType:
    return artifact_helpers()
