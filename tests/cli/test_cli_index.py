"""`codelewm index build | query` on a tiny real checkpoint and dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helper_modules import harness_helpers
from typer.testing import CliRunner

from codelewm.cli.app import app

h = harness_helpers()
runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli-index")
    ckpt = h.build_tiny_checkpoint(root / "ckpt")
    data = h.build_tiny_dataset(root / "data")
    (root / "stats.py").write_text(h.BEFORE)
    (root / "good.patch").write_text(h.GOOD_PATCH)
    out = root / "index"
    result = runner.invoke(
        app,
        [
            "index",
            "build",
            "--checkpoint",
            str(ckpt),
            "--data",
            str(data),
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["entries"] == len(h.TRANSITIONS) and summary["dim"] == 32
    return {"root": root, "ckpt": ckpt, "data": data, "index": out}


def test_query_with_a_candidate_patch(built: dict[str, Path]) -> None:
    args = [
        "index",
        "query",
        "--index",
        str(built["index"]),
        "--before",
        str(built["root"] / "stats.py"),
    ]
    args += [
        "--instruction",
        h.INSTRUCTION,
        "--candidate",
        str(built["root"] / "good.patch"),
        "-k",
        "2",
    ]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["schema_version"] == "codelewm.index_query.v1" and record["query"] == "candidate"
    assert [hit["rank"] for hit in record["hits"]] == [1, 2]
    assert record["hits"][0]["transition_id"] == "fix-window"
    human = runner.invoke(app, args)
    assert human.exit_code == 0 and "Past edits like this one" in human.stdout
    assert "fix-window" in human.stdout


def test_predicted_query_uses_the_recorded_checkpoint(built: dict[str, Path]) -> None:
    args = [
        "index",
        "query",
        "--index",
        str(built["index"]),
        "--before",
        str(built["root"] / "stats.py"),
    ]
    result = runner.invoke(app, [*args, "--instruction", "Use an f-string.", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["query"] == "predicted" and len(record["hits"]) == 5


def _build_args(built: dict[str, Path], *extra: str) -> list[str]:
    return [
        "index",
        "build",
        "--checkpoint",
        str(built["ckpt"]),
        "--data",
        str(built["data"]),
        *extra,
    ]


def test_index_refusals(built: dict[str, Path], tmp_path: Path) -> None:
    base = ["index", "query", "--before", str(built["root"] / "stats.py"), "--instruction", "x"]
    not_index = runner.invoke(app, [*base, "--index", str(built["ckpt"]), "--json"])
    assert not_index.exit_code == 2
    other = h.build_tiny_checkpoint(tmp_path / "other", seed=3)
    wrong = runner.invoke(
        app, [*base, "--index", str(built["index"]), "--checkpoint", str(other), "--json"]
    )
    assert wrong.exit_code == 5 and "not comparable" in json.loads(wrong.stdout)["message"]
    again = runner.invoke(app, _build_args(built, "--out", str(built["index"]), "--json"))
    assert again.exit_code == 2  # exists, no --overwrite
    bad_split = runner.invoke(
        app, _build_args(built, "--out", str(tmp_path / "i"), "--split", "dev", "--json")
    )
    assert bad_split.exit_code == 2


def test_query_without_the_recorded_checkpoint(built: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    moved = tmp_path / "moved-index"
    shutil.copytree(built["index"], moved)
    ckpt_copy = tmp_path / "ckpt-copy"
    shutil.copytree(built["ckpt"], ckpt_copy)
    # the index records the original path; pointing at a copy of the same checkpoint works
    args = ["index", "query", "--index", str(moved), "--before", str(built["root"] / "stats.py")]
    ok = runner.invoke(app, [*args, "--instruction", "x", "--checkpoint", str(ckpt_copy), "--json"])
    assert ok.exit_code == 0, ok.output
