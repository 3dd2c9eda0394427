from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

from gitrepo import Repo

from codelewm.data.sources.git import GitConfig, GitSource, instruction_of, repo_name
from codelewm.records import TransitionRecord

EXPECTED_SKIPS = {
    "root_commit": 1,
    "short_message": 1,
    "docstring_only": 1,
    "format_only": 1,
    "sweep_message": 1,  # "Reformat the module ...": a formatting sweep by its message
    "revert_commit": 1,
    "file_added": 1,
    "non_utf8": 1,
    "function_added": 1,
    "merge_commit": 1,
}


def _run(repo: Path) -> tuple[list[TransitionRecord], Counter[str]]:
    source = GitSource(GitConfig(repo=repo))
    records = [r for unit in source.units() for r in source.iter_transitions(unit)]
    return records, source.skipped


def test_history_gives_exact_records_and_reasons(history: tuple[Path, dict[str, str]]) -> None:
    repo, shas = history
    records, skipped = _run(repo)
    assert [(r.path, r.symbol, r.instruction, r.meta["commit"]) for r in records] == [
        ("pkg/core.py", "add", "Make add take the absolute value of a", shas["add"]),
        ("pkg/core.py", "greet", "Say hi instead of hello in greet", shas["greet"]),
        (
            "pkg/mathops.py",
            "norm",
            "Move core to mathops; norm of an empty vector is zero",
            shas["rename"],
        ),
        ("pkg/mathops.py", "clamp", "Validate the bounds of clamp and add twice", shas["side"]),
    ]
    assert dict(skipped) == EXPECTED_SKIPS
    first = records[0]
    assert first.before == 'def add(a, b):\n    """Add two numbers."""\n    return a + b\n'
    assert first.after == (
        'def add(a, b):\n    """Add two numbers."""\n    if a < 0:\n        a = -a\n    return a + b\n'
    )
    assert first.context == (
        "import math\n\ndef scale(x, k): ...\ndef norm(v): ...\ndef clamp(x, lo, hi): ...\n"
        "def greet(name): ...\n"
    )
    assert (first.source, first.group, first.license, first.instruction_kind) == (
        "git",
        "proj",
        "MIT",
        "commit",
    )
    assert first.meta == {
        "repo": "proj",
        "commit": shas["add"],
        "author_date": "2024-01-01T00:00:02+00:00",
    }
    assert records[2].meta["old_path"] == "pkg/core.py"
    assert all(r.split is None and r.truncated == [] for r in records)


def test_bare_repository_gives_the_same_records(
    history: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, _ = history
    bare = tmp_path / "proj.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    assert repo_name(bare) == "proj"
    bare_records, bare_skipped = _run(bare)
    records, skipped = _run(repo)
    assert bare_records == records
    assert bare_skipped == skipped


def test_units_split_the_history_and_reproduce_it(history: tuple[Path, dict[str, str]]) -> None:
    repo, _ = history
    whole, _ = _run(repo)
    source = GitSource(GitConfig(repo=repo, commits_per_unit=4))
    units = source.units()
    assert len(units) == 4  # 14 commits
    assert [r for unit in units for r in source.iter_transitions(unit)] == whole


def test_instruction_is_the_first_paragraph_capped() -> None:
    assert (
        instruction_of("Fix the parser\nfor real\n\nDetails here.", 512)
        == "Fix the parser for real"
    )
    assert instruction_of("x" * 600, 512) == "x" * 512


def test_without_the_message_filter_the_reformat_is_a_bulk_edit(
    history: tuple[Path, dict[str, str]],
) -> None:
    repo, _ = history
    source = GitSource(GitConfig(repo=repo, sweep_pattern=None))
    records = [r for unit in source.units() for r in source.iter_transitions(unit)]
    assert len(records) == 4
    assert source.skipped["bulk_edit"] == 4  # the reformat commit touched 4 of 5 functions
    assert "sweep_message" not in source.skipped


def test_large_edits_are_skipped(history: tuple[Path, dict[str, str]]) -> None:
    repo, _ = history
    source = GitSource(GitConfig(repo=repo, max_changed_lines=1))
    records = [r for unit in source.units() for r in source.iter_transitions(unit)]
    assert records == []  # every edit changes 2 lines
    assert source.skipped["too_many_changed_lines"] == 4


def test_group_by_top_directory(history: tuple[Path, dict[str, str]]) -> None:
    repo, _ = history
    source = GitSource(GitConfig(repo=repo, group_by="top_dir"))
    records = [r for unit in source.units() for r in source.iter_transitions(unit)]
    assert {r.group for r in records} == {"proj/pkg"}
    assert {r.meta["repo"] for r in records} == {"proj"}


def test_symlinked_python_files_are_not_read(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "links")
    repo.write("real.py", "def f():\n    return 1\n")
    (repo.root / "alias.py").symlink_to("real.py")
    repo.commit("Add a module and a link to it")
    (repo.root / "alias.py").unlink()
    (repo.root / "alias.py").symlink_to("other.py")
    repo.commit("Point the alias at another module")
    records, skipped = _run(repo.root)
    assert records == []
    assert dict(skipped) == {"root_commit": 1, "not_a_regular_file": 1}
