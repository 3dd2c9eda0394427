"""A deadline for scoring work, checked between its steps, so work whose caller gave up stops.

    with deadline_scope(time.monotonic() + 30.0):
        reranker.rerank(...)   # raises DeadlineExceeded at the first check past the deadline

The deadline lives in a `ContextVar`: it covers only the code run inside the `with` block, in that
thread, and nothing outside one is affected (no deadline = `check_deadline` does nothing). It is the
only ambient state in the scoring path, and it exists because a deadline is a property of a caller
(the HTTP server's per-request timeout), not an argument every scorer and baseline should carry.

The checks sit between units of bounded work: before each candidate's alignment against the before
(the step that grows with text length) and each model batch. A step that has started finishes, so
work stops at most one step after the deadline; candidate loading (patches, pyflakes) and the
baselines are not interrupted, and the server's size limits bound them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from codelewm.errors import DeadlineExceeded

_DEADLINE: ContextVar[float | None] = ContextVar("codelewm_scoring_deadline", default=None)


@contextmanager
def deadline_scope(at: float) -> Iterator[None]:
    """Run the block under a deadline at `at` (`time.monotonic()` seconds); nested scopes keep the
    earlier deadline."""
    outer = _DEADLINE.get()
    token = _DEADLINE.set(at if outer is None else min(at, outer))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_deadline() -> None:
    """Raise DeadlineExceeded when the current scope's deadline has passed; otherwise nothing."""
    at = _DEADLINE.get()
    if at is not None and time.monotonic() > at:
        raise DeadlineExceeded(f"stopped {time.monotonic() - at:.2f} s after the deadline")
