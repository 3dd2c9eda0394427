"""`codelewm serve` as a real process: loads the model once, answers over HTTP, refuses bad checkpoints."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from typer.testing import CliRunner

from codelewm.cli.app import app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(checkpoint: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`codelewm serve` on a free port; retried when another process takes the port first."""
    for _ in range(3):
        port = _free_port()
        argv = [sys.executable, "-c", "from codelewm.cli.app import main; main()", "serve"]
        argv += ["--port", str(port), "--checkpoint", str(checkpoint), "--threads", "1"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return proc, url
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        output = proc.stdout.read().decode() if proc.poll() is not None and proc.stdout else ""
        proc.kill()
        proc.wait(timeout=30)
        if "address already in use" not in output.lower():
            raise AssertionError(f"codelewm serve did not start: {output[-2000:]}")
    raise AssertionError("no free port after 3 tries")


@pytest.mark.slow
def test_serve_process_answers_rerank(checkpoint: Path, helpers: ModuleType) -> None:
    proc, url = _start(checkpoint)
    try:
        body = {"before": helpers.BEFORE, "instruction": helpers.INSTRUCTION}
        body["candidates"] = [helpers.GOOD, helpers.WRONG, helpers.GOOD_PATCH]
        response = httpx.post(f"{url}/v1/rerank", json=body, timeout=60)
        assert response.status_code == 200, response.text
        assert [r["rank"] for r in response.json()["results"]] == [1, 2, 3]
        assert httpx.get(f"{url}/v1/model").json()["details"]["device"] == "cpu"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_refuses_a_bad_checkpoint_before_listening(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--checkpoint", str(tmp_path)])
    assert result.exit_code == 5
    assert "CheckpointError" in result.output
    result = CliRunner().invoke(app, ["serve", "--checkpoint", str(tmp_path / "none")])
    assert result.exit_code == 5
