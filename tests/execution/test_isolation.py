"""Launcher selection, the plain fallback where no OS layer is allowed, and limit scaling."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from codelewm.errors import ExecutionError
from codelewm.execution import ExecutionStatus, Limits, Policy, isolation, run_candidate, sandbox
from codelewm.execution.isolation import Launcher


def test_launchers_are_ordered_strongest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    names = [launcher.name for launcher in isolation.candidate_launchers()]
    if os.geteuid() == 0:
        assert names == [
            "namespaces+tmpfs+uid_drop",  # the sandbox uid starts the interpreter
            "namespaces+tmpfs+uid_drop",  # ... only with CAP_DAC_READ_SEARCH
            "namespaces+uid_drop",
            "namespaces+uid_drop",
            "uid_drop",
            "uid_drop",
            "namespaces",
            "plain",
        ]
    else:
        assert names == ["user_namespaces+tmpfs", "user_namespaces", "plain"]


def test_the_strongest_launcher_is_chosen_where_the_kernel_allows_it() -> None:
    tools = [shutil.which(name) for name in ("unshare", "setpriv", "sh", "mount")]
    if not all(tools):
        pytest.skip("util-linux tools missing")
    allowed = subprocess.run(
        [str(tools[0]), *(["--user", "--map-root-user"] if os.geteuid() else []), "--net", "true"],
        capture_output=True,
        check=False,
    )
    if allowed.returncode != 0:
        pytest.skip("this kernel refuses namespaces")
    launcher = isolation.select_launcher(sys.executable)
    candidates = isolation.candidate_launchers()
    masked = ("/tmp/", "/var/tmp/", "/dev/shm/")
    if sys.executable.startswith(masked) or sys.prefix.startswith(masked):
        # The private tmpfs mounts hide an interpreter (a venv) that lives under /tmp, so the
        # strongest launcher that can still start it is the best one without private_tmp.
        assert launcher.name == next(c.name for c in candidates if not c.private_tmp)
    else:
        assert launcher.name == candidates[0].name
        assert "private_tmp" in launcher.isolation


def test_without_unshare_or_setpriv_only_the_plain_launcher_is_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    (plain,) = isolation.candidate_launchers()
    assert (plain.name, plain.isolation, plain.prefix) == ("plain", (), ())
    assert plain.enforces_nproc is (os.geteuid() != 0)
    assert "network is denied by the audit hook only" in plain.caveats[0]


def test_probe_refuses_an_interpreter_that_does_not_start() -> None:
    launcher = isolation.select_launcher.__wrapped__("/nonexistent/python")
    assert launcher.name == "plain"


@pytest.fixture
def plain(monkeypatch: pytest.MonkeyPatch) -> Launcher:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    launcher = isolation.candidate_launchers()[-1]
    monkeypatch.setattr(sandbox, "select_launcher", lambda python: launcher)
    return launcher


def test_plain_fallback_still_runs_and_denies_by_audit_hook(plain: Launcher, fast: Limits) -> None:
    ok = run_candidate("x = 1", tests="assert x == 1", limits=fast)
    net = run_candidate("import socket\nsocket.socket().connect(('127.0.0.1', 9))", tests="")
    assert ok.status is ExecutionStatus.PASSED
    assert ok.isolation == ["process_group", "rlimits", "tmp_cwd", "scrubbed_env", "audit_hook"]
    assert ok.caveats == list(plain.caveats)
    assert net.status is ExecutionStatus.POLICY_VIOLATION


def test_plain_fallback_as_root_refuses_subprocesses(plain: Launcher, fast: Limits) -> None:
    if plain.enforces_nproc:
        pytest.skip("not root: RLIMIT_NPROC applies to the caller's uid")
    with pytest.raises(ExecutionError, match="process-count limit"):
        run_candidate("x = 1", tests="", limits=fast, policy=Policy(allow_subprocess=True))


def test_this_machine_reports_its_layers(launcher: Launcher, fast: Limits) -> None:
    result = run_candidate("x = 1", tests="", limits=fast)
    assert result.isolation == [
        "process_group",
        "rlimits",
        "tmp_cwd",
        "scrubbed_env",
        *launcher.isolation,
        "audit_hook",
    ]
    assert result.caveats == list(launcher.caveats)
    assert launcher is isolation.select_launcher(sys.executable)


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
    policy = Policy(required_isolation=frozenset({"audit_hook", *launcher.isolation}))
    result = run_candidate("x = 1", tests="", limits=fast, policy=policy)
    assert result.status is ExecutionStatus.PASSED
