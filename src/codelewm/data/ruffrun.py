"""Run ruff as a subprocess: lint to JSON diagnostics, or apply one rule's fixes in place."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from codelewm.errors import SourceUnavailableError
from codelewm.extras import install_hint


@dataclass(frozen=True)
class Diagnostic:
    code: str
    path: str
    row: int
    message: str  # the fix's message when there is one, else the diagnostic's


@cache
def ruff_binary() -> str:
    """The ruff executable of this environment (the `ruff` package), else the one on PATH."""
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("ruff")
    if found is None:
        raise SourceUnavailableError(
            "ruff is not installed (the ruff source needs it)",
            remediation=install_hint("data"),
        )
    return found


@cache
def ruff_version() -> str:
    return _run([ruff_binary(), "--version"]).strip()


def _run(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SourceUnavailableError(
            f"ruff failed ({done.returncode}): {done.stderr.strip()[:500]}"
        )
    return done.stdout


def _base(rules: list[str], target_version: str, unsafe: bool) -> list[str]:
    argv = [ruff_binary(), "check", "--isolated", "--no-cache", "--exit-zero", "--quiet"]
    argv += ["--select", ",".join(rules), "--target-version", target_version]
    return argv + (["--unsafe-fixes"] if unsafe else [])


def fixable_diagnostics(
    files: list[Path], rules: list[str], *, target_version: str, unsafe: bool
) -> list[Diagnostic]:
    """Diagnostics of `rules` in `files` that carry a fix (nothing is changed)."""
    if not files:
        return []
    argv = [*_base(rules, target_version, unsafe), "--output-format", "json"]
    found = []
    for item in json.loads(_run(argv + [str(f) for f in files]) or "[]"):
        fix = item.get("fix")
        if not fix or not item.get("code"):
            continue
        message = fix.get("message") or item["message"]
        found.append(Diagnostic(item["code"], item["filename"], item["location"]["row"], message))
    return found


def apply_fixes(files: list[Path], rule: str, *, target_version: str, unsafe: bool) -> None:
    """Apply `rule`'s fixes to `files` in place."""
    if files:
        _run(_base([rule], target_version, unsafe) + ["--fix"] + [str(f) for f in files])
