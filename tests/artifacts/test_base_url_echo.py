"""`user:password@` in `--base-url` is never echoed by the LLM commands, nor as `Basic ...`.

The fake server answers 401 with a body that repeats the credentials it was sent (the URL and the
`Authorization: Basic` header httpx derives from the URL), as a careless gateway might.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from helper_modules import TESTS, load_by_path
from typer.testing import CliRunner

from codelewm.cli.app import app

fake = load_by_path("llm_fake_server", TESTS / "llm" / "llm_fake_server.py")
runner = CliRunner()
KEY_ENV = "CODELEWM_TEST_BASE_URL_KEY"
USER, PASSWORD = "deploy", "pw"  # a password shorter than any key pattern
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def _leaks(text: str) -> list[str]:
    return [s for s in (f"{USER}:{PASSWORD}", f":{PASSWORD}@", BASIC) if s in text]


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CODELEWM_LLM_DRY_RUN", "0")
    monkeypatch.setenv(KEY_ENV, "local-test-key-0123")
    monkeypatch.chdir(tmp_path)


def _files_text(root: Path) -> str:
    return "\n".join(p.read_text("utf-8") for p in sorted(root.rglob("*")) if p.is_file())


def test_refused_debug_run_does_not_echo_the_url_credentials(live: None, tmp_path: Path) -> None:
    url = f"https://{USER}:{PASSWORD}@llm.example.com/v1"
    args = ["llm", "candidates", "--live", "--base-url", url, "--api-key-env", KEY_ENV]
    for extra in ([], ["--json"]):
        result = runner.invoke(
            app, [*args, "--debug-log-bodies", "--out", str(tmp_path / "o"), *extra]
        )
        assert result.exit_code != 0
        assert "llm.example.com" in result.output
        assert _leaks(result.output) == []


def test_credentials_in_the_base_url_are_refused_unechoed(live: None, tmp_path: Path) -> None:
    """httpx would send them as a Basic header in place of the key's Bearer header: refused,
    before any request, naming the host only."""
    echo = json.dumps({"error": {"message": "denied", "authorization": f"Basic {BASIC}"}})
    with fake.FakeServer([fake.Reply(status=401, body=echo.encode())]) as server:
        url = server.base_url.replace("http://", f"http://{USER}:{PASSWORD}@")
        echoed = f"{echo} for {url}"
        server.script = [fake.Reply(status=401, body=echoed.encode())]
        result = runner.invoke(
            app,
            [
                "llm",
                "candidates",
                "--live",
                "--base-url",
                url,
                "--api-key-env",
                KEY_ENV,
                "--n",
                "1",
                "--out",
                str(tmp_path / "p"),
                "--json",
            ],
        )
    assert result.exit_code == 2, result.output
    assert "carries credentials" in result.output and "127.0.0.1" in result.output
    assert _leaks(result.output) == []
    assert server.seen == []  # nothing was sent
    out = tmp_path / "p"
    assert not out.exists() or _leaks(_files_text(out)) == []
