"""Which OS isolation this machine allows, found once per interpreter by trying it.

Launchers, strongest first (the first one that starts the interpreter wins):

- root: `unshare --net --pid --fork --kill-child --mount --mount-proc`: no network interfaces but a
  down loopback; a pid namespace whose init is our harness, so every process of the run dies with
  it; a private /proc that shows only the run's processes. Inside, a small root stage mounts fresh
  size-limited tmpfs file systems over /tmp, /var/tmp and /dev/shm (`private_tmp`: the working
  directory lives there, the host's world-writable directories are out of reach, and the run's disk
  use is capped), then `setpriv` switches to a fresh unprivileged uid with `--no-new-privs` and no
  capabilities (`uid_drop`: RLIMIT_NPROC counts per uid and is not enforced for root, so a fresh uid
  makes it a real cap; and every root-owned file becomes read-only).
  When the sandbox uid cannot start the interpreter at all, the uid keeps CAP_DAC_READ_SEARCH only
  (it can then read every file: recorded as a caveat; the audit hook denies reads under home
  directories).
- non-root: `unshare --user --map-root-user` plus the same namespaces and stage, then `setpriv`
  drops every capability; RLIMIT_NPROC is enforced for the caller's uid.
- nothing: a plain child process (rlimits, process group, audit hook, scrubbed env only).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

PRIVATE_WORKDIR = "/tmp/codelewm-sandbox"
PROBE_UID = 65534
_NAMESPACES = ("--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc")
_NAMESPACE_LAYERS = ("netns", "pidns", "mountns_proc")
_STAGE_ARGS = ("{workdir}", "{uid}", "{disk_mb}")  # $1, $2, $3 of the stage script
_PROBE_TIMEOUT_S = 10.0
_PROBE_CODE = "import json, resource, sys, unittest; print(sys.version)"
# Runs as (namespace) root in the fresh mount namespace; its mounts never reach the host.
_STAGE_SCRIPT = (
    'set -e; workdir="$1"; owner="$2"; size="$3"; shift 3; '
    'mount -t tmpfs -o "size=${size}m,mode=1777" codelewm-tmp /tmp; '
    "for d in /var/tmp /dev/shm; do "
    'if [ -d "$d" ]; then mount -t tmpfs -o size=1m,mode=1777 codelewm-tmp "$d"; fi; done; '
    'mkdir -m 700 "$workdir"; chown "$owner:$owner" "$workdir"; cd "$workdir"; exec "$@"'
)
_READ_ALL_CAVEAT = (
    "the child keeps CAP_DAC_READ_SEARCH (the interpreter is not readable by other users), "
    "so it can read any file; the audit hook denies reads under home directories"
)
_NO_NAMESPACE_CAVEAT = "no network namespace: network is denied by the audit hook only"
_NO_PRIVATE_TMP_CAVEAT = (
    "no private /tmp: world-writable host directories are guarded by the audit hook only"
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
        values = {"{uid}": str(uid), "{workdir}": workdir, "{disk_mb}": str(disk_mb)}
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
                    (*_NAMESPACE_LAYERS, "private_tmp", *layers),
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


def _root_launchers(tools: _Tools) -> list[Launcher]:
    namespaces = (tools.unshare, *_NAMESPACES) if tools.unshare else None
    launchers = _uid_drop_launchers(tools, namespaces) if tools.setpriv else []
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


def _user_launchers(tools: _Tools) -> list[Launcher]:
    if not tools.unshare:
        return []
    namespaces = (tools.unshare, "--user", "--map-root-user", *_NAMESPACES)
    layers = ("userns", *_NAMESPACE_LAYERS)
    launchers = []
    if tools.stage and tools.setpriv:
        drop = _setpriv(tools.setpriv, switch_uid=False, read_all=False)
        launchers.append(
            Launcher(
                "user_namespaces+tmpfs",
                (*namespaces, *tools.stage, *drop),
                (*layers, "private_tmp", "no_new_privs"),
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


def _fallback() -> Launcher:
    caveats = [_NO_NAMESPACE_CAVEAT, _NO_PRIVATE_TMP_CAVEAT]
    if os.geteuid() == 0:
        caveats.append(_ROOT_CAVEAT)
    return Launcher("plain", (), (), tuple(caveats), enforces_nproc=os.geteuid() != 0)


def candidate_launchers() -> list[Launcher]:
    """Every launcher this machine might allow, strongest first; the plain one last."""
    tools = _Tools(*(shutil.which(name) for name in ("unshare", "setpriv", "sh", "mount")))
    launchers = _root_launchers(tools) if os.geteuid() == 0 else _user_launchers(tools)
    return [*launchers, _fallback()]


def _probe(argv: Sequence[str]) -> str | None:
    """The child's `sys.version`, or None when the launcher cannot start the interpreter."""
    try:
        completed = subprocess.run(
            list(argv),
            cwd="/",
            env={"PATH": "/usr/bin:/bin"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout.decode("utf-8", "replace").strip()


@functools.cache
def select_launcher(python: str) -> Launcher:
    """The strongest launcher that can start `python` and import the modules the harness needs.

    When the sandbox uid cannot read the interpreter's own directory, the binary may still start and
    fall back to another standard library of the same name (pyenv under /root falls back to
    /usr/lib/python3.11); that is recorded as a caveat when the version differs from the caller's.
    """
    probe = [python, "-s", "-P", "-B", "-S", "-c", _PROBE_CODE]
    for launcher in candidate_launchers():
        prefix = launcher.argv(uid=PROBE_UID, workdir=PRIVATE_WORKDIR, disk_mb=1)
        version = _probe([*prefix, *probe])
        if version is None:
            continue
        if python == sys.executable and version != sys.version:
            note = (
                f"the child runs Python {version.split()[0]}, the caller {sys.version.split()[0]}"
            )
            return dataclasses.replace(launcher, caveats=(*launcher.caveats, note))
        return launcher
    return _fallback()
