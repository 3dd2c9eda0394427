"""Candidate providers behind one protocol: dry-run fixtures, OpenRouter, any OpenAI-compatible endpoint.

`OpenAICompatibleProvider` speaks `POST {base_url}/chat/completions` over `httpx` with explicit
settings; OpenRouter is the same provider with OpenRouter's base URL and attribution headers, so a
local fake server, vLLM, llama.cpp or ollama differ from OpenRouter only in `base_url`. The provider
asks for `n` choices and repeats the request for the rest when an endpoint returns fewer (OpenRouter
serves one choice for many models), at most `n` requests.

Failures: 429, 5xx, timeouts and dropped connections are retried (`retry.Backoff`); 401/403 raise
`ProviderAuthError`, other 4xx `ProviderError`, a reply that is not chat-completion JSON
`ProviderResponseError`. Every message is scrubbed (patterns plus the key's exact value) and raised
`from None`: no httpx exception, header or body reaches the caller unredacted.

`FixtureProvider` is dry-run: it answers the fixture task from `llm/fixtures/` with no client, no key
and no network.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import urlsplit

from codelewm import __version__
from codelewm.errors import InputError
from codelewm.extras import require_extra
from codelewm.llm.errors import (
    LiveModeRefusedError,
    MissingApiKeyError,
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
)
from codelewm.llm.prompt import Prompt
from codelewm.llm.retry import Backoff, RetriesExhaustedError, RetryableError, Sleep
from codelewm.llm.scrub import Scrubber
from codelewm.llm.settings import GenerationConfig, ProviderConfig
from codelewm.llm.task import LlmTask
from codelewm.records import Record

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("codelewm.llm")

FIXTURE_CANDIDATES: Final = "moving_average.candidates.json"
FIXTURE_TESTS: Final = "moving_average.tests.json"  # answers of the generated-tests prompt
BODY_SNIPPET: Final = 300
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Completion:
    """One raw completion as the endpoint returned it (untrusted, unredacted)."""

    text: str
    finish_reason: str | None
    request_index: int
    choice_index: int
    completion_tokens: int | None = None  # known when the request had exactly one choice
    label: str | None = None  # fixtures only: what the candidate is meant to show


class RequestStats(Record):
    """One HTTP request (or one fixture read) of a generation."""

    request_index: int
    n_requested: int
    n_returned: int
    attempts: int
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    response_id: str | None = None
    response_model: str | None = None


class GeneratorInfo(Record):
    """Who generated the candidates."""

    provider: str
    base_url: str | None
    model: str
    client: str
    client_version: str
    codelewm_version: str = __version__
    dry_run: bool


@dataclass
class Generation:
    completions: list[Completion]
    requests: list[RequestStats]
    generator: GeneratorInfo
    warnings: list[str] = field(default_factory=list)


class CandidateProvider(Protocol):
    """Anything that turns a prompt into raw completions."""

    scrubber: Scrubber

    def generate(self, task: LlmTask, prompt: Prompt, config: GenerationConfig) -> Generation: ...


class FixtureProvider:
    """Dry-run: the fixture answers of the fixture task (candidates by output policy, or the
    generated-tests answers of `FIXTURE_TESTS`). No client, no key, no network."""

    def __init__(self, fixtures: str = FIXTURE_CANDIDATES) -> None:
        self.scrubber = Scrubber()
        raw = resources.files("codelewm.llm").joinpath("fixtures", fixtures)
        self._fixtures: dict[str, Any] = json.loads(raw.read_text("utf-8"))

    def generate(self, task: LlmTask, prompt: Prompt, config: GenerationConfig) -> Generation:
        if task.task_id != self._fixtures["task_id"]:
            raise InputError(
                f"dry-run has fixture candidates for the fixture task only, not {task.task_id!r}",
                remediation="Run without --task/--before to use the fixture task, or go live "
                "(CODELEWM_LLM_DRY_RUN=0 or --live) with a key.",
            )
        answers = self._fixtures["candidates"]
        by_policy = answers[config.output_policy] if isinstance(answers, dict) else answers
        items = by_policy[: config.n]
        completions = [
            Completion(
                text=item["text"],
                finish_reason=item["finish_reason"],
                request_index=0,
                choice_index=i,
                completion_tokens=None,
                label=item["label"],
            )
            for i, item in enumerate(items)
        ]
        warnings = []
        if config.n > len(items):
            warnings.append(f"dry-run: {len(items)} fixture candidates exist; n={config.n} asked")
        info = GeneratorInfo(
            provider="fixture",
            base_url=None,
            model=self._fixtures["model"],
            client="none",
            client_version="none",
            dry_run=True,
        )
        stats = RequestStats(
            request_index=0, n_requested=config.n, n_returned=len(items), attempts=1
        )
        return Generation(completions, [stats], info, warnings)


class OpenAICompatibleProvider:
    """Live: chat completions from OpenRouter or any OpenAI-compatible endpoint (see the module doc)."""

    def __init__(
        self,
        config: ProviderConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if config.api_key is None or not config.api_key.get_secret_value():
            raise MissingApiKeyError(f"live mode needs a key; {config.api_key_env} is not set")
        require_extra("httpx", "llm", feature="live LLM calls")
        if config.debug_log_bodies and not is_loopback(config.base_url):
            raise LiveModeRefusedError(
                "--debug-log-bodies logs request and response bodies; it is refused for live "
                f"endpoints ({config.base_url} is not a loopback address)"
            )
        self.config = config
        self.scrubber = Scrubber([config.api_key])
        self._transport = transport
        self._sleep = sleep
        self._rng = rng

    def generate(self, task: LlmTask, prompt: Prompt, config: GenerationConfig) -> Generation:
        backoff = Backoff(config.retry, rng=self._rng or random.Random(config.seed))
        if self._sleep is not None:
            backoff.sleep = self._sleep
        completions: list[Completion] = []
        requests: list[RequestStats] = []
        with self._client(config) as client:
            while len(completions) < config.n and len(requests) < config.n:
                index = len(requests)
                body = self._body(prompt, config, config.n - len(completions))
                reply, attempts = self._post(client, backoff, body)
                got, stats = self._parse(reply, index, body["n"], attempts)
                completions.extend(got[: config.n - len(completions)])
                requests.append(stats)
        warnings = [f"retried after waits of {w:.2f}s" for w in backoff.waits]
        if len(completions) < config.n:
            warnings.append(f"{len(completions)} of {config.n} candidates returned")
        return Generation(completions, requests, self.info(config), warnings)

    def info(self, config: GenerationConfig) -> GeneratorInfo:
        import httpx

        return GeneratorInfo(
            provider=self.config.kind,
            base_url=self.scrubber.scrub(self.config.base_url),
            model=config.model,
            client="httpx",
            client_version=httpx.__version__,
            dry_run=False,
        )

    # --- one request ------------------------------------------------------------------------------

    def _client(self, config: GenerationConfig) -> httpx.Client:
        import httpx

        assert self.config.api_key is not None
        headers = {"Authorization": f"Bearer {self.config.api_key.get_secret_value()}"}
        if self.config.kind == "openrouter":
            headers |= {
                "HTTP-Referer": "https://github.com/codelewm/codelewm",
                "X-Title": self.config.app_title,
            }
        return httpx.Client(
            base_url=self.config.base_url,
            headers=headers,
            timeout=httpx.Timeout(config.timeout_s),
            transport=self._transport,
            follow_redirects=False,
            trust_env=False,  # no proxy or netrc picked up behind the caller's back
            proxy=self.config.proxy,
        )

    def _body(self, prompt: Prompt, config: GenerationConfig, n: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": config.model,
            "messages": prompt.messages,
            "n": n,
            "temperature": config.temperature,
            "max_tokens": config.max_tokens,
        }
        if config.seed is not None:
            body["seed"] = config.seed
        return body

    def _post(
        self, client: httpx.Client, backoff: Backoff, body: dict[str, Any]
    ) -> tuple[Any, int]:
        if self.config.debug_log_bodies:
            logger.debug("request body: %s", self.scrubber.scrub(json.dumps(body)))
        try:
            return backoff.run(lambda attempt: self._attempt(client, body, attempt))
        except RetriesExhaustedError as exc:
            raise ProviderError(
                self.scrubber.scrub(
                    f"{exc.attempts} attempts to {self.config.base_url} failed; "
                    f"last: {exc.last.reason}"
                ),
                status=exc.last.status,
                attempts=exc.attempts,
            ) from None

    def _attempt(self, client: httpx.Client, body: dict[str, Any], attempt: int) -> Any:
        import httpx

        try:
            response = client.post("/chat/completions", json=body)
        except httpx.TimeoutException as exc:
            raise RetryableError(f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise RetryableError(f"connection failed ({type(exc).__name__})") from None
        snippet = self.scrubber.scrub(response.text[:BODY_SNIPPET])
        if self.config.debug_log_bodies:
            logger.debug("response %d (attempt %d): %s", response.status_code, attempt, snippet)
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetryableError(
                f"HTTP {status}: {snippet}", status=status, retry_after_s=_retry_after(response)
            )
        if status in (401, 403):
            raise ProviderAuthError(f"HTTP {status} from {self._where()}: {snippet}", status=status)
        if status >= 400 or status < 200:
            raise ProviderError(f"HTTP {status} from {self._where()}: {snippet}", status=status)
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ProviderResponseError(
                f"{self._where()} answered HTTP {status} with a body that is not JSON: {snippet!r}",
                status=status,
            ) from None

    def _where(self) -> str:
        return self.scrubber.scrub(self.config.base_url + "/chat/completions")

    def _parse(
        self, reply: Any, index: int, n_requested: int, attempts: int
    ) -> tuple[list[Completion], RequestStats]:
        shown = self.scrubber.scrub(json.dumps(reply)[:BODY_SNIPPET])
        if isinstance(reply, dict) and isinstance(reply.get("error"), dict):
            raise ProviderError(f"{self._where()} returned an error object: {shown}")
        choices = reply.get("choices") if isinstance(reply, dict) else None
        if not isinstance(choices, list) or not choices:
            raise ProviderResponseError(f"{self._where()} returned no choices: {shown}")
        usage = reply.get("usage") if isinstance(reply.get("usage"), dict) else {}
        completion_tokens = _int_or_none(usage.get("completion_tokens"))
        completions = [
            _completion(choice, index, i, completion_tokens if len(choices) == 1 else None, shown)
            for i, choice in enumerate(choices)
        ]
        stats = RequestStats(
            request_index=index,
            n_requested=n_requested,
            n_returned=len(completions),
            attempts=attempts,
            prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
            completion_tokens=completion_tokens,
            response_id=_str_or_none(reply.get("id"), self.scrubber.scrub),
            response_model=_str_or_none(reply.get("model"), self.scrubber.scrub),
        )
        return completions, stats


def is_loopback(url: str) -> bool:
    """Whether `url` points at this machine (where a debug log of bodies is allowed)."""
    return urlsplit(url).hostname in LOOPBACK_HOSTS


def make_provider(
    config: ProviderConfig | None,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Sleep | None = None,
    rng: random.Random | None = None,
    fixtures: str = FIXTURE_CANDIDATES,
) -> CandidateProvider:
    """`FixtureProvider` (answering from `fixtures`) when `config` is None (dry-run), else the live
    provider."""
    if config is None:
        return FixtureProvider(fixtures)
    return OpenAICompatibleProvider(config, transport=transport, sleep=sleep, rng=rng)


def _completion(
    choice: Any, request_index: int, choice_index: int, tokens: int | None, shown: str
) -> Completion:
    message = choice.get("message") if isinstance(choice, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if content is not None and not isinstance(content, str):
        raise ProviderResponseError(f"a choice's message content is not text: {shown}")
    finish = choice.get("finish_reason") if isinstance(choice, dict) else None
    return Completion(
        text=content or "",
        finish_reason=finish if isinstance(finish, str) else None,
        request_index=request_index,
        choice_index=choice_index,
        completion_tokens=tokens,
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: Any, scrub: Callable[[str], str]) -> str | None:
    return scrub(value)[:200] if isinstance(value, str) else None
