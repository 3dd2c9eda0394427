from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import build_history
from stdlib_excerpt import JSON_ENCODER_EXCERPT


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(repository path, commit name -> sha) of the fixture history in tests/data/gitrepo.py."""
    root = tmp_path_factory.mktemp("git") / "proj"
    return root, build_history(root)


@pytest.fixture()
def excerpt_root(tmp_path: Path) -> Path:
    """A code root holding real stdlib functions (json/encoder.py excerpt) as `excerpt/encoder.py`."""
    root = tmp_path / "code"
    (root / "excerpt").mkdir(parents=True)
    (root / "excerpt" / "encoder.py").write_text(JSON_ENCODER_EXCERPT, encoding="utf-8")
    return root
