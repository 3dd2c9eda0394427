"""Which OS isolation this machine might allow: the launchers, strongest first.

`selftest.py` picks the first one whose self-test passes (a real control run through the harness).

- bwrap (where bubblewrap is installed, see `bwrap.py`): network, pid, ipc, uts and mount
  namespaces, the host root read-only, a minimal /dev, private /tmp, /var/tmp, /dev/shm and /run.
  As root `setpriv` then switches to a fresh unprivileged uid with `--no-new-privs` and no
  capabilities (`uid_drop`); otherwise bwrap's user namespace drops every capability.
- root: `unshare --net --pid --fork --kill-child --mount --mount-proc`: no network interfaces but a
  down loopback; a pid namespace whose init is our harness, so every process of the run dies with
  it; a private /proc that shows only the run's processes. Inside, a small root stage mounts fresh
  size-limited tmpfs file systems over /tmp, /var/tmp and /dev/shm (`private_tmp`: the working
  directory lives there, the host's world-writable directories are out of reach, and the run's disk
  use is capped) and over /run (`private_run`: no host Unix sockets there), then `setpriv` switches
  to a fresh unprivileged uid (`uid_drop`: RLIMIT_NPROC counts per uid and is not enforced for root,
  so a fresh uid makes it a real cap; and every root-owned file becomes read-only). The stage hides
  a package or interpreter installed under /tmp; its self-test then fails and a weaker launcher runs.
  When the sandbox uid cannot start the interpreter at all, the uid keeps CAP_DAC_READ_SEARCH only
  (it can then read every file: recorded as a caveat; the audit hook denies reads under home
  directories).
- non-root: `unshare --user --map-root-user` plus the same namespaces and stage, then `setpriv`
  drops every capability; RLIMIT_NPROC is enforced for the caller's uid.
- nothing: a plain child process (rlimits, process group, seccomp, audit hook, scrubbed env).

The syscall filter (`syscall_filter.py`) is loaded by the harness under every launcher.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from codelewm.execution.bwrap import LAYERS as BWRAP_LAYERS
from codelewm.execution.bwrap import bwrap_prefix, visible_paths

PRIVATE_WORKDIR = "/tmp/codelewm-sandbox"
BOOTSTRAP = str(Path(__file__).with_name("_bootstrap.py"))
_NAMESPACES = ("--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc")
_NAMESPACE_LAYERS = ("netns", "pidns", "mountns_proc")
_STAGE_ARGS = ("{workdir}", "{uid}", "{disk_mb}")  # $1, $2, $3 of the stage script
# Runs as (namespace) root in the fresh mount namespace; its mounts never reach the host.
_STAGE_SCRIPT = (
    'set -e; workdir="$1"; owner="$2"; size="$3"; shift 3; '
    'mount -t tmpfs -o "size=${size}m,mode=1777" codelewm-tmp /tmp; '
    "for d in /var/tmp /dev/shm; do "
    'if [ -d "$d" ]; then mount -t tmpfs -o size=1m,mode=1777 codelewm-tmp "$d"; fi; done; '
    "if [ -d /run ]; then mount -t tmpfs -o size=1m,mode=755 codelewm-run /run; fi; "
    'mkdir -m 700 "$workdir"; chown "$owner:$owner" "$workdir"; cd "$workdir"; exec "$@"'
)
_READ_ALL_CAVEAT = (
    "the child keeps CAP_DAC_READ_SEARCH (the interpreter is not readable by other users), "
    "so it can read any file; the audit hook denies reads under home directories"
)
_NO_NAMESPACE_CAVEAT = (
    "no network namespace: network is denied by the audit hook and the seccomp filter only"
)
_NO_PRIVATE_TMP_CAVEAT = (
    "no private /tmp or /run: world-writable host directories are guarded by the audit hook "
    "only, and host Unix sockets under /run are reachable where AF_UNIX sockets are allowed"
)
_ROOT_CAVEAT = "runs as root: RLIMIT_NPROC is not enforced and files are writable at OS level"


@dataclass(frozen=True)
class Launcher:
    """A command prefix for the child interpreter and what it isolates."""

    name: str
    prefix: tuple[str, ...]
    isolation: tuple[str, ...]
    caveats: tuple[str, ...] = ()
    drops_uid: bool = False
    pid_namespace: bool = False
    enforces_nproc: bool = True
    private_tmp: bool = False

    def argv(self, *, uid: int, workdir: str, disk_mb: int) -> list[str]:
        """The prefix with the sandbox uid, working directory and tmpfs size filled in."""
        values = {
            "{uid}": str(uid),
            "{workdir}": workdir,
            "{disk_mb}": str(disk_mb),
            "{disk_bytes}": str(disk_mb * 1024 * 1024),
        }
        return [_fill(part, values) for part in self.prefix]


def _fill(part: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        part = part.replace(placeholder, value)
    return part


@dataclass(frozen=True)
class _Tools:
    unshare: str | None
    setpriv: str | None
    sh: str | None
    mount: str | None
    bwrap: str | None

    @property
    def stage(self) -> tuple[str, ...] | None:
        if not (self.sh and self.mount):
            return None
        return (self.sh, "-c", _STAGE_SCRIPT, "codelewm-stage", *_STAGE_ARGS)


def _setpriv(setpriv: str, *, switch_uid: bool, read_all: bool) -> tuple[str, ...]:
    ids = ("--reuid={uid}", "--regid={uid}", "--clear-groups") if switch_uid else ()
    if read_all:
        caps: tuple[str, ...] = (
            "--inh-caps=+dac_read_search",
            "--ambient-caps=+dac_read_search",
            "--bounding-set=-all,+dac_read_search",
        )
    else:
        caps = ("--inh-caps=-all", "--bounding-set=-all")
    return (setpriv, *ids, "--no-new-privs", *caps, "--")


def _bwrap_uid_drop(tools: _Tools, keep_visible: tuple[str, ...], read_all: bool) -> Launcher:
    assert tools.bwrap is not None and tools.setpriv is not None
    extra_caps = ("CAP_DAC_READ_SEARCH",) if read_all else ()
    bwrap = bwrap_prefix(
        tools.bwrap, as_root=True, keep_visible=keep_visible, extra_caps=extra_caps
    )
    return Launcher(
        "bwrap+uid_drop",
        (*bwrap, *_setpriv(tools.setpriv, switch_uid=True, read_all=read_all)),
        (*BWRAP_LAYERS, "uid_drop", "no_new_privs"),
        (_READ_ALL_CAVEAT,) if read_all else (),
        drops_uid=True,
        pid_namespace=True,
        private_tmp=True,
    )


def _uid_drop_launchers(tools: _Tools, namespaces: tuple[str, ...] | None) -> list[Launcher]:
    assert tools.setpriv is not None
    launchers: list[Launcher] = []
    layers = ("uid_drop", "no_new_privs")
    for read_all in (False, True):
        drop = _setpriv(tools.setpriv, switch_uid=True, read_all=read_all)
        caveats = (_READ_ALL_CAVEAT,) if read_all else ()
        if namespaces and tools.stage:
            launchers.append(
                Launcher(
                    "namespaces+tmpfs+uid_drop",
                    (*namespaces, *tools.stage, *drop),
                    (*_NAMESPACE_LAYERS, "private_tmp", "private_run", *layers),
                    caveats,
                    drops_uid=True,
                    pid_namespace=True,
                    private_tmp=True,
                )
            )
        if namespaces:
            launchers.append(
                Launcher(
                    "namespaces+uid_drop",
                    (*namespaces, *drop),
                    (*_NAMESPACE_LAYERS, *layers),
                    (*caveats, _NO_PRIVATE_TMP_CAVEAT),
                    drops_uid=True,
                    pid_namespace=True,
                )
            )
        plain_caveats = (*caveats, _NO_NAMESPACE_CAVEAT, _NO_PRIVATE_TMP_CAVEAT)
        launchers.append(Launcher("uid_drop", drop, layers, plain_caveats, drops_uid=True))
    launchers.sort(key=lambda launcher: (not launcher.private_tmp, not launcher.pid_namespace))
    return launchers


def _root_launchers(tools: _Tools, keep_visible: tuple[str, ...]) -> list[Launcher]:
    launchers: list[Launcher] = []
    if tools.bwrap and tools.setpriv:
        launchers += [_bwrap_uid_drop(tools, keep_visible, read_all) for read_all in (False, True)]
    namespaces = (tools.unshare, *_NAMESPACES) if tools.unshare else None
    if tools.setpriv:
        launchers += _uid_drop_launchers(tools, namespaces)
    if namespaces:
        caveats = (_ROOT_CAVEAT, _NO_PRIVATE_TMP_CAVEAT)
        launchers.append(
            Launcher(
                "namespaces",
                namespaces,
                _NAMESPACE_LAYERS,
                caveats,
                pid_namespace=True,
                enforces_nproc=False,
            )
        )
    return launchers


def _user_launchers(tools: _Tools, keep_visible: tuple[str, ...]) -> list[Launcher]:
    launchers: list[Launcher] = []
    if tools.bwrap:
        bwrap = bwrap_prefix(tools.bwrap, as_root=False, keep_visible=keep_visible)
        bwrap_layers = (*BWRAP_LAYERS, "userns", "no_new_privs")
        launchers.append(
            Launcher("bwrap", bwrap, bwrap_layers, pid_namespace=True, private_tmp=True)
        )
    if not tools.unshare:
        return launchers
    namespaces = (tools.unshare, "--user", "--map-root-user", *_NAMESPACES)
    layers = ("userns", *_NAMESPACE_LAYERS)
    if tools.stage and tools.setpriv:
        drop = _setpriv(tools.setpriv, switch_uid=False, read_all=False)
        launchers.append(
            Launcher(
                "user_namespaces+tmpfs",
                (*namespaces, *tools.stage, *drop),
                (*layers, "private_tmp", "private_run", "no_new_privs"),
                pid_namespace=True,
                private_tmp=True,
            )
        )
    launchers.append(
        Launcher(
            "user_namespaces", namespaces, layers, (_NO_PRIVATE_TMP_CAVEAT,), pid_namespace=True
        )
    )
    return launchers


def fallback() -> Launcher:
    """The plain launcher: no OS layer at all."""
    caveats = [_NO_NAMESPACE_CAVEAT, _NO_PRIVATE_TMP_CAVEAT]
    if os.geteuid() == 0:
        caveats.append(_ROOT_CAVEAT)
    return Launcher("plain", (), (), tuple(caveats), enforces_nproc=os.geteuid() != 0)


def candidate_launchers(python: str) -> list[Launcher]:
    """Every launcher this machine might allow for `python`, strongest first; the plain one last."""
    names = ("unshare", "setpriv", "sh", "mount", "bwrap")
    tools = _Tools(*(shutil.which(name) for name in names))
    keep_visible = visible_paths(python, BOOTSTRAP)
    if os.geteuid() == 0:
        launchers = _root_launchers(tools, keep_visible)
    else:
        launchers = _user_launchers(tools, keep_visible)
    return [*launchers, fallback()]
