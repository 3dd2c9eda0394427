"""Start one child in its own session, drain its pipes, enforce the wall clock, kill its whole group."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from codelewm.errors import ExecutionError
from codelewm.execution.capture import PipeDrain, StreamCapture

_CHANNEL_CAP = 256 * 1024
_AFTER_EXIT_DRAIN_S = 1.0
_REAP_TIMEOUT_S = 5.0


@dataclass
class ChildRun:
    """What the parent observed of one child process."""

    returncode: int
    timed_out: bool
    duration_s: float
    stdout: StreamCapture
    stderr: StreamCapture
    messages: list[dict[str, Any]] = field(default_factory=list)


def _kill_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _messages(channel: StreamCapture) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for line in channel.text().splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict):
            messages.append(message)
    return messages


def _start(
    argv: Sequence[str],
    *,
    cwd: str,
    env: dict[str, str],
    out: int,
    err: int,
    pass_fds: tuple[int, ...],
) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            pass_fds=pass_fds,
            start_new_session=True,
        )
    except OSError as exc:
        raise ExecutionError(f"could not start the sandbox child {argv[0]!r}: {exc}") from exc


def _exited_by(proc: subprocess.Popen[bytes], deadline: float) -> bool:
    """Wait (pipes already closed or drained) until the child exits or the deadline passes."""
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return False
    return True


def _terminate(proc: subprocess.Popen[bytes], drain: PipeDrain, grace_s: float) -> None:
    """SIGTERM to the whole group, a grace period (still draining), then SIGKILL."""
    _kill_group(proc.pid, signal.SIGTERM)
    drain.drain(time.monotonic() + grace_s, stop=lambda: proc.poll() is not None)
    _kill_group(proc.pid, signal.SIGKILL)


def run_child(
    argv_before_fd: Sequence[str],
    *,
    cwd: str,
    env: dict[str, str],
    pass_fds: tuple[int, ...] = (),
    wall_s: float,
    grace_s: float,
    output_cap: int,
) -> ChildRun:
    """Run `argv_before_fd + [result channel fd]` with `pass_fds` inherited; never leaves a
    process of its group behind."""
    pipes = [os.pipe() for _ in range(3)]
    (out_r, out_w), (err_r, err_w), (chan_r, chan_w) = pipes
    captures = (StreamCapture(output_cap), StreamCapture(output_cap), StreamCapture(_CHANNEL_CAP))
    drain = PipeDrain(dict(zip((out_r, err_r, chan_r), captures, strict=True)))
    started = time.monotonic()
    try:
        argv = [*argv_before_fd, str(chan_w)]
        fds = (*pass_fds, chan_w)
        proc = _start(argv, cwd=cwd, env=env, out=out_w, err=err_w, pass_fds=fds)
    except ExecutionError:
        drain.close()
        raise
    finally:
        for fd in (out_w, err_w, chan_w):
            os.close(fd)
    try:
        deadline = started + wall_s
        drain.drain(deadline, stop=lambda: proc.poll() is not None)
        timed_out = not _exited_by(proc, deadline)
        if timed_out:
            _terminate(proc, drain, grace_s)
        returncode = proc.wait(timeout=_REAP_TIMEOUT_S)
        duration = time.monotonic() - started
        # Stragglers outside a pid namespace: kill the rest of the group, then read what is left.
        _kill_group(proc.pid, signal.SIGKILL)
        drain.drain(time.monotonic() + _AFTER_EXIT_DRAIN_S)
    finally:
        _kill_group(proc.pid, signal.SIGKILL)
        drain.close()
    stdout, stderr, channel = captures
    return ChildRun(returncode, timed_out, duration, stdout, stderr, _messages(channel))
