"""Refresh the module map in docs/ARCHITECTURE.md from the package itself.

    .venv/bin/python scripts/gen_module_map.py

The map is the text between `<!-- module-map:start -->` and `<!-- module-map:end -->`: one table per
area (in DESIGN.md's import order) with each module and the first line of its docstring.
tests/test_architecture_doc.py fails when a module is missing from it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "codelewm"
DOC = ROOT / "docs" / "ARCHITECTURE.md"
START, END = "<!-- module-map:start -->", "<!-- module-map:end -->"
AREAS = (
    "(root)",
    "code",
    "artifacts",
    "data",
    "model",
    "execution",
    "checkpoint",
    "scoring",
    "train",
    "eval",
    "llm",
    "views",
    "server",
    "cli",
)


def first_line(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return " ".join(doc.strip().split("\n")[0].split()).replace("|", "\\|")


def module_map() -> str:
    by_area: dict[str, list[Path]] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if path.name == "__init__.py" and not first_line(path):
            continue
        area = rel.parts[0] if len(rel.parts) > 1 else "(root)"
        by_area.setdefault(area, []).append(path)
    parts = []
    for area in [*AREAS, *sorted(set(by_area) - set(AREAS))]:
        if area not in by_area:
            continue
        parts.append(f"\n### {area}\n\n| module | what it is |\n|---|---|\n")
        for path in by_area[area]:
            rel = path.relative_to(SRC).as_posix()
            parts.append(f"| `{rel}` | {first_line(path)} |\n")
    return "".join(parts)


def main() -> int:
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{START}\n{module_map()}\n{END}{tail}", encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
