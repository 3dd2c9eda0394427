"""Run untrusted candidate code against its tests, one child process per run.

What a run gets (each layer that applied is listed in `ExecutionResult.isolation`, each known
weakness of the run in `ExecutionResult.caveats`):

- `process_group`: its own session; on the wall-clock limit SIGTERM to the whole group, a grace
  period, then SIGKILL; stragglers of the group are killed when the child exits.
- `rlimits`: CPU time, address space, file size, open files, no core files, and process count.
- `tmp_cwd`: a fresh working directory (also HOME and TMPDIR), gone afterwards.
- `scrubbed_env`: an allowlisted environment (PATH, locale, PYTHONHASHSEED=0, thread counts); nothing
  of the caller's environment reaches the child, so no API keys.
- OS layers where this machine allows them (see `isolation.py`): `netns` (no network at all),
  `pidns` (every process of the run dies with it), `mountns_proc` (a /proc that shows only the run),
  `private_tmp` (fresh size-capped tmpfs over /tmp, /var/tmp, /dev/shm, holding the working
  directory), `uid_drop` (a fresh unprivileged uid: RLIMIT_NPROC becomes a real limit and
  root-owned files read-only), `no_new_privs`, `userns`.
- `audit_hook`: a `sys.addaudithook` hook in the child denies sockets (connect, bind, sendto, name
  lookups), process creation and signals to other processes (unless `Policy.allow_subprocess`),
  writes, renames, deletions and permission changes outside the working directory, and reads of
  private locations (home directories, /etc/shadow, /etc/ssh, other processes' environments); any
  denial makes the run a `policy_violation`.

What it does NOT protect against:

- Kernel exploits and container escapes: this is not a VM; every layer shares the host kernel.
- ctypes or a C extension: they bypass the audit hook entirely (direct syscalls). Then only the OS
  layers hold; where they are missing (see `caveats`), such code can reach the network and write
  any file the caller can write.
- Reading files: the child can read world-readable files through a bypass of the audit hook (with
  the CAP_DAC_READ_SEARCH caveat: any file); without `mountns_proc` it sees other processes'
  command lines in /proc.
- Without `private_tmp`: writes to world-writable host places (/tmp, /dev/shm) through ctypes or
  through `os.open` with a `dir_fd` (the audit event carries no dir_fd), and no cap on disk use
  beyond RLIMIT_FSIZE per file. Inodes, CPU caches and other side channels are never covered.
- Hostile Python in the same interpreter: the harness and the audit hook live in the candidate's
  process, so deliberately hostile code can find them (e.g. through `gc`), switch the hook's checks
  off or fake the result channel; only the OS layers hold against it. The early-exit checks stop
  accidental passes (`sys.exit(0)`, `os._exit(0)`), not an adversary.
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
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codelewm.artifacts.redact import redact
from codelewm.errors import ExecutionError
from codelewm.execution.config import Limits, Policy, TestKind
from codelewm.execution.isolation import PRIVATE_WORKDIR, Launcher, select_launcher
from codelewm.execution.result import ExecutionResult, ExecutionStatus
from codelewm.execution.supervise import ChildRun, run_child

_BOOTSTRAP = Path(__file__).with_name("_bootstrap.py")
_SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
_UID_BASE = 1_000_000_000
_UID_SPAN = 1_000_000_000
_BASE_LAYERS = ("process_group", "rlimits", "tmp_cwd", "scrubbed_env")
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


def run_candidate(
    program: str,
    *,
    tests: str,
    kind: TestKind = TestKind.SCRIPT,
    entry_point: str | None = None,
    limits: Limits | None = None,
    policy: Policy | None = None,
    double_run: bool = False,
    job_id: str | None = None,
) -> ExecutionResult:
    """Run `program`, then `tests` in its namespace, in a fresh sandboxed child process.

    With `double_run` the job runs twice and `deterministic` says whether both runs agreed on the
    status and on the whole stdout stream (the first run's result is returned).
    Raises `ExecutionError` only when the sandbox itself cannot run.
    """
    job = SandboxJob(program, tests, kind, entry_point, job_id)
    return run_job(job, limits=limits or Limits(), policy=policy or Policy(), double_run=double_run)


def run_job(
    job: SandboxJob, *, limits: Limits, policy: Policy, double_run: bool = False
) -> ExecutionResult:
    """`run_candidate` for a prepared job."""
    first = _run_once(job, limits, policy)
    if not double_run:
        return first
    second = _run_once(job, limits, policy)
    differs = [
        name
        for name, same in (
            ("status", first.status == second.status),
            ("stdout", first.stdout_sha256 == second.stdout_sha256),
        )
        if not same
    ]
    return first.model_copy(update={"deterministic": not differs, "nondeterminism": differs})


def run_many(
    jobs: Iterable[SandboxJob],
    *,
    limits: Limits | None = None,
    policy: Policy | None = None,
    workers: int = 1,
    double_run: bool = False,
) -> Iterator[ExecutionResult]:
    """Run jobs on a small pool of worker threads (one child each); yields results in job order."""
    if workers < 1:
        raise ExecutionError("workers must be at least 1", remediation="Pass workers >= 1.")
    resolved_limits, resolved_policy = limits or Limits(), policy or Policy()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="codelewm-sandbox")
    try:
        futures = [
            pool.submit(
                run_job,
                job,
                limits=resolved_limits,
                policy=resolved_policy,
                double_run=double_run,
            )
            for job in jobs
        ]
        for future in futures:
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _launcher_for(policy: Policy) -> tuple[str, Launcher]:
    python = policy.python or sys.executable
    launcher = select_launcher(python)
    if policy.allow_subprocess and not launcher.enforces_nproc:
        raise ExecutionError(
            "allow_subprocess needs a process-count limit, which this machine cannot enforce "
            f"(launcher {launcher.name!r}: running as root without setpriv)",
            remediation="Run without allow_subprocess, or install util-linux's setpriv.",
        )
    missing = sorted(policy.required_isolation - {*_BASE_LAYERS, *launcher.isolation, "audit_hook"})
    if missing or ("audit_hook" in policy.required_isolation and not policy.audit_hook):
        raise ExecutionError(
            f"required isolation {missing or ['audit_hook']} is not available here "
            f"(launcher {launcher.name!r}: {', '.join(launcher.caveats) or 'no caveats'})",
            remediation="Run as root or allow user namespaces, install util-linux (unshare, "
            "setpriv), or relax Policy.required_isolation.",
        )
    return python, launcher


def _run_once(job: SandboxJob, limits: Limits, policy: Policy) -> ExecutionResult:
    python, launcher = _launcher_for(policy)
    uid = _UID_BASE + secrets.randbelow(_UID_SPAN) if launcher.drops_uid else os.getuid()
    try:
        with _workdir(launcher, uid) as (workdir, host_cwd), tempfile.TemporaryFile() as spec:
            spec.write(json.dumps(_spec(job, workdir, limits, policy, launcher)).encode("utf-8"))
            spec.seek(0)
            prefix = launcher.argv(uid=uid, workdir=workdir, disk_mb=limits.disk_mb)
            flags = _python_flags(policy)
            child = run_child(
                [*prefix, python, *flags, str(_BOOTSTRAP), str(spec.fileno())],
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
    return _result(job, child, launcher, limits, policy)


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
    job: SandboxJob, workdir: str, limits: Limits, policy: Policy, launcher: Launcher
) -> dict[str, Any]:
    return {
        "program": job.program,
        "tests": job.tests,
        "kind": job.kind.value,
        "entry_point": job.entry_point,
        "workdir": workdir,
        "allow_subprocess": policy.allow_subprocess,
        "audit_hook": policy.audit_hook,
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
    job: SandboxJob, child: ChildRun, launcher: Launcher, limits: Limits, policy: Policy
) -> ExecutionResult:
    report = next((m for m in child.messages if m.get("event") == "result"), None)
    exits = [m["exit_code"] for m in child.messages if m.get("event") == "exit"]
    exit_code = exits[0] if exits and isinstance(exits[0], int) else child.returncode
    violations = [
        redact(str(m.get("reason", ""))) for m in child.messages if m.get("event") == "violation"
    ]
    status, detail = _classify(child, report, exit_code, violations, limits)
    isolation = [*_BASE_LAYERS, *launcher.isolation]
    if policy.audit_hook:
        isolation.append("audit_hook")
    counts = report or {}
    return ExecutionResult(
        job_id=job.job_id,
        status=status,
        detail=redact(detail),
        isolation=isolation,
        caveats=list(launcher.caveats),
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
