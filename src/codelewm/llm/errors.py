"""Typed errors of the LLM harness. Their messages are redacted before they are raised."""

from __future__ import annotations

from codelewm.errors import InputError, SourceUnavailableError


class ProviderError(SourceUnavailableError):
    """The endpoint could not give completions: retries ran out, a refused request, a bad reply."""

    default_remediation = (
        "Check --base-url and the model name, the network, and the provider's status; "
        "raise --retries or --timeout for a slow endpoint."
    )

    def __init__(
        self,
        message: str,
        *,
        remediation: str | None = None,
        status: int | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message, remediation=remediation)
        self.status = status
        self.attempts = attempts


class ProviderAuthError(ProviderError):
    """The endpoint refused the key (401/403)."""

    default_remediation = (
        "Check the API key in the variable named by --api-key-env (OPENROUTER_API_KEY by default) "
        "or in .env; keys are never printed, only the variable's name."
    )


class ProviderResponseError(ProviderError):
    """A reply that is not the JSON of an OpenAI-compatible chat completion."""

    default_remediation = (
        "Point --base-url at an OpenAI-compatible endpoint (it must serve POST /chat/completions)."
    )


class LiveModeRefusedError(InputError):
    """Live mode was asked for with settings that could leak a credential or a request body."""

    default_remediation = (
        "Drop --debug-log-bodies for live runs (it is for dry-run and local fake servers only)."
    )


class MissingApiKeyError(InputError):
    """Live mode without a key in the named environment variable or .env."""

    default_remediation = (
        "Set OPENROUTER_API_KEY (or the variable named by --api-key-env) or put it in .env "
        "(copy .env.example); or run in dry-run mode (the default) with fixture candidates."
    )
