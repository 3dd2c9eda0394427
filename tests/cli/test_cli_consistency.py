"""The commands behave alike: exit codes, usage errors under --json, markup in messages, SIGINT,
indented code, files a directory cannot rank, --html destinations."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from helper_modules import harness_helpers
from typer.testing import CliRunner

from codelewm.cli._common import JsonOpt, handle_errors
from codelewm.cli.app import app

h = harness_helpers()
runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = h.build_tiny_checkpoint(tmp_path_factory.mktemp("cli-ckpt") / "tiny")
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real console entry point (main), as a user runs it."""
    return subprocess.run(
        [sys.executable, "-c", "from codelewm.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )


def _score(before: Path, candidate: Path, ckpt: Path, *extra: str) -> list[str]:
    return [
        "score",
        "--before",
        str(before),
        "--instruction",
        h.INSTRUCTION,
        "--candidate",
        str(candidate),
        "--checkpoint",
        str(ckpt),
        *extra,
    ]


def test_score_exits_4_when_its_candidate_does_not_parse(tmp_path: Path, ckpt: Path) -> None:
    (tmp_path / "stats.py").write_text(h.BEFORE)
    (tmp_path / "broken.py").write_text("def mean(:\n")
    result = runner.invoke(
        app, _score(tmp_path / "stats.py", tmp_path / "broken.py", ckpt, "--json")
    )
    assert result.exit_code == 4, result.output
    record = json.loads(result.stdout)
    assert record["error"]["error_type"] == "ParseFailureError"
    shown = runner.invoke(app, _score(tmp_path / "stats.py", tmp_path / "broken.py", ckpt))
    assert shown.exit_code == 4
    assert "codelewm score" in shown.stdout  # the view is titled score


def test_score_marks_consensus_na(tmp_path: Path, ckpt: Path) -> None:
    (tmp_path / "stats.py").write_text(h.BEFORE)
    (tmp_path / "wrong.py").write_text(h.WRONG)
    result = runner.invoke(
        app, _score(tmp_path / "stats.py", tmp_path / "wrong.py", ckpt, "--json")
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["consensus"] is None
    assert "consensus" not in record["baseline_scores"]


@pytest.mark.parametrize(
    "args",
    [["rerank", "--bogus-option"], ["rerank"], ["score", "--top", "x"], ["no-such-command"]],
)
def test_usage_errors_under_json_are_error_objects(args: list[str]) -> None:
    done = _cli(*args, "--json")
    assert done.returncode == 2, done.stderr
    record = json.loads(done.stdout)
    assert record["schema_version"] == "codelewm.error.v1"
    assert record["error_type"] == "InputError" and record["message"].startswith("usage: ")


def test_usage_errors_without_json_keep_clicks_message() -> None:
    done = _cli("rerank", "--bogus-option")
    assert done.returncode == 2
    assert done.stdout == "" and "--bogus-option" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["rerank", "--before", "{d}/x[/red]y.py", "--instruction", "x", "--candidates", "{d}"],
        ["secret-scan", "{d}/x[/red]y.py"],
        ["manifest", "verify", "{d}/x[/red]y"],
    ],
)
def test_markup_in_a_path_never_crashes_the_error_printer(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "x[").mkdir()
    done = _cli(*(a.format(d=tmp_path) for a in args))
    assert done.returncode == 2, done.stderr
    assert "MarkupError" not in done.stderr and "Traceback" not in done.stderr
    assert "x[/red]y" in done.stderr


def test_sigint_under_json_is_an_error_object() -> None:
    demo = typer.Typer()

    @demo.command()
    @handle_errors
    def run(json_output: JsonOpt = False) -> None:
        raise KeyboardInterrupt

    result = runner.invoke(demo, ["--json"])
    assert result.exit_code == 130
    record = json.loads(result.stdout)
    assert record["error_type"] == "InterruptedByUser" and record["exit_code"] == 130


def test_a_method_cut_from_its_class_is_dedented_and_scored(tmp_path: Path, ckpt: Path) -> None:
    indent = "    "
    before = "".join(indent + line if line.strip() else line for line in h.BEFORE.splitlines(True))
    wrong = "".join(indent + line if line.strip() else line for line in h.WRONG.splitlines(True))
    (tmp_path / "before.py").write_text(before)
    cands = tmp_path / "cands"
    cands.mkdir()
    (cands / "wrong.py").write_text(wrong)
    (cands / "noop.py").write_text(before)
    result = runner.invoke(
        app,
        [
            "rerank",
            "--before",
            str(tmp_path / "before.py"),
            "--instruction",
            h.INSTRUCTION,
            "--candidates",
            str(cands),
            "--checkpoint",
            str(ckpt),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["dedented_columns"] == 4
    assert any(w.startswith("dedented:") for w in record["warnings"])
    assert all(r["error"] is None and r["final_score"] is not None for r in record["results"])
    by_id = {r["candidate_id"]: r for r in record["results"]}
    assert by_id["wrong"]["after_code"] == h.WRONG
    assert "dedented by 4 columns before scoring" in by_id["wrong"]["warnings"]


def test_unsupported_files_in_a_directory_are_listed(tmp_path: Path, ckpt: Path) -> None:
    (tmp_path / "stats.py").write_text(h.BEFORE)
    cands = tmp_path / "cands"
    cands.mkdir()
    (cands / "wrong.py").write_text(h.WRONG)
    (cands / "llm_output.txt").write_text(h.WRONG)
    (cands / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    args = ["rerank", "--before", str(tmp_path / "stats.py"), "--instruction", h.INSTRUCTION]
    args += ["--candidates", str(cands), "--checkpoint", str(ckpt)]
    record = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    skipped = [w for w in record["warnings"] if w.startswith("skipped 2 file(s)")]
    assert skipped and "llm_output.txt" in skipped[0] and "plot.png" in skipped[0]
    shown = runner.invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert "llm_output.txt" in shown.stdout.replace("\n", "")
    (cands / "wrong.py").unlink()
    only_txt = runner.invoke(app, [*args, "--json"])
    assert only_txt.exit_code == 2
    assert "llm_output.txt" in json.loads(only_txt.stdout)["message"]


def test_html_to_a_directory_exits_2_before_scoring(tmp_path: Path, ckpt: Path) -> None:
    (tmp_path / "stats.py").write_text(h.BEFORE)
    (tmp_path / "wrong.py").write_text(h.WRONG)
    result = runner.invoke(
        app, _score(tmp_path / "stats.py", tmp_path / "wrong.py", ckpt, "--html", str(tmp_path))
    )
    assert result.exit_code == 2
    assert "is a directory" in result.output


DOUBLE = 'def double(x):\n    """Twice x.\n\n    >>> double(3)\n    6\n    """\n    return x\n'


def test_execute_examples_runs_the_docstrings_examples(tmp_path: Path, ckpt: Path) -> None:
    (tmp_path / "before.py").write_text(DOUBLE)
    cands = tmp_path / "cands"
    cands.mkdir()
    (cands / "right.py").write_text(DOUBLE.replace("return x", "return 2 * x"))
    (cands / "wrong.py").write_text(DOUBLE.replace("return x", "return x + 2"))
    args = ["rerank", "--before", str(tmp_path / "before.py"), "--instruction", "double it"]
    args += ["--candidates", str(cands), "--checkpoint", str(ckpt), "--json"]
    static = json.loads(runner.invoke(app, args).stdout)
    assert static["executed"] is False and all(r["execution"] is None for r in static["results"])
    result = runner.invoke(app, [*args, "--execute", "examples"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["executed"] is True
    assert [r["candidate_id"] for r in record["results"]] == ["right", "wrong"]
    first = record["results"][0]["execution"]
    assert first["checks"] == "examples" and first["passed_fraction"] == 1.0
    assert record["results"][1]["execution"]["passed_fraction"] == 0.0
    assert any(w.startswith("CODE WAS EXECUTED") for w in record["warnings"])
    assert record["recommendation"]["candidate_id"] == "right"


def test_execute_tests_needs_a_tests_file(tmp_path: Path, ckpt: Path) -> None:
    (tmp_path / "before.py").write_text(DOUBLE)
    args = ["rerank", "--before", str(tmp_path / "before.py"), "--instruction", "x"]
    args += ["--candidates", str(tmp_path / "before.py"), "--checkpoint", str(ckpt), "--json"]
    for mode, needle in (("tests", "needs --tests"), ("everything", "unknown --execute")):
        result = runner.invoke(app, [*args, "--execute", mode])
        assert result.exit_code == 2 and needle in json.loads(result.stdout)["message"]


def test_execute_generated_runs_the_llm_tests_and_ranks_by_agreement(
    tmp_path: Path, ckpt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codelewm.llm.task import fixture_task

    monkeypatch.delenv("CODELEWM_LLM_DRY_RUN", raising=False)
    task = fixture_task()
    (tmp_path / "stats.py").write_text(task.before)
    cands = tmp_path / "cands"
    cands.mkdir()
    fixed = "range(len(values) - window + 1)"
    (cands / "a_noop.py").write_text(task.before)
    (cands / "b_good.py").write_text(task.before.replace("range(len(values) - window)", fixed))
    made = runner.invoke(app, ["llm", "tests", "--out", str(tmp_path / "gen")])
    assert made.exit_code == 0, made.output
    args = ["rerank", "--before", str(tmp_path / "stats.py"), "--instruction", task.instruction]
    args += ["--candidates", str(cands), "--checkpoint", str(ckpt), "--json"]
    stray = runner.invoke(app, [*args, "--generated-tests", str(tmp_path / "gen")])
    assert stray.exit_code == 2  # the file alone runs nothing
    assert "only with --execute generated" in json.loads(stray.stdout)["message"]
    result = runner.invoke(
        app, [*args, "--execute", "generated", "--generated-tests", str(tmp_path / "gen")]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["executed"] is True
    assert [r["candidate_id"] for r in record["results"]] == ["b_good", "a_noop"]
    good, noop = (r["execution"] for r in record["results"])
    assert good["checks"] == "generated tests" and good["agreement"] == 7.0
    assert good["passed_checks"] == ["t001", "t002", "t003", "t004", "t005", "t007", "t008"]
    assert noop["passed_checks"] == ["t004", "t006"] and noop["agreement"] == 2.0
    assert any(w.startswith("CODE WAS EXECUTED") for w in record["warnings"])
    assert record["recommendation"]["candidate_id"] == "b_good"


def test_execute_generated_needs_the_generated_tests(tmp_path: Path, ckpt: Path) -> None:
    (tmp_path / "before.py").write_text(DOUBLE)
    args = ["rerank", "--before", str(tmp_path / "before.py"), "--instruction", "x"]
    args += ["--candidates", str(tmp_path / "before.py"), "--checkpoint", str(ckpt), "--json"]
    for mode, extra in (("generated", []), ("all", ["--tests", str(tmp_path / "before.py")])):
        result = runner.invoke(app, [*args, "--execute", mode, *extra])
        assert result.exit_code == 2
        assert f"--execute {mode} needs --generated-tests" in json.loads(result.stdout)["message"]
    missing = runner.invoke(
        app, [*args, "--execute", "generated", "--generated-tests", str(tmp_path / "none")]
    )
    assert missing.exit_code == 2 and "do not exist" in json.loads(missing.stdout)["message"]


def test_quiet_never_hides_an_error(tmp_path: Path) -> None:
    done = _cli(
        "llm-demo", "--quiet", "--checkpoint", str(tmp_path / "none"), "--out", str(tmp_path / "o")
    )
    assert done.returncode == 5
    assert done.stdout == "" and "CheckpointError" in done.stderr


def test_execute_examples_with_the_shipped_model_uses_its_execution_aware_score(
    tmp_path: Path,
) -> None:
    # the shipped default model carries calibrator_execution.json: the candidates that pass the
    # example rank by examples passed, then by the execution-aware score (probe inputs included)
    (tmp_path / "before.py").write_text(DOUBLE)
    cands = tmp_path / "cands"
    cands.mkdir()
    (cands / "right.py").write_text(DOUBLE.replace("return x", "return 2 * x"))
    (cands / "also_right.py").write_text(DOUBLE.replace("return x", "return x + x"))
    (cands / "wrong.py").write_text(DOUBLE.replace("return x", "return x + 2"))
    args = ["rerank", "--before", str(tmp_path / "before.py"), "--instruction", "double it"]
    args += ["--candidates", str(cands), "--execute", "examples", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["results"][-1]["candidate_id"] == "wrong"  # fails double(3) == 6: last
    runs = [r["execution"] for r in record["results"]]
    assert all(r["execution_score"] is not None for r in runs[:2])
    assert runs[0]["probe_share"] == 1.0  # the two right ones behave alike on every probe
    assert runs[-1]["probe_share"] is None  # not in the top tier: not probed
    assert any("execution-aware score" in w for w in record["warnings"])
    assert any("probe input(s)" in w for w in record["warnings"])


def test_the_shipped_example_with_execute_examples_picks_a_correct_fix() -> None:
    # every candidate passes the before's one doctest, so only the probe inputs can tell them
    # apart: a zeroed end inside the list ((2, 0) after (1, 3)) is what the subtly wrong fix gets
    # wrong (it drops max()); the good fix and the full rewrite agree on every probe
    from shipped_example import example_rerank_args

    result = runner.invoke(app, example_rerank_args("--execute", "examples", "--json"))
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    by_id = {r["candidate_id"]: r["execution"] for r in record["results"]}
    assert by_id["02_subtly_wrong"]["probe_share"] < by_id["01_good_fix"]["probe_share"]
    assert by_id["01_good_fix"]["probe_share"] == by_id["05_full_rewrite"]["probe_share"]
    assert record["recommendation"]["candidate_id"] in {"01_good_fix", "05_full_rewrite"}
    assert "execution-aware score" in record["recommendation"]["reason"]
