"""`codelewm score` / `codelewm rerank` end to end on a tiny real checkpoint: outputs and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helper_modules import harness_helpers
from typer.testing import CliRunner

from codelewm.cli.app import app
from codelewm.scoring import load as load_module

h = harness_helpers()
runner = CliRunner()


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = h.build_tiny_checkpoint(tmp_path_factory.mktemp("cli-ckpt") / "tiny")
    return path


@pytest.fixture
def example(tmp_path: Path) -> Path:
    (tmp_path / "stats.py").write_text(h.BEFORE)
    (tmp_path / "instruction.txt").write_text(h.INSTRUCTION + "\n")
    (tmp_path / "empty").mkdir()
    cands = tmp_path / "cands"
    cands.mkdir()
    (cands / "good.patch").write_text(h.GOOD_PATCH)
    (cands / "wrong.py").write_text(h.WRONG)
    (cands / "noop.py").write_text(h.BEFORE)
    (cands / "other.diff").write_text(h.GOOD_PATCH.replace("stats.py", "other.py"))
    (cands / "escape.patch").write_text(h.GOOD_PATCH.replace("a/stats.py", "/etc/passwd"))
    (cands / "junk.diff").write_text("--- a/stats.py\n+++ b/stats.py\nthis is not a hunk\n")
    return tmp_path


def _rerank(example: Path, ckpt: Path, *extra: str) -> list[str]:
    return [
        "rerank",
        "--before",
        str(example / "stats.py"),
        "--instruction-file",
        str(example / "instruction.txt"),
        "--candidates",
        str(example / "cands"),
        "--checkpoint",
        str(ckpt),
        *extra,
    ]


def test_rerank_json_keeps_invalid_candidates_last(example: Path, ckpt: Path) -> None:
    result = runner.invoke(app, _rerank(example, ckpt, "--json"))
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["schema_version"] == "codelewm.rerank.v1"
    assert record["instruction"] == h.INSTRUCTION and record["executed"] is False
    ids = [r["candidate_id"] for r in record["results"]]
    assert set(ids[:3]) == {"good", "wrong", "noop"}
    errors = {r["candidate_id"]: r["error"]["error_type"] for r in record["results"][3:]}
    assert errors == {
        "escape": "PatchRefusedError",
        "junk": "MalformedPatchError",
        "other": "PatchRefusedError",
    }
    assert [r["rank"] for r in record["results"]] == [1, 2, 3, 4, 5, 6]


def test_rerank_human_output_and_html(example: Path, ckpt: Path) -> None:
    html = example / "out" / "rerank.html"
    result = runner.invoke(app, _rerank(example, ckpt, "--html", str(html), "--top", "2"))
    assert result.exit_code == 0, result.output
    assert "No code was executed" in result.stdout
    assert "Ranking" in result.stdout and "model" in result.stdout
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") or page.lower().startswith("<!doctype html>")
    assert "good" in page and "PatchRefusedError" in page


def test_top_limits_json_results(example: Path, ckpt: Path) -> None:
    result = runner.invoke(app, _rerank(example, ckpt, "--json", "--top", "2"))
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["results"]) == 2


def test_score_one_candidate(example: Path, ckpt: Path) -> None:
    args = [
        "score",
        "--before",
        str(example / "stats.py"),
        "--instruction",
        h.INSTRUCTION,
        "--candidate",
        str(example / "cands" / "good.patch"),
        "--checkpoint",
        str(ckpt),
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["schema_version"] == "codelewm.score.v1"
    assert record["candidate_id"] == "good" and record["after_code"] == h.GOOD
    assert record["energy"] > 0 and record["final_score"] == -record["energy"]
    assert "the checkpoint has no calibrator: final_score = -energy" in record["warnings"]


def test_rerank_with_tests_executes_and_says_so(example: Path, ckpt: Path) -> None:
    tests = example / "test_stats.py"
    tests.write_text("assert moving_average([1, 2, 3], 2) == [1.5, 2.5]\n")
    result = runner.invoke(app, _rerank(example, ckpt, "--json", "--tests", str(tests)))
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["executed"] is True
    first = record["results"][0]
    assert first["candidate_id"] == "good" and first["execution"]["status"] == "passed"
    assert any(w.startswith("CODE WAS EXECUTED") for w in record["warnings"])
    statuses = {r["candidate_id"]: (r["execution"] or {}).get("status") for r in record["results"]}
    assert statuses["wrong"] == "failed" and statuses["other"] is None


@pytest.mark.parametrize(
    ("args", "code", "error_type"),
    [
        (["--before", "{d}/missing.py", "--instruction", "x", "-c", "{d}/cands"], 2, "InputError"),
        (["--before", "{d}/stats.py", "-c", "{d}/cands"], 2, "InputError"),
        (
            [
                "--before",
                "{d}/stats.py",
                "--instruction",
                "x",
                "--instruction-file",
                "{d}/x",
                "-c",
                "{d}/cands",
            ],
            2,
            "InputError",
        ),
        (["--before", "{d}/stats.py", "--instruction", "x", "-c", "{d}/none"], 2, "InputError"),
        (["--before", "{d}/stats.py", "--instruction", "x", "-c", "{d}/empty"], 2, "InputError"),
        (
            [
                "--before",
                "{d}/stats.py",
                "--instruction",
                "x",
                "-c",
                "{d}/cands",
                "--tests",
                "{d}/no.py",
            ],
            2,
            "InputError",
        ),
        (
            [
                "--before",
                "{d}/stats.py",
                "--instruction",
                "x",
                "-c",
                "{d}/cands",
                "--checkpoint",
                "{d}/cands",
            ],
            5,
            "CheckpointError",
        ),
    ],
)
def test_refusals_exit_codes(example: Path, args: list[str], code: int, error_type: str) -> None:
    argv = ["rerank", *(a.format(d=example) for a in args), "--json"]
    result = runner.invoke(app, argv)
    assert result.exit_code == code, result.output
    assert json.loads(result.stdout)["error_type"] == error_type


def test_tampered_checkpoint_exits_5(example: Path, ckpt: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad-ckpt"
    shutil.copytree(ckpt, bad)
    h.tamper(bad, "model.safetensors")
    result = runner.invoke(app, _rerank(example, bad, "--json"))
    assert result.exit_code == 5
    error = json.loads(result.stdout)
    assert error["error_type"] == "CheckpointError" and "sha256_mismatch" in error["message"]


def test_no_default_model_exits_5(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load_module, "DEFAULT_MODEL_DIR", tmp_path / "absent")
    argv = ["rerank", "--before", str(example / "stats.py"), "--instruction", "x"]
    result = runner.invoke(app, [*argv, "-c", str(example / "cands"), "--json"])
    assert result.exit_code == 5
    assert "no default model is shipped" in json.loads(result.stdout)["message"]


def test_score_refuses_a_directory(example: Path, ckpt: Path) -> None:
    argv = ["score", "--before", str(example / "stats.py"), "--instruction", "x"]
    result = runner.invoke(app, [*argv, "-c", str(example / "cands"), "--json"])
    assert result.exit_code == 2
    assert "is a directory" in json.loads(result.stdout)["message"]


def test_tui_gets_the_view_model(
    example: Path, ckpt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import codelewm.views as views

    shown: list[object] = []
    monkeypatch.setattr(views, "run_tui", shown.append)
    result = runner.invoke(app, _rerank(example, ckpt, "--tui"))
    assert result.exit_code == 0, result.output
    assert len(shown) == 1
    view = shown[0]
    assert isinstance(view, views.ViewModel)
    assert view.instruction == h.INSTRUCTION and len(view.candidates) == 6
    assert view.baseline_convention == "higher_is_better"
