"""DESIGN.md's import direction, enforced by walking every import in src/codelewm."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "codelewm"

# Areas each area may import (besides itself and the shared root modules errors/records/extras).
ALLOWED: dict[str, set[str]] = {
    "code": set(),
    "artifacts": set(),
    # data labels training pools by running them in the sandbox at build time (data/labelled.py)
    "data": {"code", "artifacts", "execution"},
    "model": set(),
    "execution": {"code", "artifacts"},
    "checkpoint": {"model", "code", "artifacts"},
    "train": {"checkpoint", "model", "data", "code", "artifacts"},
    "scoring": {"checkpoint", "model", "data", "code", "artifacts"},
    "eval": {"scoring", "checkpoint", "model", "data", "execution", "code", "artifacts"},
    "llm": {"scoring", "checkpoint", "data", "code", "artifacts"},
    "views": {"eval", "scoring", "checkpoint", "llm", "code", "artifacts"},
    "server": {"views", "eval", "scoring", "checkpoint", "llm", "code", "artifacts"},
    "cli": {
        "views",
        "server",
        "eval",
        "scoring",
        "train",
        "llm",
        "checkpoint",
        "model",
        "data",
        "execution",
        "code",
        "artifacts",
    },
}
ROOT_MODULES = {"errors", "records", "extras", "__init__", "defaults"}
IO_MODULES = {"pathlib", "os", "shutil", "subprocess", "socket", "json", "io", "tempfile"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _area(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _python_files() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_areas_are_the_ones_design_names() -> None:
    areas = {p.name for p in SRC.iterdir() if p.is_dir() and not p.name.startswith("_")}
    areas.discard("assets")
    assert areas <= set(ALLOWED), f"unknown areas: {areas - set(ALLOWED)}"


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_inward(path: Path) -> None:
    area = _area(path)
    if area in ROOT_MODULES:
        allowed: set[str] = set()
    else:
        allowed = ALLOWED[area] | {area}
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] != "codelewm" or len(parts) < 2:
            continue
        target = parts[1]
        if target in ROOT_MODULES:
            continue
        assert target in allowed, (
            f"{path.relative_to(SRC)} imports {name}: {area} may not import {target}"
        )


@pytest.mark.parametrize(
    "path", [p for p in _python_files() if _area(p) == "model"], ids=lambda p: p.name
)
def test_model_does_no_io(path: Path) -> None:
    for name in _imports(path):
        assert name.split(".")[0] not in IO_MODULES, f"model/{path.name} imports {name}"


def test_nothing_imports_cli_and_scoring_never_imports_execution() -> None:
    for path in _python_files():
        area = _area(path)
        for name in _imports(path):
            if area != "cli":
                assert not name.startswith("codelewm.cli"), f"{path} imports the CLI"
            if area == "scoring":
                assert not name.startswith("codelewm.execution"), f"{path} imports execution"
