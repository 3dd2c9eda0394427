"""The seccomp-BPF syscall filter the harness loads before it runs candidate code (`seccomp`).

Built in the parent with libseccomp (through its ctypes binding `pyseccomp`), which knows each
architecture's syscall numbers and rejects other ABIs (i386 or x32 calls from an x86_64 process kill
it); the child only hands the exported program to `prctl(PR_SET_SECCOMP)`. The harness loads it once
the interpreter is up, so the interpreter's own `execve` is behind it and every later one is not;
a filter loaded by the launcher (bwrap's `--seccomp`) would have to let that first `execve` through,
and so every one after it.

Every denied call fails with EPERM (clone3 with ENOSYS, so libc falls back to clone, where the flags
can be read); the filter is inherited by every process and thread of the run. Denied always:
mknod/mknodat (FIFOs and device nodes), every socket family but AF_UNIX, namespaces and mounts
(they would undo the launcher's), open_by_handle_at (reads any file with CAP_DAC_READ_SEARCH),
ptrace and process_vm_* (other processes of the same uid), io_uring (it would bypass this filter)
and kernel interfaces Python never needs. Denied unless `Policy.allow_subprocess`: execve/execveat,
fork/vfork, clone without CLONE_THREAD (threads still work), and AF_UNIX sockets (socketpair stays).
"""

from __future__ import annotations

import errno
import functools
import os
import socket
import tempfile
from dataclasses import dataclass
from typing import Any

_CLONE_THREAD = 0x00010000
_CLONE_NAMESPACES = (  # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
    0x00020000,
    0x02000000,
    0x04000000,
    0x08000000,
    0x10000000,
    0x20000000,
    0x40000000,
)
_ALWAYS_DENIED = (
    "mknod",
    "mknodat",
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "fsopen",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "open_by_handle_at",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
)
_PROCESS_CALLS = ("execve", "execveat", "fork", "vfork")


@dataclass(frozen=True)
class FilterProgram:
    """The exported BPF program, or why this machine has none."""

    bpf: bytes | None
    unavailable: str = ""


def _binding() -> Any:
    """The pyseccomp module (untyped), or an ImportError saying what is missing."""
    try:
        import pyseccomp  # type: ignore[import-untyped]
    except (ImportError, RuntimeError, OSError) as exc:  # RuntimeError: no libseccomp.so
        raise ImportError(f"pyseccomp/libseccomp cannot be loaded ({exc})") from exc
    return pyseccomp


def _kernel_has_seccomp() -> bool:
    with open("/proc/self/status", encoding="ascii", errors="replace") as handle:
        return any(line.startswith("Seccomp:") for line in handle)


def _rules(lib: Any, *, allow_subprocess: bool) -> Any:
    deny = lib.ERRNO(errno.EPERM)
    rules = lib.SyscallFilter(lib.ALLOW)
    rules.set_attr(lib.Attr.ACT_BADARCH, lib.KILL_PROCESS)
    for name in _ALWAYS_DENIED:
        rules.add_rule(deny, name)
    rules.add_rule(lib.ERRNO(errno.ENOSYS), "clone3")
    for flag in _CLONE_NAMESPACES:
        rules.add_rule(deny, "clone", lib.Arg(0, lib.MASKED_EQ, flag, flag))
    rules.add_rule(deny, "socketpair", lib.Arg(0, lib.NE, socket.AF_UNIX))
    if allow_subprocess:
        rules.add_rule(deny, "socket", lib.Arg(0, lib.NE, socket.AF_UNIX))
        return rules
    for name in _PROCESS_CALLS:
        rules.add_rule(deny, name)
    rules.add_rule(deny, "clone", lib.Arg(0, lib.MASKED_EQ, _CLONE_THREAD, 0))
    rules.add_rule(deny, "socket")
    return rules


@functools.cache
def filter_program(*, allow_subprocess: bool) -> FilterProgram:
    """The filter for a run (two variants: with and without `allow_subprocess`)."""
    try:
        lib = _binding()
    except ImportError as exc:
        return FilterProgram(None, str(exc))
    if not _kernel_has_seccomp():
        return FilterProgram(None, "the kernel has no seccomp")
    if lib.system_arch() in (lib.Arch.S390, lib.Arch.S390X):
        return FilterProgram(None, "s390 passes clone's flags second; the filter reads the first")
    try:
        rules = _rules(lib, allow_subprocess=allow_subprocess)
        with tempfile.TemporaryFile() as handle:
            rules.export_bpf(handle)
            handle.seek(0)
            return FilterProgram(handle.read())
    except OSError as exc:
        return FilterProgram(
            None, f"libseccomp could not build the filter ({os.strerror(exc.errno or 0)})"
        )
