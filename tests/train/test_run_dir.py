"""A rerun of `codelewm train` never silently replaces a finished run (issue 13, section 4)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codelewm.artifacts.manifest import load_manifest
from codelewm.cli.app import app
from codelewm.errors import ArtifactError, InputError
from codelewm.train.loop import TrainResult
from codelewm.train.run_dir import prepare_run_dir

ROOT = Path(__file__).resolve().parents[2]


def _steps(run: Path) -> tuple[int, int]:
    best, last = (load_manifest(run / name).metadata["step"] for name in ("best", "last"))
    return int(best), int(last)


def _config(tmp_path: Path, dataset: Path, max_steps: int) -> Path:
    text = (ROOT / "configs" / "train" / "tiny.toml").read_text()
    text = text.replace('"tests/fixtures/tiny_dataset"', json.dumps(str(dataset)))
    text = text.replace("max_steps = 20", f"max_steps = {max_steps}")
    path = tmp_path / "short.toml"
    path.write_text(text)
    return path


def test_a_rerun_over_a_finished_run_is_refused_and_overwrite_replaces_it(
    tiny_run: TrainResult, tiny_dataset: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    shutil.copytree(tiny_run.out_dir, run)
    finished = _steps(run)
    assert finished[1] == 20
    argv = ["train", "--config", str(_config(tmp_path, tiny_dataset, 5)), "--out", str(run)]
    refused = CliRunner().invoke(app, [*argv, "--json"])
    assert refused.exit_code == 2, refused.output
    error = json.loads(refused.stdout)
    assert (
        error["error_type"] == "ArtifactError"
        and "already holds a training run" in error["message"]
    )
    assert "--resume" in error["remediation"] and "--overwrite" in error["remediation"]
    assert _steps(run) == finished  # nothing was touched

    both = CliRunner().invoke(app, [*argv, "--resume", "--overwrite", "--json"])
    assert both.exit_code == 2 and "contradict" in json.loads(both.stdout)["message"]

    replaced = CliRunner().invoke(app, [*argv, "--overwrite", "--json"])
    assert replaced.exit_code == 0, replaced.output
    assert json.loads(replaced.stdout)["steps"] == 5
    assert _steps(run)[1] == 5  # the new run's last, and no best/ left over from the old run
    assert load_manifest(run / "best").metadata["step"] <= 5


def test_prepare_run_dir(tmp_path: Path) -> None:
    prepare_run_dir(tmp_path / "new", resume=False, overwrite=False)  # absent: fine
    (tmp_path / "empty").mkdir()
    prepare_run_dir(tmp_path / "empty", resume=False, overwrite=False)

    run = tmp_path / "run"
    for name in ("best", "last", "state", "tb", ".last.tmp-0123456789ab"):
        (run / name).mkdir(parents=True)
        (run / name / "file").write_text("x")
    with pytest.raises(ArtifactError, match="already holds a training run"):
        prepare_run_dir(run, resume=False, overwrite=False)
    prepare_run_dir(run, resume=True, overwrite=False)  # resume reads it: untouched
    assert (run / "state" / "file").exists()
    with pytest.raises(InputError, match="contradict"):
        prepare_run_dir(run, resume=True, overwrite=True)
    prepare_run_dir(run, resume=False, overwrite=True)
    assert list(run.iterdir()) == []


def test_overwrite_never_deletes_what_is_not_a_run(tmp_path: Path) -> None:
    (tmp_path / "best").mkdir()
    (tmp_path / "notes.md").write_text("mine")
    (tmp_path / ".git").mkdir()
    with pytest.raises(ArtifactError, match="already holds files"):
        prepare_run_dir(tmp_path, resume=False, overwrite=False)
    with pytest.raises(ArtifactError, match=r"not part of a training run: \.git, notes\.md"):
        prepare_run_dir(tmp_path, resume=False, overwrite=True)
    assert (tmp_path / "notes.md").read_text() == "mine" and (tmp_path / "best").is_dir()
    file = tmp_path / "notes.md"
    with pytest.raises(ArtifactError, match="is not a directory"):
        prepare_run_dir(file, resume=False, overwrite=True)
