"""Training validation and the val split: only a dataset without one trains unvalidated, and says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import tiny_config

from codelewm.artifacts.manifest import load_manifest
from codelewm.data.layout import transitions_path
from codelewm.errors import ParseFailureError
from codelewm.train.loop import Progress, run_training


def _copy(dataset: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "dataset"
    shutil.copytree(dataset, copy)
    return copy


def _short(dataset: Path):  # type: ignore[no-untyped-def]
    cfg = tiny_config(dataset)
    return cfg.model_copy(update={"optim": cfg.optim.model_copy(update={"max_steps": 2})})


def test_a_corrupt_val_split_fails_training_instead_of_turning_validation_off(
    tiny_dataset: Path, tmp_path: Path
) -> None:
    dataset = _copy(tiny_dataset, tmp_path)
    val = transitions_path(dataset, "val")
    val.write_text(val.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    with pytest.raises(ParseFailureError, match=r"val\.jsonl"):
        run_training(_short(dataset), out_dir=tmp_path / "run")
    assert not (tmp_path / "run" / "last").exists()


def test_a_dataset_without_a_val_split_trains_unvalidated_and_says_so(
    tiny_dataset: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dataset = _copy(tiny_dataset, tmp_path)
    transitions_path(dataset, "val").unlink()
    reports: list[Progress] = []
    with caplog.at_level("WARNING", logger="codelewm.train"):
        result = run_training(_short(dataset), out_dir=tmp_path / "run", progress=reports.append)
    assert result.steps == 2
    assert len(result.warnings) == 1 and "no validation" in result.warnings[0]
    assert [p.message for p in reports if p.kind == "warning"] == result.warnings
    assert result.warnings[0] in caplog.text
    metadata = load_manifest(tmp_path / "run" / "last").metadata
    assert metadata["warnings"] == result.warnings
    assert metadata["val"] == {}
    assert not (tmp_path / "run" / "best").exists()  # nothing to select a best checkpoint by
