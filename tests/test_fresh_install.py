"""A real wheel in a fresh venv with no extras (plus the local torch) runs the core commands.

This is the check that would have caught `ModuleNotFoundError: httpx` on a fresh clone: the dev
install carries every extra, so only an install of the wheel alone shows what the core really needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from shipped_example import EXAMPLE, example_rerank_args

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(argv: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env |= {"COLUMNS": "80", "NO_COLOR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fresh-install")
    wheels = base / "wheels"
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        cwd=base,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("codelewm-*.whl")
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q"]
    for args in (["torch==2.13.0"], [str(wheel)]):  # torch first: the core's range keeps it
        done = _run(pip + args, cwd=base)
        assert done.returncode == 0, done.stderr[-3000:]
    return env_dir


def test_the_wheel_installs_no_extra(core_venv: Path) -> None:
    listed = _run([str(core_venv / "bin" / "python"), "-m", "pip", "list"], cwd=core_venv)
    names = {line.split()[0].lower() for line in listed.stdout.splitlines()[2:] if line.strip()}
    assert "codelewm" in names
    for optional in ("httpx", "fastapi", "matplotlib", "pyarrow", "h5py", "tensorboard", "textual"):
        assert optional not in names, f"{optional} came with the core install"


def test_version_and_help(core_venv: Path) -> None:
    cli = str(core_venv / "bin" / "codelewm")
    version = _run([cli, "--version"], cwd=core_venv)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("codelewm ")
    helped = _run([cli, "--help"], cwd=core_venv)
    assert helped.returncode == 0, helped.stderr
    for command in ("rerank", "score", "serve", "dataset", "llm"):
        assert command in helped.stdout


def test_rerank_the_shipped_example(core_venv: Path, tmp_path: Path) -> None:
    cli = str(core_venv / "bin" / "codelewm")
    args = [cli, *example_rerank_args()]
    shown = _run([*args, "--html", str(tmp_path / "rerank.html")], cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    for cid in ("01_good_fix", "02_subtly_wrong", "05_full_rewrite"):  # never cut at 80 columns
        assert cid in shown.stdout
    assert "recommended" in shown.stdout.lower()
    assert (tmp_path / "rerank.html").stat().st_size > 1000
    record = json.loads(_run([*args, "--json"], cwd=tmp_path).stdout)
    assert record["schema_version"] == "codelewm.rerank.v1"
    assert {r["candidate_id"] for r in record["results"]} == {
        p.stem for p in (EXAMPLE / "candidates").iterdir()
    }


def test_score_one_candidate(core_venv: Path, tmp_path: Path) -> None:
    done = _run(
        [
            str(core_venv / "bin" / "codelewm"),
            "score",
            "--before",
            str(EXAMPLE / "before.py"),
            "--instruction-file",
            str(EXAMPLE / "instruction.txt"),
            "--candidate",
            str(EXAMPLE / "candidates" / "05_full_rewrite.py"),
            "--json",
        ],
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["schema_version"] == "codelewm.score.v1"
    assert record["energy"] is not None


def test_an_optional_command_names_its_extra(core_venv: Path, tmp_path: Path) -> None:
    done = _run([str(core_venv / "bin" / "codelewm"), "serve"], cwd=tmp_path)
    assert done.returncode == 2
    assert "pip install 'codelewm[server]'" in done.stderr
