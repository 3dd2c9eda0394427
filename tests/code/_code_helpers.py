"""Helpers for the code-area tests: real diffs from difflib and from a real git."""

from __future__ import annotations

import difflib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

NO_EOL = "\\ No newline at end of file\n"

MakeDiff = Callable[..., str]


class GitRepo:
    """A fresh repository under tmp_path, driven by the real git with no user or system config."""

    def __init__(self, root: Path) -> None:
        self.path = root / "repo"
        self.path.mkdir()
        self._env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(root),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.invalid",
            "LC_ALL": "C",
        }
        self("init", "-q")

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "color.ui=never", "-c", "core.quotepath=true", *args],
            cwd=self.path,
            env=self._env,
            capture_output=True,
            check=False,
        )
        if done.returncode not in (0, 1):  # `diff --no-index` exits 1 when files differ
            raise AssertionError(done.stderr.decode())
        return done.stdout.decode("utf-8")

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_bytes(text.encode("utf-8"))
        return path

    def commit(self, *names: str) -> None:
        self("add", *names)
        self("commit", "-q", "-m", "base")


def unified(before: str, after: str, *, source: str = "a/mod.py", target: str = "b/mod.py") -> str:
    """`difflib.unified_diff` over lines split on '\\n' only, with git's marker for a last line
    without a newline (difflib alone would glue the next diff line onto it)."""
    out: list[str] = []
    diff = difflib.unified_diff(_lines(before), _lines(after), source, target)
    for line in diff:
        out.append(line if line.endswith("\n") else line + "\n" + NO_EOL)
    return "".join(out)


def _lines(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines
