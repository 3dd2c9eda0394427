"""Shared fixtures for the sandbox tests: small limits, the launcher, and what a run left behind."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import pytest

from codelewm.execution import Limits
from codelewm.execution.isolation import Launcher, select_launcher


@pytest.fixture(scope="session")
def fast() -> Limits:
    """Short limits: 2 shared CPU cores; nothing here needs more than a second of CPU."""
    return Limits(wall_s=5.0, cpu_s=2, memory_mb=512, max_processes=8)


@pytest.fixture(scope="session")
def launcher() -> Launcher:
    return select_launcher(sys.executable)


@pytest.fixture(scope="session")
def require(launcher: Launcher) -> Callable[[str], None]:
    """Skip unless this machine applies an OS isolation layer."""

    def check(layer: str) -> None:
        if layer not in launcher.isolation:
            pytest.skip(f"this machine does not allow {layer} (launcher {launcher.name})")

    return check


def _parents() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


@pytest.fixture
def descendants() -> Callable[[], list[int]]:
    """Live processes below this test process (zombies included) that the test itself left behind.

    Processes that already lived below pytest when the test began (a server another test module
    keeps for its session, a worker pool) are not the test's doing and are left out.
    """

    def below_us() -> list[int]:
        children = _parents()
        found: list[int] = []
        stack = [os.getpid()]
        while stack:
            for child in children.get(stack.pop(), []):
                found.append(child)
                stack.append(child)
        return found

    before = set(below_us())

    def find() -> list[int]:
        return [pid for pid in below_us() if pid not in before]

    return find
