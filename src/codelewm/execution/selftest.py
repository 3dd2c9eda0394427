"""Pick the launcher: the strongest one under which a real passing control passes.

The control is an ordinary job run through the harness exactly as candidates are (spec, bootstrap,
rlimits, syscall filter, audit hook), and its tests also check from inside that the layers the
launcher claims are there. A launcher that cannot start the interpreter, hides the bootstrap (a
package installed under /tmp behind a private /tmp), or lacks a layer it claims, fails the control
and is skipped; every skipped stronger launcher is named in the chosen one's caveats.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import threading

from codelewm.errors import ExecutionError
from codelewm.execution.config import Limits, Policy
from codelewm.execution.isolation import Launcher, candidate_launchers, fallback
from codelewm.execution.launch import SandboxJob, run_with
from codelewm.execution.result import ExecutionResult, ExecutionStatus
from codelewm.execution.syscall_filter import filter_program

_CONTROL_LIMITS = Limits(wall_s=15.0, cpu_s=5, memory_mb=512, disk_mb=1, max_processes=4)
_CONTROL_PROGRAM = "import os, sys\nprint(sys.version)\n\ndef f():\n    return 1\n"
_LAYER_CHECKS = {
    "seccomp": "assert 'Seccomp:\\t2' in open('/proc/self/status').read(), 'no seccomp filter'",
    "private_tmp": "assert os.statvfs('/tmp').f_blocks * os.statvfs('/tmp').f_frsize <= 2**20",
    "private_run": "assert os.statvfs('/run').f_blocks * os.statvfs('/run').f_frsize <= 2**20",
    "readonly_root": "assert os.statvfs('/usr').f_flag & os.ST_RDONLY, '/usr is writable'",
    "uid_drop": "assert os.getuid() != 0 and os.geteuid() != 0, 'still root'",
}
_MAX_REASON_CHARS = 240
_lock = threading.Lock()


def control_job(layers: tuple[str, ...]) -> SandboxJob:
    """The passing control, checking `layers` from inside the run."""
    checks = [_LAYER_CHECKS[layer] for layer in layers if layer in _LAYER_CHECKS]
    tests = "\n".join(["assert f() == 1", *checks])
    return SandboxJob(_CONTROL_PROGRAM, tests, job_id="codelewm-self-test")


def self_test(launcher: Launcher, python: str) -> ExecutionResult:
    """The control's result under `launcher` (its stdout's first line is the child's version)."""
    seccomp = filter_program(allow_subprocess=False).bpf is not None
    layers = (*launcher.isolation, *(["seccomp"] if seccomp else []))
    policy = Policy(python=python)
    job = control_job(layers)
    return run_with(job, limits=_CONTROL_LIMITS, policy=policy, launcher=launcher, python=python)


def _refusal(result: ExecutionResult) -> str | None:
    if result.status is ExecutionStatus.PASSED:
        return None
    why = result.detail or "no detail"
    if stderr := result.stderr.strip().splitlines():
        why += f" ({stderr[-1]})"
    return f"{result.status.value}: {why}"[:_MAX_REASON_CHARS]


def _version_caveat(result: ExecutionResult, python: str) -> str | None:
    """When the sandbox uid cannot read the interpreter's own directory, the binary may still start
    and fall back to another standard library of the same name (pyenv under /root falls back to
    /usr/lib/python3.11); say so when the child's version differs from the caller's."""
    version = result.stdout.splitlines()[0] if result.stdout else ""
    if python != sys.executable or version == sys.version:
        return None
    return f"the child runs Python {version.split()[0]}, the caller {sys.version.split()[0]}"


@functools.cache
def _select(python: str) -> Launcher:
    refused: list[str] = []
    for launcher in candidate_launchers(python):
        try:
            result = self_test(launcher, python)
        except ExecutionError as exc:  # the launcher itself (or the interpreter) cannot start
            refused.append(f"{launcher.name} ({exc.message})"[:_MAX_REASON_CHARS])
            continue
        reason = _refusal(result)
        if reason is not None:
            refused.append(f"{launcher.name} ({reason})")
            continue
        notes = [_version_caveat(result, python)]
        if refused:
            notes.append("the self-test refused stronger launchers: " + "; ".join(refused))
        extra = tuple(note for note in notes if note)
        return dataclasses.replace(launcher, caveats=(*launcher.caveats, *extra))
    plain = fallback()
    failed = "the self-test failed under every launcher: " + "; ".join(refused)
    return dataclasses.replace(plain, caveats=(*plain.caveats, failed))


def select_launcher(python: str) -> Launcher:
    """The strongest launcher whose self-test passes for `python` (tested once per interpreter)."""
    with _lock:
        return _select(python)
