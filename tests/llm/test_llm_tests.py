"""`codelewm llm tests` (CodeT): dry-run fixtures offline, live through the fake endpoint, an artifact
with checksums that round-trips, refuses to be overwritten and refuses to load when tampered with."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from llm_fake_server import FakeServer, chat
from llm_keys import PLANTED_LOCAL_KEY, PLANTED_OPENROUTER_KEY
from typer.testing import CliRunner

from codelewm.cli.app import app
from codelewm.errors import ArtifactError
from codelewm.eval.generated_io import load_generated_tests
from codelewm.records import RerankPool

runner = CliRunner()
KEY_ENV = "CODELEWM_TEST_LLM_KEY"
FIXTURE_TESTS = [
    "assert moving_average([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]",
    "assert moving_average([1.0, 2.0, 3.0], 3) == [2.0]",
    "assert moving_average([5, 5, 5], 1) == [5.0, 5.0, 5.0]",
    "assert moving_average([], 2) == []",
    "assert moving_average([2, 4], 2) == [3.0]",
    "assert moving_average([1, 2, 3, 4], 2) == [1.5, 2.5]",
    "assert moving_average([1, 2, 3], 1) == [1.0, 2.0, 3.0]",
    "assert moving_average([0, 0], 1) == [0.0, 0.0]",
]


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Planted keys in the environment; any socket use fails the test."""
    monkeypatch.setenv("OPENROUTER_API_KEY", PLANTED_OPENROUTER_KEY)
    monkeypatch.delenv("CODELEWM_LLM_DRY_RUN", raising=False)

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("dry-run opened a socket")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.chdir(tmp_path)


def test_dry_run_writes_the_fixture_tests_with_checksums(offline: None, tmp_path: Path) -> None:
    out = tmp_path / "tests"
    result = runner.invoke(app, ["llm", "tests", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert [t["source"] for t in printed[0]["tests"]] == FIXTURE_TESTS
    assert printed[0]["discarded"] == {
        "duplicate": 1,
        "non_literal_argument": 1,
        "not_an_assert": 1,
        "syntax_error": 1,
        "wrong_entry_point": 2,
    }
    assert printed[0]["generator"] == "fixture:fixture/moving-average-tests-v1"
    assert {p.name for p in out.iterdir()} == {
        "config.json",
        "manifest.json",
        "tests.jsonl",
        "generation.jsonl",
        "tasks.jsonl",
    }
    generation = json.loads((out / "generation.jsonl").read_text())
    assert generation["schema_version"] == "codelewm.llm_generated_tests.v1"
    assert generation["prompt"]["template_id"] == "generate_tests.v1"
    assert [len(c["kept"]) for c in generation["completions"]] == [4, 1, 2, 1, 0]
    assert generation["completions"][4]["finish_reason"] == "length"
    loaded = load_generated_tests(out)
    assert list(loaded) == ["fixture-moving-average-v1"]
    assert loaded["fixture-moving-average-v1"].model_dump(mode="json") == printed[0]
    assert PLANTED_OPENROUTER_KEY not in "".join(p.read_text() for p in out.iterdir())


def test_a_finished_artifact_is_not_overwritten_unless_asked(offline: None, tmp_path: Path) -> None:
    out = tmp_path / "tests"
    assert runner.invoke(app, ["llm", "tests", "--out", str(out)]).exit_code == 0
    before = (out / "manifest.json").read_text()
    again = runner.invoke(app, ["llm", "tests", "--out", str(out), "--n", "1", "--json"])
    assert again.exit_code == 2
    assert json.loads(again.stdout)["error_type"] == "ArtifactError"
    assert (out / "manifest.json").read_text() == before
    forced = runner.invoke(app, ["llm", "tests", "--out", str(out), "--n", "1", "--overwrite"])
    assert forced.exit_code == 0, forced.output
    assert len(load_generated_tests(out)["fixture-moving-average-v1"].tests) == 4


def test_a_tampered_artifact_is_refused(offline: None, tmp_path: Path) -> None:
    out = tmp_path / "tests"
    assert runner.invoke(app, ["llm", "tests", "--out", str(out)]).exit_code == 0
    path = out / "tests.jsonl"
    record = json.loads(path.read_text())
    record["tests"][0]["source"] = "assert moving_average(__import__('os').getpid(), 1) == []"
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(ArtifactError, match="fail verification"):
        load_generated_tests(out)  # the manifest's sha256 no longer matches
    with pytest.raises(ArtifactError, match="does not match its sha256"):
        load_generated_tests(path)  # the file alone: the test's own checksum
    record["tests"][0]["sha256"] = (
        __import__("hashlib").sha256(record["tests"][0]["source"].encode()).hexdigest()
    )
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(ArtifactError, match="is not an `assert moving_average"):
        load_generated_tests(path)  # checksums fixed up: the assert itself is refused


def test_dry_run_has_fixtures_for_the_fixture_task_only(offline: None, tmp_path: Path) -> None:
    before = tmp_path / "mod.py"
    before.write_text("def f(x):\n    return x\n")
    args = ["llm", "tests", "--before", str(before), "--instruction", "Return 2x."]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "t")])
    assert result.exit_code == 2 and "fixture task only" in result.output


def test_live_tests_for_every_pool_against_the_fake_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CODELEWM_LLM_DRY_RUN", "0")
    monkeypatch.setenv(KEY_ENV, PLANTED_LOCAL_KEY)
    monkeypatch.chdir(tmp_path)
    pools = tmp_path / "pools.jsonl"
    pool = RerankPool(
        pool_id="mbpp/7",
        before="def double(x):\n    pass\n",
        instruction="Double x.",
        candidates=[],
    )
    pools.write_text(pool.model_dump_json() + "\n")
    answer = "```python\nassert double(2) == 4\nassert double(0) == 0\nassert triple(1) == 3\n```"
    with FakeServer([chat(answer)]) as server:
        result = runner.invoke(
            app,
            [
                "llm",
                "tests",
                "--pools",
                str(pools),
                "--base-url",
                server.base_url,
                "--api-key-env",
                KEY_ENV,
                "--n",
                "1",
                "--out",
                str(tmp_path / "t"),
                "--json",
            ],
        )
    assert result.exit_code == 0, result.output
    assert server.seen[0].headers["Authorization"] == f"Bearer {PLANTED_LOCAL_KEY}"
    prompt = server.seen[0].body["messages"][1]["content"]
    assert "assert double(<literal arguments>) == <literal expected value>" in prompt
    loaded = load_generated_tests(tmp_path / "t")["mbpp/7"]
    assert [t.source for t in loaded.tests] == ["assert double(2) == 4", "assert double(0) == 0"]
    assert loaded.discarded == {"wrong_entry_point": 1}
    assert loaded.generator == "openai-compatible:anthropic/claude-haiku-4.5"
    files = "".join(p.read_text() for p in (tmp_path / "t").iterdir())
    assert PLANTED_LOCAL_KEY not in files and PLANTED_LOCAL_KEY not in result.output
    assert KEY_ENV in os.environ  # read, not removed


def test_a_credential_in_an_answer_is_redacted_and_refused_without_force(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CODELEWM_LLM_DRY_RUN", "0")
    monkeypatch.setenv(KEY_ENV, PLANTED_LOCAL_KEY)
    monkeypatch.chdir(tmp_path)
    answer = f"```python\nassert moving_average([1], 1) == [1.0]\nassert moving_average('{PLANTED_OPENROUTER_KEY}', 1) == []\n```"
    args = ["llm", "tests", "--base-url", "", "--api-key-env", KEY_ENV, "--n", "1"]
    with FakeServer([chat(answer)]) as server:
        args[3] = server.base_url
        refused = runner.invoke(app, [*args, "--out", str(tmp_path / "t"), "--json"])
        forced = runner.invoke(app, [*args, "--out", str(tmp_path / "f"), "--force"])
    assert refused.exit_code == 2 and json.loads(refused.stdout)["error_type"] == "SecretFoundError"
    assert not (tmp_path / "t").exists()
    assert forced.exit_code == 0, forced.output
    tests = load_generated_tests(tmp_path / "f")["fixture-moving-average-v1"].tests
    assert tests[0].source == "assert moving_average([1], 1) == [1.0]"
    assert "[REDACTED:" in tests[1].source  # still a literal, the key is gone
    files = "".join(p.read_text() for p in (tmp_path / "f").iterdir())
    assert PLANTED_OPENROUTER_KEY not in files and PLANTED_OPENROUTER_KEY not in forced.output
