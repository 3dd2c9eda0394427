"""Fixtures for artifact tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from artifact_helpers import write_artifact


@pytest.fixture
def make_artifact(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "art", files: dict[str, str] | None = None, **kwargs: object) -> Path:
        content = (
            files if files is not None else {"data.jsonl": '{"x": 1}\n', "sub/notes.txt": "hi\n"}
        )
        return write_artifact(tmp_path / name, content, **kwargs)  # type: ignore[arg-type]

    return make
