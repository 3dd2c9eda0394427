"""The bubblewrap (`bwrap`) command prefix: a fresh, mostly read-only root for one run.

bwrap builds the child's mount namespace from nothing: the host root bound read-only
(`readonly_root`), a minimal /dev with no host device nodes (`private_dev`), a /proc of the run's
pid namespace, fresh size-capped tmpfs over /tmp (holding the working directory), /var/tmp and
/dev/shm (`private_tmp`) and over /run (`private_run`: no host Unix socket under /run or /var/run).
Paths the child needs that live under one of those masked directories (the bootstrap and the
interpreter of a package installed under /tmp, a venv there) are bound back read-only on top.

As root it runs without a user namespace (so the uid the child switches to is a real host uid) and
keeps only the capabilities `setpriv` needs to switch to it; otherwise it adds a user namespace that
the child cannot nest.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

MASKED_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run")
_SMALL_TMPFS_BYTES = str(1024 * 1024)
_NAMESPACES = (
    "--unshare-net",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
)
_SETPRIV_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP")
LAYERS = (
    "bwrap",
    "netns",
    "pidns",
    "ipcns",
    "mountns_proc",
    "private_tmp",
    "private_run",
    "private_dev",
    "readonly_root",
)


def _under_masked(path: str) -> bool:
    return any(path.startswith(root + os.sep) for root in MASKED_DIRS)


def visible_paths(python: str, bootstrap: str) -> tuple[str, ...]:
    """Directories under a masked directory that the child must still see: the bootstrap's, the
    interpreter's (and its install prefix's, resolved and not), and this interpreter's prefixes."""
    found = {os.path.dirname(os.path.realpath(bootstrap))}
    for binary in (os.path.abspath(python), os.path.realpath(python)):
        found.update((os.path.dirname(binary), os.path.dirname(os.path.dirname(binary))))
    if python == sys.executable:
        found.update(os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix))
    kept = sorted(p for p in found if _under_masked(p) and os.path.isdir(p))
    return tuple(p for p in kept if not any(p.startswith(q + os.sep) for q in kept))


def _parents_below_mask(path: str) -> list[str]:
    """/tmp/a/b/c -> [/tmp/a, /tmp/a/b]: the directories between a masked root and `path`."""
    parents = []
    parent = os.path.dirname(path)
    while _under_masked(parent):
        parents.append(parent)
        parent = os.path.dirname(parent)
    return parents[::-1]


def _tmpfs(path: str, *, size: str, perms: str = "1777") -> tuple[str, ...]:
    return ("--perms", perms, "--size", size, "--tmpfs", path)


def _file_system(keep_visible: Iterable[str], *, workdir_perms: str) -> tuple[str, ...]:
    masks = [
        *_tmpfs("/tmp", size="{disk_bytes}"),
        *_tmpfs("/dev/shm", size=_SMALL_TMPFS_BYTES),
    ]
    for path, perms in (("/var/tmp", "1777"), ("/run", "0755")):
        if os.path.isdir(path):
            masks += _tmpfs(path, size=_SMALL_TMPFS_BYTES, perms=perms)
    binds: list[str] = []
    for path in keep_visible:  # bwrap would create the missing parents 0700: no way through
        binds += [
            arg
            for parent in _parents_below_mask(path)
            for arg in ("--perms", "0755", "--dir", parent)
        ]
        binds += ["--ro-bind", path, path]
    workdir = ("--perms", workdir_perms, "--dir", "{workdir}", "--chdir", "{workdir}")
    root = ("--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc")
    return (*root, *masks, *binds, *workdir)


def bwrap_prefix(
    bwrap: str, *, as_root: bool, keep_visible: Iterable[str], extra_caps: Iterable[str] = ()
) -> tuple[str, ...]:
    """`bwrap ... --` before the command that starts the interpreter (setpriv as root).

    As root the working directory is mode 0777: bwrap cannot hand it to the uid the child switches
    to, and nothing outside the run's mount namespace can reach it.
    """
    common = ("--die-with-parent", "--as-pid-1")
    if not as_root:
        fs = _file_system(keep_visible, workdir_perms="0700")
        return (bwrap, "--unshare-user", "--disable-userns", *_NAMESPACES, *common, *fs, "--")
    caps = [arg for cap in (*_SETPRIV_CAPS, *extra_caps) for arg in ("--cap-add", cap)]
    fs = _file_system(keep_visible, workdir_perms="0777")
    return (bwrap, *_NAMESPACES, *common, *fs, *caps, "--")
