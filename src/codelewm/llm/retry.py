"""Retries with exponential backoff and jitter; the clock and the randomness are injected.

Tests pass a recording `sleep` and a seeded `random.Random`, so a retry schedule is exact and takes
no wall time. `RetryPolicy` (settings.py) documents the formula.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from codelewm.llm.settings import RetryPolicy

T = TypeVar("T")
Sleep = Callable[[float], None]


class RetryableError(Exception):
    """Raised by an attempt that may succeed when tried again (429, 5xx, timeout, dropped link)."""

    def __init__(
        self, reason: str, *, status: int | None = None, retry_after_s: float | None = None
    ):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after_s = retry_after_s


class RetriesExhaustedError(Exception):
    """Every attempt failed with a retryable error; `last` is the final one."""

    def __init__(self, last: RetryableError, attempts: int) -> None:
        super().__init__(f"{attempts} attempts failed; last: {last.reason}")
        self.last = last
        self.attempts = attempts


@dataclass
class Backoff:
    """Computes waits and performs retries for one policy."""

    policy: RetryPolicy
    sleep: Sleep = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    waits: list[float] = field(default_factory=list)  # every wait taken, in order

    def delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait after failed attempt `attempt` (0-based)."""
        ceiling = min(self.policy.cap_s, self.policy.base_s * (2.0**attempt))
        jittered = ceiling * (1.0 - self.policy.jitter * self.rng.random())
        if retry_after_s is not None and retry_after_s > jittered:
            return min(self.policy.cap_s, retry_after_s)
        return jittered

    def run(self, attempt_fn: Callable[[int], T]) -> tuple[T, int]:
        """Call `attempt_fn(attempt)` until it returns; (result, attempts used)."""
        last: RetryableError | None = None
        for attempt in range(self.policy.max_retries + 1):
            if last is not None:
                wait = self.delay(attempt - 1, last.retry_after_s)
                self.waits.append(wait)
                self.sleep(wait)
            try:
                return attempt_fn(attempt), attempt + 1
            except RetryableError as exc:
                last = exc
        assert last is not None
        raise RetriesExhaustedError(last, self.policy.max_retries + 1)
