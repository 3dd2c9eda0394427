"""`codelewm llm candidates`, `openrouter byok-register` and the env edge: dry-run reads no key and
opens no socket; live mode against the fake server works as against OpenRouter (only the URL differs)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from llm_fake_server import FakeServer, Reply, chat
from llm_keys import PLANTED_LOCAL_KEY, PLANTED_OPENROUTER_KEY
from typer.testing import CliRunner

from codelewm.cli.app import app

runner = CliRunner()
KEY_ENV = "CODELEWM_TEST_LLM_KEY"


class RecordingEnv(dict[str, str]):
    """os.environ stand-in that records every name looked up."""

    def __init__(self, base: dict[str, str]) -> None:
        super().__init__(base)
        self.reads: list[str] = []

    def __getitem__(self, key: str) -> str:
        self.reads.append(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.reads.append(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.reads.append(str(key))
        return super().__contains__(key)

    def copy(self) -> dict[str, str]:
        return dict(self)


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RecordingEnv:
    """Planted keys in the environment and in ./.env; sockets and dotenv refuse to be used."""
    env = RecordingEnv(dict(os.environ))
    env["OPENROUTER_API_KEY"] = PLANTED_OPENROUTER_KEY
    env[KEY_ENV] = PLANTED_LOCAL_KEY
    env.pop("CODELEWM_LLM_DRY_RUN", None)
    monkeypatch.setattr(os, "environ", env)

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("dry-run opened a socket")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    import dotenv

    def no_dotenv(*args: object, **kwargs: object) -> None:
        raise AssertionError("dry-run read .env")

    monkeypatch.setattr(dotenv, "dotenv_values", no_dotenv)
    (tmp_path / ".env").write_text(f"OPENROUTER_API_KEY={PLANTED_OPENROUTER_KEY}\n")
    monkeypatch.chdir(tmp_path)
    return env


def _no_key_anywhere(*texts: str) -> None:
    for text in texts:
        assert PLANTED_OPENROUTER_KEY not in text
        assert PLANTED_LOCAL_KEY not in text


def _files_text(root: Path) -> str:
    return "\n".join(p.read_text("utf-8") for p in sorted(root.rglob("*")) if p.is_file())


def test_dry_run_is_the_default_and_reads_no_key(guarded: RecordingEnv, tmp_path: Path) -> None:
    result = runner.invoke(app, ["llm", "candidates", "--out", str(tmp_path / "pack"), "--json"])
    assert result.exit_code == 0, result.output
    assert "OPENROUTER_API_KEY" not in guarded.reads
    assert KEY_ENV not in guarded.reads
    assert "CODELEWM_LLM_DRY_RUN" in guarded.reads
    pack = json.loads(result.stdout)
    assert pack["generator"]["provider"] == "fixture"
    assert pack["summary"]["rankable"] == 2
    _no_key_anywhere(result.output, _files_text(tmp_path / "pack"))


def test_dry_run_env_switch_and_flags(guarded: RecordingEnv, tmp_path: Path) -> None:
    guarded["CODELEWM_LLM_DRY_RUN"] = "1"
    args = ["llm", "candidates", "--out", str(tmp_path / "p"), "--api-key-env", KEY_ENV]
    assert runner.invoke(app, args).exit_code == 0
    assert KEY_ENV not in guarded.reads
    both = runner.invoke(app, [*args, "--live", "--dry-run", "--overwrite"])
    assert both.exit_code == 2
    assert "not both" in both.output


def test_dry_run_refuses_a_task_it_has_no_fixtures_for(
    guarded: RecordingEnv, tmp_path: Path
) -> None:
    before = tmp_path / "mod.py"
    before.write_text("def f():\n    return 1\n")
    result = runner.invoke(
        app,
        [
            "llm",
            "candidates",
            "--before",
            str(before),
            "--instruction",
            "Return 2.",
            "--out",
            str(tmp_path / "p"),
        ],
    )
    assert result.exit_code == 2
    assert "fixture task only" in result.output


def test_debug_bodies_refused_against_openrouter(guarded: RecordingEnv, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["llm", "candidates", "--live", "--debug-log-bodies", "--out", str(tmp_path / "p")]
    )
    assert result.exit_code == 2
    assert "LiveModeRefusedError" in result.output
    assert "OPENROUTER_API_KEY" not in guarded.reads


def test_byok_dry_run_reads_no_key(guarded: RecordingEnv) -> None:
    result = runner.invoke(
        app,
        [
            "openrouter",
            "byok-register",
            "--provider",
            "anthropic",
            "--key-env",
            "ANTHROPIC_API_KEY",
            "--allowed-model",
            "anthropic/claude-sonnet-4.5",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["dry_run"] is True
    assert record["endpoint"] == "https://openrouter.ai/api/v1/byok"
    assert record["request_body"]["key"] == "<value of $ANTHROPIC_API_KEY>"
    assert record["request_body"]["allowed_models"] == ["anthropic/claude-sonnet-4.5"]
    assert "ANTHROPIC_API_KEY" not in guarded.reads
    assert "OPENROUTER_MANAGEMENT_KEY" not in guarded.reads


def test_byok_refuses_a_key_value_in_place_of_a_name() -> None:
    result = runner.invoke(
        app,
        [
            "openrouter",
            "byok-register",
            "--provider",
            "anthropic",
            "--key-env",
            PLANTED_OPENROUTER_KEY,
        ],
    )
    assert result.exit_code == 2
    assert PLANTED_OPENROUTER_KEY not in result.output


# --- live mode against the fake server ------------------------------------------------------------


GOOD = (
    "--- a/stats.py\n+++ b/stats.py\n@@ -11,1 +11,1 @@\n"
    "-    for start in range(len(values) - window):\n"
    "+    for start in range(len(values) - window + 1):\n"
)


@pytest.fixture
def live_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CODELEWM_LLM_DRY_RUN", "0")
    monkeypatch.setenv(KEY_ENV, PLANTED_LOCAL_KEY)
    monkeypatch.chdir(tmp_path)


def test_live_candidates_against_the_fake_server(live_env: None, tmp_path: Path) -> None:
    with FakeServer([chat(GOOD, "no diff here")]) as server:
        result = runner.invoke(
            app,
            [
                "llm",
                "candidates",
                "--base-url",
                server.base_url,
                "--api-key-env",
                KEY_ENV,
                "--model",
                "fake/model-1",
                "--n",
                "2",
                "--seed",
                "3",
                "--out",
                str(tmp_path / "p"),
                "--json",
            ],
        )
    assert result.exit_code == 0, result.output
    assert server.seen[0].headers["Authorization"] == f"Bearer {PLANTED_LOCAL_KEY}"
    assert server.seen[0].body["model"] == "fake/model-1"
    pack = json.loads(result.stdout)
    assert pack["generator"]["provider"] == "openai-compatible"
    assert pack["generator"]["base_url"] == server.base_url
    assert [c["apply_status"] for c in pack["candidates"]] == ["applied", "not_attempted"]
    assert [c["rankable"] for c in pack["candidates"]] == [True, False]
    _no_key_anywhere(result.output, _files_text(tmp_path / "p"))


def test_live_key_from_the_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    env_file = tmp_path / "secrets.env"
    env_file.write_text(f"{KEY_ENV}={PLANTED_LOCAL_KEY}\n")
    with FakeServer([chat(GOOD)]) as server:
        result = runner.invoke(
            app,
            [
                "llm",
                "candidates",
                "--live",
                "--base-url",
                server.base_url,
                "--api-key-env",
                KEY_ENV,
                "--env-file",
                str(env_file),
                "--n",
                "1",
                "--out",
                str(tmp_path / "p"),
            ],
        )
    assert result.exit_code == 0, result.output
    assert server.seen[0].headers["Authorization"] == f"Bearer {PLANTED_LOCAL_KEY}"
    assert KEY_ENV not in os.environ  # .env is read, the environment is left alone


def test_live_without_a_key_says_which_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(
        app, ["llm", "candidates", "--live", "--api-key-env", KEY_ENV, "--out", str(tmp_path / "p")]
    )
    assert result.exit_code == 2
    assert "MissingApiKeyError" in result.output and KEY_ENV in result.output


def test_live_planted_key_refused_then_forced(live_env: None, tmp_path: Path) -> None:
    leak = f"Done. (debug: my key is {PLANTED_LOCAL_KEY}, theirs {PLANTED_OPENROUTER_KEY})"
    args = ["llm", "candidates", "--base-url", "", "--api-key-env", KEY_ENV, "--n", "2"]
    with FakeServer([chat(GOOD, leak)]) as server:
        args[3] = server.base_url
        refused = runner.invoke(app, [*args, "--out", str(tmp_path / "refused")])
        forced = runner.invoke(app, [*args, "--out", str(tmp_path / "forced"), "--force", "--json"])
    assert refused.exit_code == 2
    assert "SecretFoundError" in refused.output
    assert not (tmp_path / "refused").exists()
    assert forced.exit_code == 0, forced.output
    pack = json.loads(forced.stdout)
    assert {f["kind"] for f in pack["secret_findings"]} == {"api_key", "openrouter_key"}
    _no_key_anywhere(refused.output, forced.output, _files_text(tmp_path / "forced"))


def test_live_server_errors_exit_3_redacted(live_env: None, tmp_path: Path) -> None:
    body = json.dumps({"error": {"message": f"bad key {PLANTED_LOCAL_KEY}"}}).encode()
    with FakeServer([Reply(status=503, body=body)]) as server:
        result = runner.invoke(
            app,
            [
                "llm",
                "candidates",
                "--base-url",
                server.base_url,
                "--api-key-env",
                KEY_ENV,
                "--retries",
                "0",
                "--out",
                str(tmp_path / "p"),
                "--json",
            ],
        )
    assert result.exit_code == 3
    error = json.loads(result.stdout)
    assert error["error_type"] == "ProviderError"
    assert "[REDACTED:api_key:" in error["message"]
    _no_key_anywhere(result.output)


def test_byok_live_against_the_fake_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CODELEWM_TEST_MGMT", PLANTED_LOCAL_KEY)
    monkeypatch.setenv("CODELEWM_TEST_PROVIDER", PLANTED_OPENROUTER_KEY)
    created = {
        "data": {
            "id": "11111111-2222-3333-4444-555555555555",
            "provider": "anthropic",
            "name": "codelewm BYOK",
            "label": "sk-...AbCd",
            "allowed_models": None,
            "disabled": False,
            "is_fallback": False,
            "created_at": "2026-11-25T10:30:00Z",
            "echo": PLANTED_OPENROUTER_KEY,
        }
    }
    with FakeServer([Reply(status=201, body=json.dumps(created).encode())]) as server:
        result = runner.invoke(
            app,
            [
                "openrouter",
                "byok-register",
                "--live",
                "--provider",
                "anthropic",
                "--key-env",
                "CODELEWM_TEST_PROVIDER",
                "--management-key-env",
                "CODELEWM_TEST_MGMT",
                "--base-url",
                server.base_url,
                "--json",
            ],
        )
    assert result.exit_code == 0, result.output
    seen = server.seen[0]
    assert seen.path == "/v1/byok"
    assert seen.headers["Authorization"] == f"Bearer {PLANTED_LOCAL_KEY}"
    assert seen.body["key"] == PLANTED_OPENROUTER_KEY and seen.body["provider"] == "anthropic"
    record = json.loads(result.stdout)
    assert record["dry_run"] is False and record["status"] == 201
    assert record["credential"]["id"] == "11111111-2222-3333-4444-555555555555"
    assert "echo" not in record["credential"]
    assert record["key_fingerprint"].startswith("[REDACTED:provider_key:sha256=")
    assert record["request_body"]["key"] == "<value of $CODELEWM_TEST_PROVIDER>"
    _no_key_anywhere(result.output)


def test_openrouter_code_path_against_the_fake_server(live_env: None, tmp_path: Path) -> None:
    """The OpenRouter provider exactly as used live; only the base URL points at the fake server."""
    with FakeServer([chat(GOOD)]) as server:
        result = runner.invoke(
            app,
            [
                "llm",
                "candidates",
                "--provider",
                "openrouter",
                "--base-url",
                server.base_url,
                "--api-key-env",
                KEY_ENV,
                "--n",
                "1",
                "--out",
                str(tmp_path / "p"),
                "--json",
            ],
        )
    assert result.exit_code == 0, result.output
    headers = server.seen[0].headers
    assert headers["X-Title"] == "codelewm"
    assert headers["HTTP-Referer"].startswith("https://")
    assert headers["Authorization"] == f"Bearer {PLANTED_LOCAL_KEY}"
    assert json.loads(result.stdout)["generator"]["provider"] == "openrouter"


def test_provider_kind_follows_the_url() -> None:
    from codelewm.llm.settings import provider_kind_for

    assert provider_kind_for(None) == "openrouter"
    assert provider_kind_for("https://openrouter.ai/api/v1") == "openrouter"
    assert provider_kind_for("http://127.0.0.1:8000/v1") == "openai-compatible"
    assert provider_kind_for("https://notopenrouter.ai/v1") == "openai-compatible"


def test_bad_endpoint_settings_exit_2(live_env: None, tmp_path: Path) -> None:
    base = ["llm", "candidates", "--api-key-env", KEY_ENV, "--out", str(tmp_path / "p")]
    bad_url = runner.invoke(app, [*base, "--base-url", "ftp://example.com"])
    bad_proxy = runner.invoke(app, [*base, "--proxy", "gopher://x"])
    bad_kind = runner.invoke(app, [*base, "--provider", "acme"])
    assert [bad_url.exit_code, bad_proxy.exit_code, bad_kind.exit_code] == [2, 2, 2]
    assert "http" in bad_url.output and "proxy" in bad_proxy.output and "acme" in bad_kind.output
