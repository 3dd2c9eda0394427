"""A real git repository with a known history, built with the `git` CLI for the data tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

MIT = (
    "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\n"
)

CORE_V1 = '''import math


def add(a, b):
    """Add two numbers."""
    return a + b


def scale(x, k):
    """Scale x by k."""
    return x * k


def norm(v):
    return math.sqrt(sum(t * t for t in v))


def clamp(x, lo, hi):
    return max(lo, min(x, hi))


def greet(name):
    return "hello " + name
'''


def _git(repo: Path, *args: str, date: int = 0) -> str:
    stamp = f"2024-01-01T00:{date // 60:02d}:{date % 60:02d}+00:00"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@example.invalid",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "a@example.invalid",
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.clock = 0
        root.mkdir(parents=True)
        _git(root, "init", "-q", "-b", "main")

    def write(self, rel: str, text: str | bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    def edit(self, rel: str, old: str, new: str) -> None:
        text = (self.root / rel).read_text(encoding="utf-8")
        assert old in text, old
        self.write(rel, text.replace(old, new, 1))

    def commit(self, message: str) -> str:
        self.clock += 1
        _git(self.root, "add", "-A", date=self.clock)
        _git(self.root, "commit", "-q", "-m", message, date=self.clock)
        return _git(self.root, "rev-parse", "HEAD")

    def git(self, *args: str) -> str:
        self.clock += 1
        return _git(self.root, *args, date=self.clock)


def build_history(root: Path) -> dict[str, str]:
    """The fixture history; returns name -> commit sha."""
    repo = Repo(root)
    shas: dict[str, str] = {}
    repo.write("LICENSE", MIT)
    repo.write("pkg/core.py", CORE_V1)
    shas["root"] = repo.commit("Initial import of the core module")
    repo.edit(
        "pkg/core.py", "    return a + b\n", "    if a < 0:\n        a = -a\n    return a + b\n"
    )
    shas["add"] = repo.commit("Make add take the absolute value of a\n\nLonger body text.")
    repo.edit("pkg/core.py", "return x * k", "return k * x")
    shas["short"] = repo.commit("swap")
    repo.edit("pkg/core.py", '"""Scale x by k."""', '"""Multiply x by the factor k."""')
    shas["docstring"] = repo.commit("Clarify the docstring of scale")
    repo.edit("pkg/core.py", "return max(lo, min(x, hi))", "return max(lo,min(x,hi))")
    shas["format"] = repo.commit("Tighten the spacing in clamp")
    repo.write(
        "pkg/core.py",
        (root / "pkg/core.py")
        .read_text()
        .replace("a + b", "(a + b)")
        .replace("k * x", "(k * x)")
        .replace("t * t", "(t * t)")
        .replace('"hello " + name', "('hello ' + name)"),
    )
    shas["reformat"] = repo.commit("Reformat the module with extra parentheses")
    repo.edit("pkg/core.py", "('hello ' + name)", "('hi ' + name)")
    shas["greet"] = repo.commit("Say hi instead of hello in greet")
    repo.git("revert", "--no-edit", "HEAD")
    repo.git("mv", "pkg/core.py", "pkg/mathops.py")
    repo.edit(
        "pkg/mathops.py",
        "def norm(v):\n    return",
        "def norm(v):\n    if not v:\n        return 0.0\n    return",
    )
    shas["rename"] = repo.commit("Move core to mathops; norm of an empty vector is zero")
    repo.write("pkg/latin.py", "def hello():\n    return 'gr\xfc\xdf'\n".encode("latin-1"))
    shas["latin_add"] = repo.commit("Add a latin-1 encoded module")
    repo.write("pkg/latin.py", "def hello():\n    return 'gr\xfc\xdfe'\n".encode("latin-1"))
    shas["latin_edit"] = repo.commit("Change the latin-1 greeting")
    repo.git("checkout", "-q", "-b", "side")
    repo.edit(
        "pkg/mathops.py",
        "def clamp(x, lo, hi):\n",
        "def clamp(x, lo, hi):\n    if lo > hi:\n        raise ValueError('lo > hi')\n",
    )
    repo.write(
        "pkg/mathops.py",
        (root / "pkg/mathops.py").read_text() + "\n\ndef twice(x):\n    return 2 * x\n",
    )
    shas["side"] = repo.commit("Validate the bounds of clamp and add twice")
    repo.git("checkout", "-q", "main")
    repo.edit("pkg/mathops.py", "import math\n", "import math\nimport os\n")
    shas["imports"] = repo.commit("Import os for later use")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch side", "side")
    return shas
