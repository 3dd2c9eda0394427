"""`Scrubber`: `artifacts.redact.redact` plus the exact values of the credentials this run holds.

The patterns catch every key format we know (`sk-or-v1-...`, `sk-ant-...`, JWTs, ...); a key of an
unknown shape (a local vLLM's `--api-key secret123`) is caught because the scrubber knows its value.
Every string the harness writes, logs or puts into an exception passes through `scrub`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr

from codelewm.artifacts.redact import redact, redaction

MIN_SECRET_CHARS = 6  # shorter values would redact ordinary words


class Scrubber:
    """Redacts known patterns and the given secret values (longest first)."""

    def __init__(self, secrets: Iterable[str | SecretStr | None] = ()) -> None:
        values = {
            s.get_secret_value() if isinstance(s, SecretStr) else s
            for s in secrets
            if s is not None
        }
        self._secrets = sorted(
            (v for v in values if len(v) >= MIN_SECRET_CHARS), key=len, reverse=True
        )

    @property
    def secret_count(self) -> int:
        return len(self._secrets)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, redaction("api_key", secret))
        return redact(text)

    def leaks(self, text: str) -> bool:
        """Whether `text` still holds one of the exact secret values."""
        return any(secret in text for secret in self._secrets)

    def scrub_any(self, value: Any) -> Any:
        """`scrub` applied to every string inside JSON-like data (keys included)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {self.scrub_any(k): self.scrub_any(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub_any(item) for item in value]
        return value
