"""The shipped example (examples/rerank/) behaves as its README says, on any checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helper_modules import harness_helpers
from shipped_example import EXAMPLE, example_rerank_args
from typer.testing import CliRunner

from codelewm.cli.app import app
from codelewm.errors import CheckpointError
from codelewm.scoring.load import default_model_path, load_scorer

runner = CliRunner()


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = harness_helpers().build_tiny_checkpoint(tmp_path_factory.mktemp("ex") / "tiny")
    return path


def _argv(*extra: str) -> list[str]:
    return example_rerank_args("--json", *extra)


def test_example_invalid_candidates(ckpt: Path) -> None:
    result = runner.invoke(app, _argv("--checkpoint", str(ckpt)))
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)["results"]
    assert len(results) == 6
    tail = {r["candidate_id"]: r["error"]["error_type"] for r in results[4:]}
    assert tail == {"03_malformed": "MalformedPatchError", "04_off_target": "PatchRefusedError"}
    noop = next(r for r in results if r["candidate_id"] == "06_noop")
    assert "no-op: the candidate is identical to the before" in noop["warnings"]


def test_example_tests_pass_exactly_the_two_good_fixes(ckpt: Path) -> None:
    result = runner.invoke(
        app, _argv("--checkpoint", str(ckpt), "--tests", str(EXAMPLE / "tests.py"))
    )
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)["results"]
    passed = {
        r["candidate_id"] for r in results if (r["execution"] or {}).get("status") == "passed"
    }
    assert passed == {"01_good_fix", "05_full_rewrite"}
    assert {r["candidate_id"] for r in results[:2]} == passed


def test_example_on_the_default_model() -> None:
    """Once the default model ships, README's first command works on it; until then it refuses."""
    if not (default_model_path() / "manifest.json").is_file():
        with pytest.raises(CheckpointError, match="no default model is shipped"):
            load_scorer()
        return
    record = load_scorer().rerank_files(
        before=EXAMPLE / "before.py",
        instruction=(EXAMPLE / "instruction.txt").read_text(),
        candidates=[EXAMPLE / "candidates"],
    )
    assert [r.rank for r in record.results] == [1, 2, 3, 4, 5, 6]
    assert {r.candidate_id for r in record.results[4:]} == {"03_malformed", "04_off_target"}
