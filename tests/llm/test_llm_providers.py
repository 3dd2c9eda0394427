"""The live provider over real HTTP against a fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import random

import pytest
from llm_fake_server import FakeServer, Reply, chat, status
from llm_keys import PLANTED_LOCAL_KEY, PLANTED_OPENROUTER_KEY
from pydantic import SecretStr

from codelewm.llm import (
    GenerationConfig,
    LiveModeRefusedError,
    MissingApiKeyError,
    OpenAICompatibleProvider,
    ProviderAuthError,
    ProviderConfig,
    ProviderError,
    ProviderResponseError,
    RetryPolicy,
    build_prompt,
    fixture_task,
)
from codelewm.llm.providers import Generation


def _provider(
    server: FakeServer, key: SecretStr, sleeps: list[float], **extra: object
) -> OpenAICompatibleProvider:
    config = ProviderConfig(
        kind="openai-compatible", base_url=server.base_url, api_key=key, **extra
    )
    return OpenAICompatibleProvider(config, sleep=sleeps.append, rng=random.Random(7))


def _config(**extra: object) -> GenerationConfig:
    retry = RetryPolicy(max_retries=2, base_s=0.5, cap_s=4.0, jitter=0.0)
    settings: dict[str, object] = {
        "model": "fake/model-1",
        "n": 3,
        "timeout_s": 20.0,  # generous: the machine may be busy
        "retry": retry,
    }
    return GenerationConfig.model_validate(settings | extra)


def _generate(provider: OpenAICompatibleProvider, config: GenerationConfig) -> Generation:
    task = fixture_task()
    prompt = build_prompt(task, policy="diff", context_tokens=6000, scrubber=provider.scrubber)
    return provider.generate(task, prompt, config)


def test_success_sends_one_request_with_the_settings(
    local_key: SecretStr, sleeps: list[float]
) -> None:
    with FakeServer([chat("a", "b", "c")]) as server:
        gen = _generate(_provider(server, local_key, sleeps), _config(seed=11))
    assert [c.text for c in gen.completions] == ["a", "b", "c"]
    assert [c.finish_reason for c in gen.completions] == ["stop"] * 3
    assert len(server.seen) == 1
    seen = server.seen[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["Authorization"] == f"Bearer {PLANTED_LOCAL_KEY}"
    assert seen.body["model"] == "fake/model-1"
    assert seen.body["n"] == 3
    assert seen.body["seed"] == 11
    assert seen.body["temperature"] == 0.8
    assert [m["role"] for m in seen.body["messages"]] == ["system", "user"]
    assert "moving_average" in seen.body["messages"][1]["content"]
    stats = gen.requests[0]
    assert (stats.prompt_tokens, stats.completion_tokens, stats.attempts) == (321, 45, 1)
    assert stats.response_model == "fake/model-1"
    assert gen.generator.provider == "openai-compatible"
    assert gen.generator.base_url == server.base_url
    assert gen.generator.dry_run is False
    assert sleeps == []


def test_endpoint_with_one_choice_per_request_is_asked_again(
    local_key: SecretStr, sleeps: list[float]
) -> None:
    with FakeServer([chat("a"), chat("b"), chat("c")]) as server:
        gen = _generate(_provider(server, local_key, sleeps), _config())
    assert [c.text for c in gen.completions] == ["a", "b", "c"]
    assert [s.body["n"] for s in server.seen] == [3, 2, 1]
    assert [c.request_index for c in gen.completions] == [0, 1, 2]
    assert [c.completion_tokens for c in gen.completions] == [45, 45, 45]


def test_429_then_success_waits_with_backoff(local_key: SecretStr, sleeps: list[float]) -> None:
    with FakeServer([status(429), chat("a", "b", "c")]) as server:
        gen = _generate(_provider(server, local_key, sleeps), _config())
    assert len(server.seen) == 2
    assert sleeps == [0.5]
    assert gen.requests[0].attempts == 2
    assert gen.warnings == ["retried after waits of 0.50s"]


def test_retry_after_header_is_honoured_up_to_the_cap(
    local_key: SecretStr, sleeps: list[float]
) -> None:
    script = [status(429, retry_after="3"), status(503, retry_after="60"), chat("a", "b", "c")]
    with FakeServer(script) as server:
        _generate(_provider(server, local_key, sleeps), _config())
    assert sleeps == [3.0, 4.0]  # 3 > 0.5; 60 capped at cap_s = 4


def test_jitter_is_seeded_and_bounded(local_key: SecretStr, sleeps: list[float]) -> None:
    retry = RetryPolicy(max_retries=2, base_s=1.0, cap_s=10.0, jitter=0.5)
    config = GenerationConfig(model="m", n=1, timeout_s=20.0, retry=retry)
    with FakeServer([status(502), status(502), chat("a")]) as server:
        _generate(_provider(server, local_key, sleeps), config)
    rng = random.Random(7)
    expected = [1.0 * (1 - 0.5 * rng.random()), 2.0 * (1 - 0.5 * rng.random())]
    assert sleeps == pytest.approx(expected)
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0


def test_500s_until_retries_run_out(local_key: SecretStr, sleeps: list[float]) -> None:
    with (
        FakeServer([status(500, "upstream exploded")]) as server,
        pytest.raises(ProviderError) as info,
    ):
        _generate(_provider(server, local_key, sleeps), _config())
    assert len(server.seen) == 3
    assert sleeps == [0.5, 1.0]
    assert info.value.status == 500
    assert info.value.attempts == 3
    assert info.value.exit_code == 3
    assert "3 attempts" in info.value.message and "upstream exploded" in info.value.message
    assert info.value.__cause__ is None


def test_timeouts_are_retried_then_fail(local_key: SecretStr, sleeps: list[float]) -> None:
    retry = RetryPolicy(max_retries=1, base_s=0.1, cap_s=1.0, jitter=0.0)
    config = GenerationConfig(model="m", n=1, timeout_s=0.3, retry=retry)
    with (
        FakeServer([Reply(delay_s=1.5, body=b"{}")]) as server,
        pytest.raises(ProviderError) as info,
    ):
        _generate(_provider(server, local_key, sleeps), config)
    assert len(server.seen) == 2
    assert "timed out" in info.value.message
    assert info.value.status is None


def test_malformed_json_is_a_response_error_not_retried(
    local_key: SecretStr, sleeps: list[float]
) -> None:
    with (
        FakeServer([Reply(body=b'{"choices": [ {"message": ')]) as server,
        pytest.raises(ProviderResponseError) as info,
    ):
        _generate(_provider(server, local_key, sleeps), _config())
    assert len(server.seen) == 1
    assert "not JSON" in info.value.message
    assert sleeps == []


@pytest.mark.parametrize(
    "payload",
    [{"choices": []}, {"object": "list"}, {"choices": [{"message": {"content": 5}}]}],
    ids=["no-choices", "no-choices-key", "content-not-text"],
)
def test_json_that_is_not_a_chat_completion(
    payload: object, local_key: SecretStr, sleeps: list[float]
) -> None:
    with (
        FakeServer([Reply(body=json.dumps(payload).encode())]) as server,
        pytest.raises(ProviderResponseError),
    ):
        _generate(_provider(server, local_key, sleeps), _config())


def test_error_object_in_a_200_reply(local_key: SecretStr, sleeps: list[float]) -> None:
    body = json.dumps({"error": {"message": "model not found", "code": 404}}).encode()
    with (
        FakeServer([Reply(body=body)]) as server,
        pytest.raises(ProviderError, match="model not found"),
    ):
        _generate(_provider(server, local_key, sleeps), _config())


def test_auth_failure_echoing_the_key_is_redacted(
    local_key: SecretStr, sleeps: list[float]
) -> None:
    echo = f"invalid key {PLANTED_LOCAL_KEY} and also {PLANTED_OPENROUTER_KEY}"
    with FakeServer([status(401, echo)]) as server, pytest.raises(ProviderAuthError) as info:
        _generate(_provider(server, local_key, sleeps), _config())
    assert len(server.seen) == 1  # 401 is not retried
    shown = f"{info.value} {info.value.message} {info.value!r} {info.value.remediation}"
    assert PLANTED_LOCAL_KEY not in shown
    assert PLANTED_OPENROUTER_KEY not in shown
    assert "[REDACTED:api_key:" in info.value.message
    assert "[REDACTED:openrouter_key:" in info.value.message


def test_other_4xx_is_not_retried(local_key: SecretStr, sleeps: list[float]) -> None:
    with (
        FakeServer([status(400, "bad n")]) as server,
        pytest.raises(ProviderError, match="HTTP 400"),
    ):
        _generate(_provider(server, local_key, sleeps), _config())
    assert len(server.seen) == 1


def test_connection_refused_is_retried_then_fails(
    local_key: SecretStr, sleeps: list[float]
) -> None:
    with FakeServer([chat("a")]) as server:
        url = server.base_url
    config = ProviderConfig(kind="openai-compatible", base_url=url, api_key=local_key)
    provider = OpenAICompatibleProvider(config, sleep=sleeps.append, rng=random.Random(0))
    with pytest.raises(ProviderError, match="connection failed"):
        _generate(provider, _config())
    assert sleeps == [0.5, 1.0]


def test_missing_key_is_refused() -> None:
    with pytest.raises(MissingApiKeyError, match="OPENROUTER_API_KEY"):
        OpenAICompatibleProvider(ProviderConfig())


def test_debug_bodies_refused_for_a_remote_endpoint(local_key: SecretStr) -> None:
    with pytest.raises(LiveModeRefusedError):
        OpenAICompatibleProvider(ProviderConfig(api_key=local_key, debug_log_bodies=True))
    remote = ProviderConfig(
        kind="openai-compatible",
        base_url="https://llm.example.com/v1",
        api_key=local_key,
        debug_log_bodies=True,
    )
    with pytest.raises(LiveModeRefusedError):
        OpenAICompatibleProvider(remote)


def test_debug_bodies_on_loopback_log_scrubbed_bodies(
    local_key: SecretStr, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    planted = f"use {PLANTED_LOCAL_KEY}"
    with (
        caplog.at_level(logging.DEBUG, logger="codelewm.llm"),
        FakeServer([chat(planted)]) as server,
    ):
        _generate(_provider(server, local_key, sleeps, debug_log_bodies=True), _config(n=1))
    text = caplog.text
    assert "request body:" in text and "response 200" in text
    assert PLANTED_LOCAL_KEY not in text
    assert "[REDACTED:api_key:" in text


def test_key_is_not_in_the_config_repr(local_key: SecretStr) -> None:
    config = ProviderConfig(api_key=local_key)
    assert PLANTED_LOCAL_KEY not in repr(config)
    assert PLANTED_LOCAL_KEY not in config.model_dump_json()
