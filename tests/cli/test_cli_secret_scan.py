"""`codelewm secret-scan`: findings exit 2, secrets never reach stdout or stderr, --json is pure JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from codelewm.cli.app import app

runner = CliRunner()


def plant_everything(root: Path, helpers: ModuleType) -> list[str]:
    """One file per (kind, format); returns every secret fragment that must stay hidden."""
    root.mkdir()
    fragments = []
    for kind in helpers.PLANTS:
        for fmt, planter in helpers.PLANTERS.items():
            (root / f"{kind}.{fmt}").write_text(planter(kind), encoding="utf-8")
        fragments += [part for part in helpers.secret_of(kind).split("\n") if part]
    return fragments


def test_every_kind_json(tmp_path: Path, helpers: ModuleType) -> None:
    fragments = plant_everything(tmp_path / "p", helpers)
    result = runner.invoke(app, ["secret-scan", str(tmp_path / "p"), "--json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["schema_version"] == "codelewm.secret_scan.v1"
    assert (report["ok"], report["files_scanned"], report["not_scanned"]) == (
        False,
        3 * len(helpers.PLANTS),
        [],
    )
    found = sorted((Path(f["path"]).name, f["kind"]) for f in report["findings"])
    expected = sorted(
        (f"{kind}.{fmt}", kind) for kind in helpers.PLANTS for fmt in helpers.PLANTERS
    )
    assert found == expected
    for fragment in fragments:
        assert fragment not in result.stdout
        assert fragment not in result.stderr


def test_every_kind_human(tmp_path: Path, helpers: ModuleType) -> None:
    fragments = plant_everything(tmp_path / "p", helpers)
    result = runner.invoke(app, ["secret-scan", str(tmp_path / "p")], terminal_width=200)
    assert result.exit_code == 2
    n = 3 * len(helpers.PLANTS)
    assert f"{n} secret(s) found" in result.stdout
    assert result.stdout.rstrip().endswith(
        f"failed: {n} file(s) scanned, {n} finding(s), 0 not scanned"
    )
    for fragment in fragments:
        assert fragment not in result.stdout + result.stderr


def test_clean_artifact_is_ok(tmp_path: Path, helpers: ModuleType) -> None:
    art = helpers.write_artifact(tmp_path / "art", {"notes.md": "# nothing secret\n"})
    human = runner.invoke(app, ["secret-scan", str(art)])
    assert (human.exit_code, human.stderr) == (0, "")
    assert human.stdout == "ok: 3 file(s) scanned, 0 finding(s), 0 not scanned\n"
    machine = runner.invoke(app, ["secret-scan", str(art), "--json"])
    assert machine.exit_code == 0
    report = json.loads(machine.stdout)
    assert (report["ok"], report["findings"], report["files_scanned"]) == (True, [], 3)


def test_unscanned_files_are_listed_and_fail_only_when_strict(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"\x00\x01\x02")
    (tmp_path / "weird.txt").write_bytes(b"\xff\xfe bad")
    (tmp_path / "blob.json").write_bytes(b'{"a": "\x00"}')
    result = runner.invoke(app, ["secret-scan", str(tmp_path), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert [(Path(s["path"]).name, s["reason"]) for s in report["not_scanned"]] == [
        ("blob.json", "binary"),
        ("model.safetensors", "extension"),
        ("weird.txt", "not_utf8"),
    ]
    human = runner.invoke(app, ["secret-scan", str(tmp_path)], terminal_width=200)
    assert human.exit_code == 0
    assert "3 not scanned" in human.stdout and "not_utf8" in human.stdout
    every = runner.invoke(app, ["secret-scan", str(tmp_path), "--all-files", "--json"])
    assert [s["reason"] for s in json.loads(every.stdout)["not_scanned"]] == [
        "binary",
        "binary",
        "not_utf8",
    ]
    strict = runner.invoke(app, ["secret-scan", str(tmp_path), "--strict", "--json"])
    assert strict.exit_code == 2
    assert json.loads(strict.stdout)["ok"] is False


def test_missing_path_is_an_error_record(tmp_path: Path) -> None:
    result = runner.invoke(app, ["secret-scan", str(tmp_path / "nope"), "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert (error["schema_version"], error["error_type"]) == ("codelewm.error.v1", "InputError")


def test_no_paths_is_a_usage_error() -> None:
    assert runner.invoke(app, ["secret-scan"]).exit_code == 2


@pytest.mark.slow
def test_real_process_streams_never_carry_the_secret(tmp_path: Path, helpers: ModuleType) -> None:
    fragments = plant_everything(tmp_path / "p", helpers)
    for extra in ([], ["--json"]):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from codelewm.cli.app import main; main()",
                "secret-scan",
                str(tmp_path / "p"),
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 2
        for fragment in fragments:
            assert fragment not in done.stdout + done.stderr
    assert json.loads(done.stdout)["ok"] is False
