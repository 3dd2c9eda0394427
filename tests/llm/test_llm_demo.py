"""`codelewm llm-demo` and the scripts' bodies on a tiny real checkpoint: outputs, no fallback
scorer, planted keys kept out of every file, and the paper-demo determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from llm_fake_server import FakeServer, chat
from llm_keys import PLANTED_LOCAL_KEY, PLANTED_OPENROUTER_KEY
from typer.testing import CliRunner

from codelewm.artifacts.secrets import scan_paths
from codelewm.artifacts.verify import verify_artifact
from codelewm.cli import llm_scripts
from codelewm.cli.app import app
from codelewm.scoring import load as load_module

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
KEY_ENV = "CODELEWM_TEST_LLM_KEY"
GOOD = (
    "```diff\n--- a/stats.py\n+++ b/stats.py\n@@ -11,1 +11,1 @@\n"
    "-    for start in range(len(values) - window):\n"
    "+    for start in range(len(values) - window + 1):\n```\n"
)


def _texts(root: Path) -> str:
    return "\n".join(p.read_text("utf-8") for p in sorted(root.rglob("*")) if p.is_file())


def test_dry_run_demo_writes_pack_report_views(tiny_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    result = runner.invoke(
        app,
        [
            "llm-demo",
            "--dry-run",
            "--checkpoint",
            str(tiny_checkpoint),
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["schema_version"] == "codelewm.llm_demo_report.v1"
    assert report["mode"] == "dry-run"
    ids = ["c01-good", "c02-subtly-wrong", "c03-malformed-diff", "c04-off-target", "c05-empty"]
    assert report["orders"]["llm"] == ids
    assert sorted(report["orders"]["model"]) == sorted(ids)
    assert report["orders"]["model"][2:] == ids[2:]  # unrankable ones last, in LLM order
    assert report["top_candidate_id"] in ids[:2]
    assert {"lexical", "bm25", "no-action"} <= set(report["orders"])
    rows = {r["candidate_id"]: r for r in report["rows"]}
    assert rows["c05-empty"]["status"] == "EmptyCompletionError"
    assert rows["c04-off-target"]["apply_status"] == "off_target"
    assert (
        rows["c01-good"]["final_score"] is not None
        and rows["c03-malformed-diff"]["final_score"] is None
    )
    demo = out / "demo"
    assert sorted(p.name for p in demo.iterdir()) == [
        "config.json",
        "demo.html",
        "manifest.json",
        "report.json",
        "rerank.json",
        "view_model.json",
        "walkthrough.txt",
    ]
    html = (demo / "demo.html").read_text()
    assert "c03-malformed-diff" in html and "fixture-moving-average-v1" in html
    view = json.loads((demo / "view_model.json").read_text())
    assert [o["name"] for o in view["orders"]][-1] == "llm"
    assert "Ranking" in (demo / "walkthrough.txt").read_text()
    rerank = json.loads((demo / "rerank.json").read_text())
    assert rerank["checkpoint_id"] == report["checkpoint_id"]
    assert verify_artifact(out / "pack").ok and verify_artifact(demo).ok
    manifest = json.loads((demo / "manifest.json").read_text())
    assert manifest["metadata"]["pack_artifact_id"] == report["pack_artifact_id"]
    assert (
        json.loads((out / "pack" / "manifest.json").read_text())["artifact_id"]
        == report["pack_artifact_id"]
    )


def test_terminal_walkthrough(tiny_checkpoint: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "llm-demo",
            "--dry-run",
            "--checkpoint",
            str(tiny_checkpoint),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 0, result.output
    for step in ("1. task", "2. candidates", "3. rerank", "4. artifacts", "model's pick"):
        assert step in result.output


def test_no_default_model_fails_before_any_llm_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(load_module, "DEFAULT_MODEL_DIR", tmp_path / "no-model")
    monkeypatch.setenv(KEY_ENV, PLANTED_LOCAL_KEY)
    with FakeServer([chat(GOOD)]) as server:
        result = runner.invoke(
            app,
            [
                "llm-demo",
                "--live",
                "--base-url",
                server.base_url,
                "--api-key-env",
                KEY_ENV,
                "--out",
                str(tmp_path / "o"),
                "--json",
            ],
        )
    assert result.exit_code == 5
    assert json.loads(result.stdout)["error_type"] == "CheckpointError"
    assert server.seen == []  # nothing was asked of the LLM, nothing was scored by anything else
    assert not (tmp_path / "o").exists()


def test_live_demo_with_a_planted_key(
    tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(KEY_ENV, PLANTED_LOCAL_KEY)
    leak = GOOD.replace("```diff\n", f"```diff\n# key {PLANTED_OPENROUTER_KEY}\n")
    added = GOOD.replace(
        "+    for start in range(len(values) - window + 1):\n",
        f'+    for start in range(len(values) - window + 1):  # "{PLANTED_LOCAL_KEY}"\n',
    )
    args = [
        "llm-demo",
        "--live",
        "--api-key-env",
        KEY_ENV,
        "--checkpoint",
        str(tiny_checkpoint),
        "--n",
        "3",
        "--model",
        "fake/model-1",
    ]
    with FakeServer([chat(GOOD, leak, added)]) as server:
        refused = runner.invoke(
            app, [*args, "--base-url", server.base_url, "--out", str(tmp_path / "r")]
        )
        forced = runner.invoke(
            app, [*args, "--base-url", server.base_url, "--out", str(tmp_path / "f"), "--force"]
        )
    assert refused.exit_code == 2 and "SecretFoundError" in refused.output
    assert not (tmp_path / "r" / "demo").exists()
    assert forced.exit_code == 0, forced.output
    text = _texts(tmp_path / "f") + refused.output + forced.output
    assert PLANTED_OPENROUTER_KEY not in text and PLANTED_LOCAL_KEY not in text
    assert "[REDACTED:api_key:" in (tmp_path / "f" / "demo" / "demo.html").read_text()
    assert scan_paths([tmp_path / "f"]).ok
    report = json.loads((tmp_path / "f" / "demo" / "report.json").read_text())
    assert report["mode"] == "live" and report["generator"]["model"] == "fake/model-1"


def _normalised(root: Path) -> dict[str, str]:
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            text = path.read_text("utf-8")
            if path.name == "manifest.json":
                data = json.loads(text)
                data.pop("created_at")
                text = json.dumps(data, indent=2)
            files[path.relative_to(root).as_posix()] = text
    return files


def test_paper_demo_is_deterministic(tiny_checkpoint: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        result = runner.invoke(
            llm_scripts.app,
            ["paper-demo", "--out", str(tmp_path / name), "--checkpoint", str(tiny_checkpoint)],
        )
        assert result.exit_code == 0, result.output
    first, second = _normalised(tmp_path / "a"), _normalised(tmp_path / "b")
    assert sorted(first) == sorted(second)
    assert len(first) == 2 * (4 + 7)  # two policies x (pack files + demo files)
    for name in first:
        assert first[name] == second[name], f"{name} differs between runs"
    function_pack = json.loads((tmp_path / "a" / "function" / "pack" / "pack.json").read_text())
    assert function_pack["prompt"]["template_id"] == "rerank_function.v1"


@pytest.mark.slow
def test_world_model_demo_script_end_to_end(tiny_checkpoint: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CODELEWM_LLM_DRY_RUN"}
    env["CODELEWM_PYTHON"] = sys.executable
    done = subprocess.run(
        [str(ROOT / "scripts" / "llm-world-model-demo"), "--checkpoint", str(tiny_checkpoint)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "4. artifacts" in done.stdout
    assert "manifests verified, secret scan clean" in done.stderr
    assert (tmp_path / ".artifacts" / "llm-demo" / "demo" / "demo.html").is_file()


def test_tui_flag_opens_the_viewer_on_the_demo_view(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codelewm.cli import llm_demo

    shown: list[object] = []
    monkeypatch.setattr(llm_demo, "run_tui", shown.append)
    result = runner.invoke(
        app,
        [
            "llm-demo",
            "--dry-run",
            "--tui",
            "--checkpoint",
            str(tiny_checkpoint),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(shown) == 1
    from codelewm.views import ViewModel

    view = shown[0]
    assert isinstance(view, ViewModel)
    assert [o.name for o in view.orders][:1] == ["model"]
    assert [o.name for o in view.orders][-1] == "llm"
    assert (tmp_path / "o" / "demo" / "demo.html").is_file()
