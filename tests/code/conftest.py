"""Fixtures for the code-area tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _code_helpers import GitRepo, MakeDiff, unified


@pytest.fixture
def make_diff() -> MakeDiff:
    return unified


@pytest.fixture
def git(tmp_path: Path) -> GitRepo:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return GitRepo(tmp_path)
