"""Launcher selection by self-test, the plain fallback where no OS layer is allowed, the layers
each run reports, and limit scaling."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable

import pytest

from codelewm.errors import ExecutionError
from codelewm.execution import (
    ExecutionStatus,
    Limits,
    Policy,
    isolation,
    run_candidate,
    sandbox,
    selftest,
)
from codelewm.execution.isolation import Launcher
from codelewm.execution.launch import seccomp_caveats
from codelewm.execution.selftest import select_launcher
from codelewm.execution.syscall_filter import filter_program

BASE = ["process_group", "rlimits", "tmp_cwd", "scrubbed_env"]


def _seccomp() -> list[str]:
    return ["seccomp"] if filter_program(allow_subprocess=False).bpf is not None else []


def _seccomp_caveats() -> list[str]:
    return list(seccomp_caveats(filter_program(allow_subprocess=False)))


def test_launchers_are_ordered_strongest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    names = [launcher.name for launcher in isolation.candidate_launchers(sys.executable)]
    if os.geteuid() == 0:
        assert names == [
            "bwrap+uid_drop",  # the sandbox uid starts the interpreter
            "bwrap+uid_drop",  # ... only with CAP_DAC_READ_SEARCH
            "namespaces+tmpfs+uid_drop",
            "namespaces+tmpfs+uid_drop",  # ... only with CAP_DAC_READ_SEARCH
            "namespaces+uid_drop",
            "namespaces+uid_drop",
            "uid_drop",
            "uid_drop",
            "namespaces",
            "plain",
        ]
    else:
        assert names == ["bwrap", "user_namespaces+tmpfs", "user_namespaces", "plain"]


def test_the_strongest_launcher_is_chosen_where_the_machine_allows_it(
    launcher: Launcher, require: Callable[[str], None]
) -> None:
    require("private_tmp")
    require("private_run")
    require("uid_drop")
    candidates = isolation.candidate_launchers(sys.executable)
    assert launcher.name == candidates[0].name
    assert not any("self-test refused" in caveat for caveat in launcher.caveats)


def test_bwrap_is_chosen_where_it_works(launcher: Launcher, require: Callable[[str], None]) -> None:
    require("bwrap")
    assert launcher.name == ("bwrap+uid_drop" if os.geteuid() == 0 else "bwrap")
    assert {"readonly_root", "private_dev", "private_run", "private_tmp"} <= set(launcher.isolation)


def test_without_unshare_or_setpriv_only_the_plain_launcher_is_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    (plain,) = isolation.candidate_launchers(sys.executable)
    assert (plain.name, plain.isolation, plain.prefix) == ("plain", (), ())
    assert plain.enforces_nproc is (os.geteuid() != 0)
    assert plain.caveats[0].startswith("no network namespace: network is denied by the audit hook")


def test_self_test_refuses_an_interpreter_that_does_not_start() -> None:
    launcher = selftest._select.__wrapped__("/nonexistent/python")
    assert launcher.name == "plain"
    assert launcher.caveats[-1].startswith("the self-test failed under every launcher: ")


@pytest.fixture
def plain(monkeypatch: pytest.MonkeyPatch) -> Launcher:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    launcher = isolation.candidate_launchers(sys.executable)[-1]
    monkeypatch.setattr(sandbox, "select_launcher", lambda python: launcher)
    return launcher


def test_plain_fallback_still_runs_and_denies_by_audit_hook(plain: Launcher, fast: Limits) -> None:
    ok = run_candidate("x = 1", tests="assert x == 1", limits=fast)
    net = run_candidate("import socket\nsocket.socket().connect(('127.0.0.1', 9))", tests="")
    assert ok.status is ExecutionStatus.PASSED
    assert ok.isolation == [*BASE, *_seccomp(), "audit_hook"]
    assert ok.caveats == [*plain.caveats, *_seccomp_caveats()]
    assert net.status is ExecutionStatus.POLICY_VIOLATION


def test_plain_fallback_as_root_refuses_subprocesses(plain: Launcher, fast: Limits) -> None:
    if plain.enforces_nproc:
        pytest.skip("not root: RLIMIT_NPROC applies to the caller's uid")
    with pytest.raises(ExecutionError, match="process-count limit"):
        run_candidate("x = 1", tests="", limits=fast, policy=Policy(allow_subprocess=True))


def test_this_machine_reports_its_layers(launcher: Launcher, fast: Limits) -> None:
    result = run_candidate("x = 1", tests="", limits=fast)
    assert result.isolation == [*BASE, *launcher.isolation, *_seccomp(), "audit_hook"]
    assert result.caveats == [*launcher.caveats, *_seccomp_caveats()]
    assert launcher is select_launcher(sys.executable)


def test_limits_scale_to_a_reference_run() -> None:
    limits = Limits().scaled_to(0.6)
    assert limits.wall_s == pytest.approx(2.4)
    assert limits.cpu_s == 3
    assert Limits().scaled_to(0.01).wall_s == 1.0
    assert Limits().scaled_to(0.01).cpu_s == 1


def test_required_isolation_refuses_a_weaker_machine(plain: Launcher, fast: Limits) -> None:
    policy = Policy(required_isolation=frozenset({"netns", "uid_drop"}))
    with pytest.raises(ExecutionError, match=r"required isolation \['netns', 'uid_drop'\]"):
        run_candidate("x = 1", tests="", limits=fast, policy=policy)


def test_required_isolation_runs_where_it_applies(launcher: Launcher, fast: Limits) -> None:
    required = frozenset({"audit_hook", *launcher.isolation, *_seccomp()})
    result = run_candidate(
        "x = 1", tests="", limits=fast, policy=Policy(required_isolation=required)
    )
    assert result.status is ExecutionStatus.PASSED


@pytest.mark.usefixtures("no_seccomp")
def test_required_seccomp_refuses_a_machine_without_it(fast: Limits) -> None:
    policy = Policy(required_isolation=frozenset({"seccomp"}))
    with pytest.raises(ExecutionError, match=r"required isolation \['seccomp'\]"):
        run_candidate("x = 1", tests="", limits=fast, policy=policy)
