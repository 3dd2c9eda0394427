"""One sandbox run under a given launcher: spec, environment, workdir, child, typed result.

The result lists the layers that applied (the launcher's, `seccomp` where the filter was loaded)
and the caveats of those that did not.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import resource
import secrets
import shutil
import signal
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from codelewm.artifacts.redact import redact
from codelewm.execution.config import Limits, Policy, TestKind
from codelewm.execution.isolation import BOOTSTRAP, PRIVATE_WORKDIR, Launcher
from codelewm.execution.result import ExecutionResult, ExecutionStatus
from codelewm.execution.supervise import ChildRun, run_child
from codelewm.execution.syscall_filter import FilterProgram, filter_program

BASE_LAYERS = ("process_group", "rlimits", "tmp_cwd", "scrubbed_env")
_SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
_UID_BASE = 1_000_000_000
_UID_SPAN = 1_000_000_000
_PRIVATE_READ_ROOTS = ("/root", "/home", "/etc/shadow", "/etc/gshadow", "/etc/ssh")
_HARNESS_PROCESSES = 2  # the namespace init and the harness itself
_MB = 1024 * 1024


@dataclass(frozen=True)
class SandboxJob:
    """One candidate program and the tests it must pass."""

    program: str
    tests: str
    kind: TestKind = TestKind.SCRIPT
    entry_point: str | None = None
    job_id: str | None = None


def seccomp_caveats(program: FilterProgram) -> tuple[str, ...]:
    """The caveat of a run without the syscall filter."""
    if program.bpf is not None:
        return ()
    return (
        f"no seccomp filter ({program.unavailable}): process creation and sockets are denied "
        "by the audit hook only, which ctypes and _posixsubprocess bypass, and nothing denies "
        "mkfifo or mknod",
    )


def run_with(
    job: SandboxJob, *, limits: Limits, policy: Policy, launcher: Launcher, python: str
) -> ExecutionResult:
    """Run `job` once with `python` under `launcher`, with the syscall filter where it exists."""
    uid = _UID_BASE + secrets.randbelow(_UID_SPAN) if launcher.drops_uid else os.getuid()
    program = filter_program(allow_subprocess=policy.allow_subprocess)
    try:
        with _workdir(launcher, uid) as (workdir, host_cwd), tempfile.TemporaryFile() as spec:
            text = json.dumps(_spec(job, workdir, limits, policy, launcher, program))
            spec.write(text.encode("utf-8"))
            spec.seek(0)
            prefix = launcher.argv(uid=uid, workdir=workdir, disk_mb=limits.disk_mb)
            child = run_child(
                [*prefix, python, *_python_flags(policy), BOOTSTRAP, str(spec.fileno())],
                cwd=host_cwd,
                env=_environment(workdir, policy),
                pass_fds=(spec.fileno(),),
                wall_s=limits.wall_s,
                grace_s=limits.grace_s,
                output_cap=limits.max_output_bytes,
            )
    finally:
        if launcher.drops_uid and not launcher.pid_namespace:
            _kill_uid(uid)
    return _result(job, child, launcher, program, limits, policy)


@contextlib.contextmanager
def _workdir(launcher: Launcher, uid: int) -> Iterator[tuple[str, str]]:
    """(the working directory as the child sees it, the directory the launcher starts in).

    With `private_tmp` the launcher's stage creates it on the run's own tmpfs, which vanishes with
    the mount namespace; otherwise it is a fresh host directory, removed afterwards.
    """
    if launcher.private_tmp:
        yield PRIVATE_WORKDIR, "/"
        return
    host = tempfile.mkdtemp(prefix="codelewm-sandbox-")
    try:
        if launcher.drops_uid:
            os.chown(host, uid, uid)
        yield host, host
    finally:
        shutil.rmtree(host, onerror=_make_removable)


def _python_flags(policy: Policy) -> list[str]:
    # No -E/-I: the environment is already an allowlist, and -E would drop PYTHONHASHSEED.
    flags = ["-s", "-P", "-B"]
    return flags if policy.site_packages else [*flags, "-S"]


def _environment(workdir: str, policy: Policy) -> dict[str, str]:
    env = {
        "PATH": _SAFE_PATH,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": workdir,
        "TMPDIR": workdir,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }
    return {**env, **policy.extra_env}


def _process_limit(limits: Limits, launcher: Launcher) -> int:
    if launcher.drops_uid:
        return limits.max_processes + _HARNESS_PROCESSES
    if launcher.enforces_nproc:  # the caller's own uid: count what it already runs
        return _count_processes(os.getuid()) + limits.max_processes + _HARNESS_PROCESSES
    return resource.getrlimit(resource.RLIMIT_NPROC)[1]  # root: not enforced anyway


def _spec(
    job: SandboxJob,
    workdir: str,
    limits: Limits,
    policy: Policy,
    launcher: Launcher,
    program: FilterProgram,
) -> dict[str, Any]:
    return {
        "program": job.program,
        "tests": job.tests,
        "kind": job.kind.value,
        "entry_point": job.entry_point,
        "workdir": workdir,
        "allow_subprocess": policy.allow_subprocess,
        "audit_hook": policy.audit_hook,
        "seccomp_bpf": program.bpf.hex() if program.bpf is not None else None,
        "read_denied": sorted({*_home_dirs(), *_PRIVATE_READ_ROOTS}),
        "limits": {
            "cpu_s": limits.cpu_s,
            "memory_bytes": limits.memory_mb * _MB,
            "file_size_bytes": limits.file_size_mb * _MB,
            "nproc": _process_limit(limits, launcher),
            "open_files": limits.open_files,
        },
    }


def _home_dirs() -> list[str]:
    """The caller's home directory (from the password database; a uid may have no entry)."""
    try:
        return [pwd.getpwuid(os.getuid()).pw_dir]
    except KeyError:
        return []


def _result(
    job: SandboxJob,
    child: ChildRun,
    launcher: Launcher,
    program: FilterProgram,
    limits: Limits,
    policy: Policy,
) -> ExecutionResult:
    report = next((m for m in child.messages if m.get("event") == "result"), None)
    exits = [m["exit_code"] for m in child.messages if m.get("event") == "exit"]
    exit_code = exits[0] if exits and isinstance(exits[0], int) else child.returncode
    violations = [
        redact(str(m.get("reason", ""))) for m in child.messages if m.get("event") == "violation"
    ]
    status, detail = _classify(child, report, exit_code, violations, limits)
    isolation = [*BASE_LAYERS, *launcher.isolation]
    if program.bpf is not None:
        isolation.append("seccomp")
    if policy.audit_hook:
        isolation.append("audit_hook")
    counts = report or {}
    return ExecutionResult(
        job_id=job.job_id,
        status=status,
        detail=redact(detail),
        isolation=isolation,
        caveats=[*launcher.caveats, *seccomp_caveats(program)],
        duration_s=round(child.duration_s, 4),
        exit_code=exit_code,
        signal=_signal_name(-exit_code) if exit_code < 0 else None,
        tests_run=_int_or_none(counts.get("tests_run")),
        failures=_int_or_none(counts.get("failures")),
        errors=_int_or_none(counts.get("errors")),
        violations=violations,
        stdout=redact(child.stdout.text()),
        stderr=redact(child.stderr.text()),
        stdout_bytes=child.stdout.total,
        stderr_bytes=child.stderr.total,
        stdout_truncated=child.stdout.truncated,
        stderr_truncated=child.stderr.truncated,
        stdout_sha256=child.stdout.sha256,
        limits=limits,
        policy=policy,
    )


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _classify(
    child: ChildRun,
    report: dict[str, Any] | None,
    exit_code: int,
    violations: list[str],
    limits: Limits,
) -> tuple[ExecutionStatus, str]:
    """The status rules documented on `ExecutionStatus`, in order."""
    if violations or (report and report.get("violations")):
        return ExecutionStatus.POLICY_VIOLATION, violations[0] if violations else "denied"
    if child.timed_out:
        return ExecutionStatus.TIMEOUT, f"wall-clock limit of {limits.wall_s}s reached"
    reported = _reported_status(report)
    if reported is not None and exit_code == 0:
        return reported, str(report.get("detail", "")) if report else ""
    if exit_code < 0:
        if -exit_code == signal.SIGXCPU:
            return ExecutionStatus.TIMEOUT, f"CPU limit of {limits.cpu_s}s reached (SIGXCPU)"
        return ExecutionStatus.KILLED, f"killed by {_signal_name(-exit_code)}"
    if reported is not None and reported is not ExecutionStatus.PASSED:
        return reported, str(report.get("detail", "")) if report else ""
    return ExecutionStatus.ERROR, f"exited with code {exit_code} before the tests finished"


def _reported_status(report: dict[str, Any] | None) -> ExecutionStatus | None:
    allowed = {"passed", "failed", "error", "memory"}
    status = report.get("status") if report else None
    return ExecutionStatus(status) if status in allowed else None


def _count_processes(uid: int) -> int:
    return sum(1 for _ in _pids_of(uid))


def _pids_of(uid: int) -> Iterator[int]:
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if os.stat(entry.path).st_uid == uid:
                yield int(entry.name)
        except OSError:
            continue


def _kill_uid(uid: int) -> None:
    """Without a pid namespace, processes that left the group still carry the sandbox uid."""
    for _ in range(3):
        pids = list(_pids_of(uid))
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue


def _make_removable(func: Callable[..., Any], path: str, _exc: Any) -> None:
    """rmtree helper: a candidate may have removed permissions from its own files."""
    parent = os.path.dirname(path)
    for target in (parent, path):
        try:
            os.chmod(target, stat.S_IRWXU)
        except OSError:
            continue
    with contextlib.suppress(OSError):
        func(path)
