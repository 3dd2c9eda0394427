"""Run untrusted candidate code against its tests, one child process per run.

What a run gets (each layer that applied is listed in `ExecutionResult.isolation`, each known
weakness of the run in `ExecutionResult.caveats`):

- `process_group`: its own session; on the wall-clock limit SIGTERM to the whole group, a grace
  period, then SIGKILL; stragglers of the group are killed when the child exits.
- `rlimits`: CPU time, address space, file size, open files, no core files, and process count.
- `tmp_cwd`: a fresh working directory (also HOME and TMPDIR), gone afterwards.
- `scrubbed_env`: an allowlisted environment (PATH, locale, PYTHONHASHSEED=0, thread counts); nothing
  of the caller's environment reaches the child, so no API keys.
- OS layers where this machine allows them (see `isolation.py`, `bwrap.py`); the launcher is the
  strongest one under which a real passing control passes (`selftest.py`): `bwrap` (bubblewrap
  built the mount namespace), `netns` (no route out: only a loopback of its own), `pidns` (every
  process of the run dies with it), `ipcns`, `mountns_proc` (a /proc that shows only the run),
  `private_tmp` (fresh size-capped tmpfs over /tmp, /var/tmp, /dev/shm, holding the working
  directory), `private_run` (a fresh /run: no host Unix sockets there), `private_dev` (a /dev
  without host devices), `readonly_root` (every host file read-only), `uid_drop` (a fresh
  unprivileged uid: RLIMIT_NPROC becomes a real limit and root-owned files read-only),
  `no_new_privs`, `userns`.
- `seccomp`: a syscall filter the harness loads before the candidate runs (`syscall_filter.py`),
  inherited by every process and thread of the run, that no Python code can lift: no execve,
  fork or non-thread clone and no socket at all (unless `Policy.allow_subprocess`: then AF_UNIX
  sockets only), no mknod (FIFOs, devices), no namespaces, mounts, ptrace, io_uring or
  open_by_handle_at; threads and socketpair still work. A denied call fails with EPERM, so such a
  run usually ends as `error`, never as a pass of the denied operation.
- `audit_hook`: a `sys.addaudithook` hook in the child denies sockets (creation but AF_UNIX,
  connect, bind, sendto, name lookups), process creation and signals to other processes (unless
  `Policy.allow_subprocess`), writes, renames, deletions and permission changes outside the working
  directory, and reads of private locations (home directories, /etc/shadow, /etc/ssh, other
  processes' environments); any denial makes the run a `policy_violation`.

What it does NOT protect against:

- Kernel exploits and container escapes: this is not a VM; every layer shares the host kernel, and
  the seccomp filter is a denylist (every syscall it does not name is allowed).
- ctypes or a C extension: they bypass the audit hook entirely (direct syscalls). Then only the OS
  layers hold; where they are missing (see `caveats`), such code can write any file the caller can
  write, and without `seccomp` also start processes and reach the network.
- With `Policy.allow_subprocess`: the candidate may fork and exec any binary it can see (still
  under the filter, the rlimits and the namespaces), and may connect to any host Unix socket it can
  reach: under `private_run` and `private_tmp` those in /run and /tmp are gone, but a socket in any
  other visible directory (and, without `netns`, the abstract namespace) is reachable.
- Reading files: the child can read world-readable files through a bypass of the audit hook (with
  the CAP_DAC_READ_SEARCH caveat: any file); without `mountns_proc` it sees other processes'
  command lines in /proc; /sys is the host's (read-only).
- Without `private_tmp`: writes to world-writable host places (/tmp, /dev/shm) through ctypes or
  through `os.open` with a `dir_fd` (the audit event carries no dir_fd), and no cap on disk use
  beyond RLIMIT_FSIZE per file; without `readonly_root` and `uid_drop`, writes to any file the
  caller can write. Inodes, CPU caches and other side channels are never covered.
- Hostile Python in the same interpreter: the harness and the audit hook live in the candidate's
  process, so deliberately hostile code can find them (e.g. through `gc`), switch the hook's checks
  off or fake the result channel; only the OS layers hold against it. The early-exit checks stop
  accidental passes (`sys.exit(0)`, `os._exit(0)`), not an adversary.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

from codelewm.errors import ExecutionError
from codelewm.execution.config import Limits, Policy, TestKind
from codelewm.execution.isolation import Launcher
from codelewm.execution.launch import BASE_LAYERS, SandboxJob, run_with
from codelewm.execution.result import ExecutionResult
from codelewm.execution.selftest import select_launcher
from codelewm.execution.syscall_filter import filter_program

__all__ = ["SandboxJob", "run_candidate", "run_job", "run_many"]


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
    seccomp = filter_program(allow_subprocess=policy.allow_subprocess).bpf is not None
    applied = {*BASE_LAYERS, *launcher.isolation, "audit_hook", *(["seccomp"] if seccomp else [])}
    missing = sorted(policy.required_isolation - applied)
    if missing or ("audit_hook" in policy.required_isolation and not policy.audit_hook):
        raise ExecutionError(
            f"required isolation {missing or ['audit_hook']} is not available here "
            f"(launcher {launcher.name!r}: {', '.join(launcher.caveats) or 'no caveats'})",
            remediation="Run as root or allow user namespaces, install bubblewrap, util-linux "
            "(unshare, setpriv) and pyseccomp with libseccomp, or relax Policy.required_isolation.",
        )
    return python, launcher


def _run_once(job: SandboxJob, limits: Limits, policy: Policy) -> ExecutionResult:
    python, launcher = _launcher_for(policy)
    return run_with(job, limits=limits, policy=policy, launcher=launcher, python=python)
