"""Explicit settings for candidate generation: which endpoint, which model, how many, how to retry.

Nothing here reads the environment: the CLI reads `OPENROUTER_API_KEY` (or the variable named by
`--api-key-env`), `CODELEWM_LLM_DRY_RUN` and an optional `.env`, then builds these objects. The key
is a `pydantic.SecretStr`, so it never shows in a repr, a dump or a traceback's locals summary.
"""

from __future__ import annotations

from typing import Final, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

OPENROUTER_BASE_URL: Final = "https://openrouter.ai/api/v1"
DEFAULT_MODEL: Final = "anthropic/claude-haiku-4.5"
DEFAULT_API_KEY_ENV: Final = "OPENROUTER_API_KEY"
DRY_RUN_ENV: Final = "CODELEWM_LLM_DRY_RUN"

OutputPolicy = Literal["diff", "function"]
ProviderKind = Literal["openrouter", "openai-compatible"]


def provider_kind_for(base_url: str | None) -> ProviderKind:
    """'openrouter' for no URL or an openrouter.ai URL, else 'openai-compatible'."""
    if base_url is None:
        return "openrouter"
    host = urlsplit(base_url).hostname or ""
    return (
        "openrouter"
        if host == "openrouter.ai" or host.endswith(".openrouter.ai")
        else ("openai-compatible")
    )


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryPolicy(_Settings):
    """Exponential backoff with full jitter on 429, 5xx, timeouts and dropped connections.

    Attempt k (0-based) waits `min(cap_s, base_s * 2**k) * U(1 - jitter, 1)` before the next try, or
    the server's `Retry-After` when that is longer (still capped at `cap_s`).
    """

    max_retries: int = Field(default=3, ge=0, le=10, description="retries after the first attempt")
    base_s: float = Field(default=1.0, ge=0.0, le=60.0)
    cap_s: float = Field(default=20.0, ge=0.0, le=300.0)
    jitter: float = Field(default=0.5, ge=0.0, le=1.0, description="0 = no jitter, 1 = full jitter")


class GenerationConfig(_Settings):
    """What to ask the model for; written into every candidate pack."""

    model: str = Field(default=DEFAULT_MODEL, min_length=1, max_length=200)
    n: int = Field(default=5, ge=1, le=32, description="candidates wanted")
    temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    max_tokens: int = Field(default=1024, ge=16, le=32_768)
    timeout_s: float = Field(default=60.0, gt=0.0, le=600.0)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    seed: int | None = Field(default=None, description="sent to the endpoint; also seeds jitter")
    output_policy: OutputPolicy = "diff"
    context_tokens: int = Field(
        default=6000, ge=256, le=200_000, description="token budget of the repository context"
    )


class ProviderConfig(_Settings):
    """Where to send requests. `api_key` is None in dry-run (no key is read at all)."""

    kind: ProviderKind = "openrouter"
    base_url: str = OPENROUTER_BASE_URL
    api_key: SecretStr | None = None
    api_key_env: str = Field(
        default=DEFAULT_API_KEY_ENV, description="the variable the key came from"
    )
    debug_log_bodies: bool = Field(
        default=False, description="log request/response bodies; refused in live mode"
    )
    app_title: str = "codelewm"
    proxy: str | None = Field(
        default=None, description="HTTP(S) proxy URL; the environment's proxy variables are ignored"
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        parts = urlsplit(value)
        if parts.username is not None or parts.password is not None:
            # httpx would turn them into a Basic header that replaces the key's Bearer header;
            # the message names the host only, never the credentials
            raise ValueError(
                f"the base URL for {parts.hostname} carries credentials (user:password@): remove "
                "them; the API key goes in an environment variable (--api-key-env)"
            )
        return value.rstrip("/")

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://", "socks5://")):
            raise ValueError("proxy must be an http://, https:// or socks5:// URL")
        return value
