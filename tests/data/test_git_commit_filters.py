"""Commit-level filters of the git source on a real repository: sweeps, bulk commits, caps."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import Repo

from codelewm.data.sources.git import GitConfig, GitSource
from codelewm.records import TransitionRecord


def _module(n: int, body: str) -> str:
    return "".join(f"def f{i}(x):\n    return x + {body}\n\n\n" for i in range(n))


def _records(config: GitConfig) -> tuple[list[TransitionRecord], GitSource]:
    source = GitSource(config)
    return [r for unit in source.units() for r in source.iter_transitions(unit)], source


@pytest.fixture
def wide(tmp_path: Path) -> Repo:
    """Three files of 20 functions; one commit edits 3 functions in each file, one all 60."""
    repo = Repo(tmp_path / "wide")
    for k in range(3):
        repo.write(f"pkg/m{k}.py", _module(20, "1"))
    repo.commit("Initial import of three modules")
    for k in range(3):
        text = (repo.root / f"pkg/m{k}.py").read_text()
        for i in range(3):
            text = text.replace(
                f"def f{i}(x):\n    return x + 1", f"def f{i}(x):\n    return x - 1"
            )
        repo.write(f"pkg/m{k}.py", text)
    repo.commit("Subtract one in the first three functions of every module")
    for k in range(3):
        repo.write(f"pkg/m{k}.py", _module(20, "2").replace("x + 2", "x * 2"))
    repo.commit("Double instead of adding everywhere")
    repo.edit("pkg/m0.py", "def f5(x):\n    return x * 2", "def f5(x):\n    return x or 2")
    repo.commit("Apply ruff's fixes to f5")
    return repo


def test_bulk_commits_drop_whole_and_big_commits_are_sampled(wide: Repo) -> None:
    config = GitConfig(repo=wide.root, bulk_fraction=1.0, max_per_commit=4, seed=3)
    records, source = _records(config)
    assert [r.instruction for r in records] == [
        "Subtract one in the first three functions of every module"
    ] * 4
    assert source.skipped["bulk_commit"] == 60  # 60 functions across 3 files > 30
    assert source.skipped["commit_cap"] == 5  # 9 edits sampled down to 4
    assert source.skipped["sweep_message"] == 1  # "Apply ruff's fixes"
    again, _ = _records(config)
    assert again == records  # the sample is seeded by (seed, commit)
    other, _ = _records(config.model_copy(update={"seed": 4}))
    assert {(r.path, r.symbol) for r in other} != {(r.path, r.symbol) for r in records}


def test_no_cap_keeps_every_edit_and_max_commits_keeps_the_newest(wide: Repo) -> None:
    config = GitConfig(repo=wide.root, bulk_fraction=1.0, max_per_commit=None, sweep_pattern=None)
    records, _ = _records(config)
    assert len(records) == 9 + 1
    newest, source = _records(config.model_copy(update={"max_commits": 1}))
    assert [r.symbol for r in newest] == ["f5"]
    assert len(source.commits()) == 1


@pytest.mark.parametrize(
    ("message", "sweep"),
    [
        ("Run black on the code base", True),
        ("Reformat with ruff format", True),
        ("Add type hints to the parser", True),
        ("Rename foo to bar", True),
        ("[pre-commit.ci] auto fixes from pre-commit.com hooks", True),
        ("Fix mypy errors", True),
        ("Handle an empty list in the tokenizer", False),
        ("Raise ValueError when the size is negative", False),
    ],
)
def test_sweep_messages(tmp_path: Path, message: str, sweep: bool) -> None:
    repo = Repo(tmp_path / "r")
    repo.write("m.py", "def f(x):\n    return x\n")
    repo.commit("Initial import of the module")
    repo.edit("m.py", "return x", "return -x")
    repo.commit(message)
    records, source = _records(GitConfig(repo=repo.root))
    assert len(records) == (0 if sweep else 1)
    assert source.skipped["sweep_message"] == int(sweep)
