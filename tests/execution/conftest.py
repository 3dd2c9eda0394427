"""Shared fixtures for the sandbox tests: small limits, the launcher, the layers this machine can
have (found here by trying the tools directly, not through the launcher's own self-test), and what
a run left behind.

A layer test skips only when this machine cannot have the layer at all; where it can, the launcher
must apply it, or the test fails (a present but broken layer is a failure, never a skip).
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from codelewm.execution import Limits, launch, sandbox
from codelewm.execution.bwrap import visible_paths
from codelewm.execution.isolation import BOOTSTRAP, Launcher, candidate_launchers
from codelewm.execution.selftest import select_launcher, self_test
from codelewm.execution.syscall_filter import FilterProgram, filter_program

ROOT = os.geteuid() == 0
BWRAP_LAYERS = ("bwrap", "ipcns", "private_dev", "readonly_root")
NAMESPACE_LAYERS = ("netns", "pidns", "mountns_proc")
PRIVATE_LAYERS = ("private_tmp", "private_run")


def _runs(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=10, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _bwrap_works() -> str | None:
    """None when bwrap can build a sandbox here, else why not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed"
    if ROOT and shutil.which("setpriv") is None:
        return "as root bwrap needs util-linux's setpriv to drop the uid"
    user = [] if ROOT else ["--unshare-user"]
    argv = [bwrap, *user, "--unshare-net", "--unshare-pid", "--ro-bind", "/", "/"]
    if not _runs([*argv, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "true"]):
        return "this kernel refuses bwrap's namespaces"
    return None


def _unshare_works() -> str | None:
    unshare = shutil.which("unshare")
    if unshare is None:
        return "util-linux's unshare is not installed"
    user = [] if ROOT else ["--user", "--map-root-user"]
    if not _runs([unshare, *user, "--net", "--pid", "--fork", "--mount", "true"]):
        return "this kernel refuses namespaces"
    return None


def _stage_works() -> str | None:
    if (reason := _unshare_works()) is not None:
        return reason
    if not (shutil.which("sh") and shutil.which("mount") and shutil.which("setpriv")):
        return "sh, mount or setpriv is missing"
    if hidden := visible_paths(sys.executable, BOOTSTRAP):
        return f"the unshare stage's private /tmp would hide {hidden[0]} (no bwrap to bind it)"
    return None


def _seccomp_works() -> str | None:
    if importlib.util.find_spec("pyseccomp") is None:
        return "pyseccomp is not installed"
    if ctypes.util.find_library("seccomp") is None:
        return "libseccomp is not installed"
    with open("/proc/self/status", encoding="ascii") as handle:
        if "Seccomp:" not in handle.read():
            return "the kernel has no seccomp"
    return None


@dataclass(frozen=True)
class MachineLayers:
    """Why each layer cannot exist here (absent key: it can)."""

    missing: dict[str, str]

    def reason(self, layer: str) -> str | None:
        return self.missing.get(layer)


def _hidden_from_others() -> str | None:
    """Why a fresh unprivileged uid could not read the package's sandbox bootstrap (a directory on
    the way without o+x, the file without o+r: e.g. a checkout under a 0700 directory), else None."""
    import codelewm

    for target in (Path(codelewm.__file__).resolve().parent / "execution" / "_bootstrap.py",):
        for place in (target, *target.parents):
            mode = place.stat().st_mode
            needed = stat.S_IROTH if place == target else stat.S_IXOTH
            if not mode & needed:
                return f"{place} is not {'readable' if place == target else 'searchable'} by other users"
    return None


def _machine_layers() -> MachineLayers:
    bwrap, unshare, stage = _bwrap_works(), _unshare_works(), _stage_works()
    missing: dict[str, str] = {}
    for layer in BWRAP_LAYERS:
        if bwrap:
            missing[layer] = bwrap
    for layers, reasons in ((NAMESPACE_LAYERS, (bwrap, unshare)), (PRIVATE_LAYERS, (bwrap, stage))):
        if all(reasons):
            missing.update({layer: f"{reasons[0]}; {reasons[1]}" for layer in layers})
    if not ROOT:
        missing["uid_drop"] = "not root: no other uid to switch to"
    elif shutil.which("setpriv") is None:
        missing["uid_drop"] = "util-linux's setpriv is not installed"
    elif (hidden := _hidden_from_others()) is not None:
        missing["uid_drop"] = hidden
    if (seccomp := _seccomp_works()) is not None:
        missing["seccomp"] = seccomp
    if stage is not None:  # not a layer: the unshare launcher that mounts private /tmp and /run
        missing["unshare_stage"] = stage
    return MachineLayers(missing)


@pytest.fixture(scope="session")
def machine() -> MachineLayers:
    return _machine_layers()


@pytest.fixture(scope="session")
def cannot_have(machine: MachineLayers) -> Callable[[str], str | None]:
    """Why this machine cannot have a layer; None where it can."""
    return machine.reason


@pytest.fixture(scope="session")
def fast() -> Limits:
    """Short limits: 2 shared CPU cores; nothing here needs more than a second of CPU."""
    return Limits(wall_s=5.0, cpu_s=2, memory_mb=512, max_processes=8)


@pytest.fixture(scope="session")
def launcher() -> Launcher:
    return select_launcher(sys.executable)


@pytest.fixture(scope="session")
def require(launcher: Launcher, machine: MachineLayers) -> Callable[[str], None]:
    """Skip where this machine cannot have `layer`; fail where it can but the launcher lacks it."""

    def check(layer: str) -> None:
        if (reason := machine.reason(layer)) is not None:
            pytest.skip(f"this machine cannot have {layer}: {reason}")
        if layer == "seccomp":
            program = filter_program(allow_subprocess=False)
            assert program.bpf is not None, f"seccomp is possible here but: {program.unavailable}"
            return
        assert layer in launcher.isolation, (
            f"{layer} is possible here but launcher {launcher.name} lacks it: {launcher.caveats}"
        )

    return check


@pytest.fixture(scope="session")
def launcher_named(machine: MachineLayers) -> Callable[[str, str | None], Launcher]:
    """The first launcher called `name` that passes its self-test here; skipped only where the
    machine cannot have `layer` (the layer that launcher stands for); failed where it can."""

    working: dict[str, Launcher] = {}

    def find(name: str, layer: str | None) -> Launcher:
        if layer is not None and (reason := machine.reason(layer)) is not None:
            pytest.skip(f"no {name} launcher: this machine cannot have {layer}: {reason}")
        if name in working:
            return working[name]
        found = [c for c in candidate_launchers(sys.executable) if c.name == name]
        assert found, f"no {name} launcher although this machine can have {layer}"
        failures = []
        for candidate in found:
            result = self_test(candidate, sys.executable)
            if result.passed:
                working[name] = candidate
                return candidate
            failures.append(f"{result.status.value}: {result.detail}")
        raise AssertionError(f"{name} is possible here but fails its self-test: {failures}")

    return find


@pytest.fixture
def use_launcher(monkeypatch: pytest.MonkeyPatch) -> Callable[[Launcher], None]:
    """Make every run of the test use this launcher."""

    def use(chosen: Launcher) -> None:
        monkeypatch.setattr(sandbox, "select_launcher", lambda python: chosen)

    return use


@pytest.fixture
def no_seccomp(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs without the syscall filter, to test the other layers on their own."""
    off = FilterProgram(None, "switched off by the test")
    monkeypatch.setattr(launch, "filter_program", lambda *, allow_subprocess: off)
    monkeypatch.setattr(sandbox, "filter_program", lambda *, allow_subprocess: off)


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
