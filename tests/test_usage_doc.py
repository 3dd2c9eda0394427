"""docs/USAGE.md covers the CLI: every command and every option appears in its section.

Regenerate with `.venv/bin/python scripts/gen_usage.py` after adding a command or an option.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import typer.main

from codelewm.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
FIX = "Run `.venv/bin/python scripts/gen_usage.py` and commit docs/USAGE.md."


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_usage", ROOT / "scripts" / "gen_usage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_usage"] = module
    spec.loader.exec_module(module)
    return module


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## `([^`]+)`\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_command_and_option_is_documented() -> None:
    sections = _sections((ROOT / "docs" / "USAGE.md").read_text(encoding="utf-8"))
    root = typer.main.get_command(app)
    found = list(_generator().commands(root, ["codelewm"]))
    assert len(found) >= 20
    for path, command in found:
        name = " ".join(path)
        assert name in sections, f"{name} is not in docs/USAGE.md. {FIX}"
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            for flag in [*param.opts, *getattr(param, "secondary_opts", [])]:
                assert f"`{flag}`" in sections[name], f"{name} {flag} is undocumented. {FIX}"


def test_the_llm_commands_are_there() -> None:
    sections = _sections((ROOT / "docs" / "USAGE.md").read_text(encoding="utf-8"))
    for name in (
        "codelewm llm candidates",
        "codelewm llm-demo",
        "codelewm openrouter byok-register",
    ):
        assert name in sections
    assert "`--api-key-env`" in sections["codelewm llm-demo"]
