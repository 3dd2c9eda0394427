"""docs/ARCHITECTURE.md's module map names every module of the package.

Regenerate with `.venv/bin/python scripts/gen_module_map.py` after adding a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "codelewm"
FIX = "Run `.venv/bin/python scripts/gen_module_map.py` and commit docs/ARCHITECTURE.md."


def test_every_module_is_in_the_module_map() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    start, end = text.index("<!-- module-map:start -->"), text.index("<!-- module-map:end -->")
    module_map = text[start:end]
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "__init__.py" and not ast.get_docstring(ast.parse(path.read_text())):
            continue
        rel = path.relative_to(SRC).as_posix()
        assert f"`{rel}`" in module_map, f"{rel} is missing from the module map. {FIX}"


def test_the_data_flow_names_the_areas() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for area in ("data/", "train/", "scoring/", "eval/", "views/", "server/", "llm/"):
        assert area in text
