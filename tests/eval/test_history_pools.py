"""Same-function pools from history (P1 on real edits), on a real git repository made here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from data.gitrepo import Repo
from typer.testing import CliRunner

from codelewm.cli.app import app
from codelewm.data.gitio import Commit
from codelewm.data.sources.git import GitConfig
from codelewm.eval.history_pools import held_out_period, history_pools, history_variants
from codelewm.eval.instruction_lexical import InstructionLexicalScorer, diff_words
from codelewm.scoring.baselines import LexicalScorer
from codelewm.scoring.protocol import Query

V0 = "def area(w, h):\n    return w * h\n\n\ndef other(x):\n    return x\n"


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """10 commits; the last 2 (20%) edit `area` twice, the file renamed in between."""
    repo = Repo(tmp_path / "proj")
    repo.write("geo.py", V0)
    repo.commit("Initial import of the geometry module")
    for i in range(7):
        repo.edit("geo.py", f"return x{'' if i == 0 else f' + {i - 1}'}", f"return x + {i}")
        repo.commit(f"Shift other by {i}")
    repo.edit("geo.py", "return w * h", "if w < 0:\n        raise ValueError(w)\n    return w * h")
    repo.commit("Raise ValueError on a negative width")
    repo.git("mv", "geo.py", "shapes.py")
    repo.edit("shapes.py", "return w * h", "return abs(w * h)")
    repo.commit("Return the absolute area")
    return repo.root


def test_period_is_the_last_fifth_by_author_time() -> None:
    commits = [Commit(f"{i}", ("p",), f"2024-01-0{9 - i}T00:00:00+00:00", "m") for i in range(5)]
    merge = Commit("m", ("a", "b"), "2024-02-01T00:00:00+00:00", "Merge")
    assert [c.sha for c in held_out_period([*commits, merge], 0.2)] == ["0"]
    assert [c.sha for c in held_out_period(commits, 0.5)] == ["0", "1", "2"]
    assert held_out_period([], 0.2) == []


def test_queries_rank_a_functions_versions_across_a_rename(history: Path) -> None:
    pools = history_pools(GitConfig(repo=history))
    assert (pools.repo, pools.period_commits, pools.edits, pools.functions) == ("proj", 2, 2, 1)
    v0 = "def area(w, h):\n    return w * h\n"
    v1 = "def area(w, h):\n    if w < 0:\n        raise ValueError(w)\n    return w * h\n"
    v2 = "def area(w, h):\n    if w < 0:\n        raise ValueError(w)\n    return abs(w * h)\n"
    assert [(i.query.before, i.query.instruction, i.target) for i in pools.items] == [
        (v0, "Raise ValueError on a negative width", 1),
        (v1, "Return the absolute area", 2),
    ]
    assert {i.query.candidates for i in pools.items} == {(v0, v1, v2)}
    assert pools.items[0].query.query_id.startswith("proj:geo.py:area@")
    assert history_pools(GitConfig(repo=history), fraction=0.1).items == []  # 1 edit: K = 2


def test_instruction_lexical_reads_the_message_against_the_diff() -> None:
    before = "def f(x):\n    return x\n"
    raise_it = "def f(x):\n    if x is None:\n        raise ValueError(x)\n    return x\n"
    negate = "def f(x):\n    return -x\n"
    assert diff_words(before, raise_it) == {"if", "is", "none", "raise", "value", "error", "x"}
    query = Query(before, "Raise ValueError on None", (before, raise_it, negate))
    (scores,) = InstructionLexicalScorer().score_queries([query])
    assert scores.energies == (-0.0, -4 / 8, -0.0)  # {raise, value, error, none} of 8 words
    (tied,) = InstructionLexicalScorer().score_queries([Query(before, None, (before, negate))])
    assert tied.energies == (0.0, 0.0)
    names = [v.name for v in history_variants(LexicalScorer())]
    assert names[-1] == "instruction-lexical" and names[0] == "lexical"


def test_cli_reports_per_repository_and_the_control_lifts(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    command = ["eval", "action-use", "--source", "git", "--repo", str(history)]
    command += ["--scorer", "bm25", "--out", str(out), "--json"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["n_items"] == 2
    assert payload["group_by"] == "repository"
    assert set(payload["by_group"]["bm25"]) == {"proj"}
    assert set(payload["control_lifts"]) == {"bm25 (null action)", "shuffled-action(bm25)"}
    assert set(payload["control_lifts_by_group"]["bm25 (null action)"]) == {"proj"}
    assert "instruction-lexical" in [r["name"] for r in payload["results"]]
    assert "minus each control" in (out / "report.md").read_text()
    assert json.loads((out / "config.json").read_text())["repo"] == [str(history)]


def test_cli_refuses_git_without_repositories(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["eval", "action-use", "--source", "git", "--scorer", "bm25", "--out", str(tmp_path / "r")],
    )
    assert result.exit_code == 2
    assert "--data is required" in result.output
