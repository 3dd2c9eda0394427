from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from codelewm.cli.app import app


def test_build_pack_verify_and_stats(history: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, _ = history
    runner = CliRunner()
    out, pack = tmp_path / "ds", tmp_path / "pack"
    built = runner.invoke(
        app,
        ["dataset", "build", "--source", "git", "--repo", str(repo), "--out", str(out), "--json"],
    )
    assert built.exit_code == 0, built.output
    assert sum(json.loads(built.stdout)["transitions"].values()) == 4
    again = runner.invoke(
        app, ["dataset", "build", "--source", "git", "--repo", str(repo), "--out", str(out)]
    )
    assert again.exit_code == 2  # exists; --overwrite is needed
    packed = runner.invoke(app, ["dataset", "pack", str(out), "--out", str(pack), "--json"])
    assert packed.exit_code == 0, packed.output
    verified = runner.invoke(app, ["manifest", "verify", str(pack), "--parent", str(out)])
    assert verified.exit_code == 0, verified.output
    stats = runner.invoke(app, ["dataset", "stats", str(out), "--json"])
    assert json.loads(stats.stdout)["filter_report"]["totals"]["merge_commit"] == 1


def test_flags_that_do_not_fit_the_source_are_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "dataset",
            "build",
            "--source",
            "git",
            "--code",
            ".",
            "--out",
            str(tmp_path / "x"),
            "--json",
        ],
    )
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error_type"] == "ConfigError"


def test_license_flag_overrides_the_repository(
    history: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, _ = history
    out = tmp_path / "ds"
    args = ["dataset", "build", "--source", "git", "--repo", str(repo), "--license", "Apache-2.0"]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    licenses = {
        json.loads(line)["license"]
        for path in (out / "transitions").glob("*.jsonl")
        for line in path.read_text().splitlines()
    }
    assert licenses == {"Apache-2.0"}


def test_a_single_repository_warns_that_nothing_was_held_out(
    history: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, _ = history
    args = [
        "dataset",
        "build",
        "--source",
        "git",
        "--repo",
        str(repo),
        "--out",
        str(tmp_path / "d"),
    ]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    warnings = stats.get("warnings") or stats["stats"]["warnings"]
    assert any("ONE group" in w and "nothing was held out" in w for w in warnings)
    shown = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "e")])
    assert "nothing was held out" in shown.output.replace("\n", " ")
