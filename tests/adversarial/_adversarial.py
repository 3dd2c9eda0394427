"""Shared bounds of the adversarial suite: reproducible Hypothesis settings and a time bound.

Every fuzz test runs a fixed number of examples, derandomized (the same examples on every run and
machine, no example database), with a per-example `deadline`. A call over its time bound raises
`TimeBoundExceeded`, which `scripts/security_md.py` counts as a hang, as it does pytest-timeout's
"Timeout" and Hypothesis' `DeadlineExceeded`; any other exception that escapes a test is a crash
and a failed assertion is an attack let through.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from hypothesis import HealthCheck, Phase, settings

T = TypeVar("T")


class TimeBoundExceeded(Exception):
    """A call that took longer than its bound: the suite's "hang"."""


def fuzz(examples: int, *, deadline_ms: int = 2000) -> settings:
    """`examples` derandomized examples, each within `deadline_ms`. A failure is reported as found,
    not shrunk: shrinking a slow failing example can take minutes and the suite must stay bounded
    (run the test alone with `phases` including `Phase.shrink` to get a minimal example)."""
    return settings(
        max_examples=examples,
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target),
        deadline=timedelta(milliseconds=deadline_ms),
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def within(seconds: float, fn: Callable[[], T], *, what: str) -> T:
    """`fn()`, or TimeBoundExceeded when it returned (or raised) after more than `seconds`."""
    start = time.perf_counter()
    try:
        return fn()
    finally:
        took = time.perf_counter() - start
        if took > seconds:
            raise TimeBoundExceeded(f"{what} took {took:.2f} s, over the bound of {seconds:g} s")
