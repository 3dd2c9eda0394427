"""The harness inside the sandbox child: limits, seccomp, audit hook, candidate, tests, one report.

Executed as a script by `sandbox.py` (`python -s -P -B [-S] _bootstrap.py SPEC_FD RESULT_FD`), never
imported by the parent, so it uses the standard library only. It reads the spec from an inherited,
unlinked file and closes it, then:

- as pid 1 of a fresh pid namespace it forks once and stays the namespace's init: it reaps every
  orphan and, when the harness child ends, reports the child's exit status on the result channel
  (its exit then tears the whole namespace down);
- the harness process sets its rlimits, loads the seccomp filter the parent built (`syscall_filter.py`;
  a filter that does not load fails the run), installs the audit hook, executes the candidate and the
  tests in one module namespace and reports exactly one `result` message on the result channel.

The result channel is a pipe inherited from the parent, written as JSON lines:
`{"event": "violation", ...}` as soon as the audit hook denies something (so a later timeout still
shows it), `{"event": "result", "status": ...}` from the harness, `{"event": "exit", ...}` from init.
Code forked by the candidate may report violations but never a result.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import resource
import signal
import sys
import traceback
import types
import unittest
from typing import Any, NoReturn

_MAX_VIOLATION_MESSAGES = 20
_MAX_DETAIL_CHARS = 2000
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_NETWORK_EVENTS = frozenset(
    {
        "socket.connect",
        "socket.bind",
        "socket.sendto",
        "socket.sendmsg",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "socket.getnameinfo",
    }
)
_PROCESS_EVENTS = frozenset(
    {
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "subprocess.Popen",
        "pty.spawn",
    }
)
_OTHER_ENVIRON = re.compile(r"/proc/\d+/(?:environ|mem)")
_ALWAYS_DENIED = frozenset({"resource.setrlimit", "resource.prlimit"})
# event -> ((index of a path argument, index of its dir_fd argument or -1), ...)
_PATH_EVENTS: dict[str, tuple[tuple[int, int], ...]] = {
    "os.remove": ((0, 1),),
    "os.rmdir": ((0, 1),),
    "os.mkdir": ((0, 2),),
    "os.rename": ((0, 2), (1, 3)),
    "os.link": ((0, 2), (1, 3)),
    "os.symlink": ((1, 2),),
    "os.truncate": ((0, -1),),
    "os.chmod": ((0, 2),),
    "os.chown": ((0, 3),),
    "os.utime": ((0, 3),),
    "os.setxattr": ((0, -1),),
    "os.removexattr": ((0, -1),),
    "shutil.rmtree": ((0, 1),),
    "shutil.copyfile": ((1, -1),),
    "shutil.copytree": ((1, -1),),
    "shutil.move": ((0, -1), (1, -1)),
    "shutil.chown": ((0, -1),),
    "shutil.unpack_archive": ((1, -1),),
    "sqlite3.connect": ((0, -1),),
}
_SIGNAL_EVENTS = frozenset({"os.kill", "os.killpg", "signal.pthread_kill"})
_LOCAL_SOCKET_FAMILIES = (1, -1)  # AF_UNIX; -1: wrapping an existing descriptor (socketpair)
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_BPF_INSTRUCTION_BYTES = 8


class Channel:
    """JSON lines to the parent; only the harness process may report the result."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.harness_pid = os.getpid()
        self.violations = 0

    def send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(OSError, ValueError, MemoryError):
            os.write(self.fd, (json.dumps(message) + "\n").encode("utf-8", "replace"))

    def violation(self, reason: str) -> None:
        self.violations += 1
        if self.violations <= _MAX_VIOLATION_MESSAGES:
            self.send({"event": "violation", "reason": reason, "pid": os.getpid()})

    def result(self, outcome: dict[str, Any]) -> None:
        if os.getpid() == self.harness_pid:
            self.send({"event": "result", **outcome})


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _resolve(path: Any, dir_fd: Any) -> str | None:
    """Absolute real path of a path argument; None for file descriptors."""
    if isinstance(path, int):
        return None
    text = os.fsdecode(os.fspath(path))
    if not os.path.isabs(text) and isinstance(dir_fd, int) and dir_fd >= 0:
        text = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), text)
    return os.path.realpath(text)


class Guard:
    """The audit hook: denies network, process creation (unless allowed), writes outside the
    working directory and reads of private locations; every denial is reported at once."""

    def __init__(self, spec: dict[str, Any], channel: Channel) -> None:
        self.channel = channel
        self.allow_subprocess = bool(spec["allow_subprocess"])
        workdir = os.path.realpath(spec["workdir"])
        self.write_roots = (workdir, "/dev/null")
        self.read_denied = tuple(os.path.realpath(p) for p in spec["read_denied"])
        allowed = [sys.prefix, sys.base_prefix, sys.exec_prefix, workdir, *sys.path]
        self.read_allowed = tuple(os.path.realpath(p) for p in allowed if p)

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        reason = self.check(event, args)
        if reason is not None:
            self.channel.violation(reason)
            raise PermissionError(f"denied by the codelewm sandbox: {reason}")

    def check(self, event: str, args: tuple[Any, ...]) -> str | None:
        if event in _NETWORK_EVENTS:
            return f"{event} (network is denied)"
        if event == "socket.__new__" and args[1] not in _LOCAL_SOCKET_FAMILIES:
            return f"{event} family {args[1]} (network is denied)"
        if event in _ALWAYS_DENIED or (event in _PROCESS_EVENTS and not self.allow_subprocess):
            return f"{event} (denied)"
        if event == "open":
            return self._check_open(args)
        if event in _SIGNAL_EVENTS and not self.allow_subprocess and not self._own(event, args):
            return f"{event} {args[0]} (signals to other processes are denied)"
        for path_index, fd_index in _PATH_EVENTS.get(event, ()):
            dir_fd = args[fd_index] if 0 <= fd_index < len(args) else None
            path = _resolve(args[path_index], dir_fd) if path_index < len(args) else None
            if path is not None and not _inside(path, self.write_roots):
                return f"{event} {path} (outside the working directory)"
        return None

    @staticmethod
    def _own(event: str, args: tuple[Any, ...]) -> bool:
        target = args[0] if args else None
        if event == "os.killpg":
            return target == os.getpgid(0)
        if event == "signal.pthread_kill":
            return True  # threads of this process
        return target in (0, os.getpid())

    def _check_open(self, args: tuple[Any, ...]) -> str | None:
        path = _resolve(args[0], None)
        if path is None:
            return None
        mode, flags = args[1], args[2] if len(args) > 2 else 0
        writes = bool(flags & _WRITE_FLAGS) or (
            isinstance(mode, str) and any(c in mode for c in "wax+")
        )
        if writes and not _inside(path, self.write_roots):
            return f"open {path} for writing (outside the working directory)"
        if _inside(path, self.read_denied) and not _inside(path, self.read_allowed):
            return f"open {path} (private location)"
        if _OTHER_ENVIRON.fullmatch(path) and path != f"/proc/{os.getpid()}/environ":
            return f"open {path} (another process's environment)"
        return None


def _set_limits(limits: dict[str, int]) -> None:
    pairs = {
        resource.RLIMIT_CPU: (limits["cpu_s"], limits["cpu_s"] + 1),
        resource.RLIMIT_AS: (limits["memory_bytes"], limits["memory_bytes"]),
        resource.RLIMIT_FSIZE: (limits["file_size_bytes"], limits["file_size_bytes"]),
        resource.RLIMIT_NPROC: (limits["nproc"], limits["nproc"]),
        resource.RLIMIT_NOFILE: (limits["open_files"], limits["open_files"]),
        resource.RLIMIT_CORE: (0, 0),
    }
    for which, (soft, hard) in pairs.items():
        resource.setrlimit(which, (soft, hard))
    # A file past RLIMIT_FSIZE then fails with an OSError instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _load_syscall_filter(program_hex: str) -> None:
    """Load the parent's seccomp-BPF program for this process and all it starts (irreversible).

    The harness is single-threaded here, so the per-thread prctl covers the whole run.
    """
    import ctypes

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    program = bytes.fromhex(program_hex)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // _BPF_INSTRUCTION_BYTES, ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    ulong = ctypes.c_ulong
    calls: tuple[tuple[int, Any, Any], ...] = (
        (_PR_SET_NO_NEW_PRIVS, ulong(1), ulong(0)),
        (_PR_SET_SECCOMP, ulong(_SECCOMP_MODE_FILTER), ctypes.byref(fprog)),
    )
    for option, arg2, arg3 in calls:
        if libc.prctl(ctypes.c_int(option), arg2, arg3, ulong(0), ulong(0)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"prctl({option}) refused the seccomp filter: {os.strerror(err)}")


def _describe(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:_MAX_DETAIL_CHARS]


def _outcome(status: str, detail: str = "", counts: dict[str, int] | None = None) -> dict[str, Any]:
    return {"status": status, "detail": detail, **(counts or {})}


def _run_unittest(module: types.ModuleType) -> dict[str, Any]:
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=1)
    result = runner.run(suite)
    counts = {
        "tests_run": result.testsRun,
        "failures": len(result.failures),
        "errors": len(result.errors),
    }
    if result.testsRun == 0:
        return _outcome("error", "no unittest.TestCase tests were found", counts)
    if any(text.rstrip().splitlines()[-1].startswith("MemoryError") for _, text in result.errors):
        return _outcome("memory", "a test raised MemoryError", counts)
    if result.errors:
        last = result.errors[0][1].rstrip().splitlines()[-1]
        return _outcome("error", last[:_MAX_DETAIL_CHARS], counts)
    if result.failures or result.unexpectedSuccesses:
        last = result.failures[0][1].rstrip().splitlines()[-1] if result.failures else ""
        return _outcome("failed", last[:_MAX_DETAIL_CHARS], counts)
    return _outcome("passed", "", counts)


def _run_tests(spec: dict[str, Any], module: types.ModuleType) -> dict[str, Any]:
    namespace = module.__dict__
    exec(compile(spec["program"], "<candidate>", "exec"), namespace)
    exec(compile(spec["tests"], "<tests>", "exec"), namespace)
    if spec["kind"] == "unittest":
        return _run_unittest(module)
    entry_point = spec["entry_point"]
    if entry_point is not None:
        if entry_point not in namespace:
            return _outcome("error", f"entry point {entry_point!r} is not defined")
        if "check" not in namespace:
            return _outcome("error", "the tests define no check(candidate) function")
        namespace["check"](namespace[entry_point])
    return _outcome("passed")


def _guarded_run(spec: dict[str, Any]) -> dict[str, Any]:
    module = types.ModuleType("__candidate__")
    sys.modules["__candidate__"] = module
    try:
        return _run_tests(spec, module)
    except SystemExit as exc:
        return _outcome("error", f"exited before the tests finished (SystemExit: {exc.code!r})")
    except AssertionError as exc:
        traceback.print_exc()
        return _outcome("failed", _describe(exc))
    except MemoryError:
        module.__dict__.clear()
        gc.collect()
        return _outcome("memory", "MemoryError")
    except BaseException as exc:
        traceback.print_exc()
        return _outcome("error", _describe(exc))


def _harness(spec: dict[str, Any], channel: Channel) -> NoReturn:
    channel.harness_pid = os.getpid()
    try:
        _set_limits(spec["limits"])
        if spec["seccomp_bpf"] is not None:
            _load_syscall_filter(spec["seccomp_bpf"])
        if spec["audit_hook"]:
            sys.addaudithook(Guard(spec, channel))
        outcome = _guarded_run(spec)
    except BaseException as exc:  # the harness itself failed (e.g. a limit could not be set)
        outcome = _outcome("error", f"sandbox harness: {_describe(exc)}")
    outcome["violations"] = channel.violations
    channel.result(outcome)
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:
            pass
    os._exit(0)


def _init(child: int, channel: Channel) -> NoReturn:
    """Reap every process of the namespace until the harness ends, then report how it ended."""
    status = 0
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == child:
            break
    channel.send({"event": "exit", "exit_code": os.waitstatus_to_exitcode(status)})
    os._exit(0)


def main() -> NoReturn:
    spec_fd, fd = int(sys.argv[1]), int(sys.argv[2])
    with os.fdopen(spec_fd, "rb") as handle:
        spec: dict[str, Any] = json.loads(handle.read())
    os.set_inheritable(fd, False)
    channel = Channel(fd)
    if os.getpid() == 1:
        child = os.fork()
        if child != 0:
            _init(child, channel)
    _harness(spec, channel)


if __name__ == "__main__":
    main()
