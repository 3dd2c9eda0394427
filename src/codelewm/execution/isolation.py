"""Which OS isolation this machine allows, found once per interpreter by trying it.

Launchers, strongest first (the first one that starts the interpreter wins):

- root: `unshare --net --pid --fork --kill-child --mount --mount-proc` (no network interfaces but a
  down loopback; a pid namespace whose init is our harness, so every process of the run dies with it;
  a private /proc that shows only the run's processes) then `setpriv` to a fresh unprivileged uid
  with `--no-new-privs` and no capabilities (RLIMIT_NPROC counts per uid and is not enforced for
  root; a fresh uid makes it a real cap on the candidate's processes, and makes every root-owned file
  read-only). When the interpreter lives in a directory that other users cannot enter (pyenv under
  /root), the uid keeps CAP_DAC_READ_SEARCH only, so it can still read every file (recorded as a
  caveat; the audit hook then denies reads under the caller's home directory).
- non-root: `unshare --user --map-root-user` plus the same namespaces; RLIMIT_NPROC is enforced.
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

_NAMESPACES = ("--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc")
_NAMESPACE_LAYERS = ("netns", "pidns", "mountns_proc")
_UID_PLACEHOLDER = "{uid}"
_PROBE_TIMEOUT_S = 10.0
_READ_ALL_CAVEAT = (
    "the child keeps CAP_DAC_READ_SEARCH (the interpreter is not readable by other users), "
    "so it can read any file; the audit hook denies reads under the caller's home directory"
)
_NO_NAMESPACE_CAVEAT = "no network namespace: network is denied by the audit hook only"
_ROOT_CAVEAT = "runs as root: RLIMIT_NPROC is not enforced and files are writable at OS level"
_NO_NPROC_CAVEAT = "no process-count limit"


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

    def argv(self, uid: int) -> list[str]:
        """The prefix with the sandbox uid filled in."""
        return [part.replace(_UID_PLACEHOLDER, str(uid)) for part in self.prefix]


def _setpriv(setpriv: str, *, read_all: bool) -> tuple[str, ...]:
    caps = (
        ("--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search")
        if read_all
        else ("--inh-caps=-all",)
    )
    bounding = "--bounding-set=-all,+dac_read_search" if read_all else "--bounding-set=-all"
    return (
        setpriv,
        f"--reuid={_UID_PLACEHOLDER}",
        f"--regid={_UID_PLACEHOLDER}",
        "--clear-groups",
        "--no-new-privs",
        *caps,
        bounding,
        "--",
    )


def _root_launchers(unshare: str | None, setpriv: str | None) -> list[Launcher]:
    launchers: list[Launcher] = []
    namespaces = (unshare, *_NAMESPACES) if unshare else None
    for read_all in (False, True) if setpriv else ():
        assert setpriv is not None
        drop = _setpriv(setpriv, read_all=read_all)
        caveats = (_READ_ALL_CAVEAT,) if read_all else ()
        layers = ("uid_drop", "no_new_privs")
        if namespaces:
            launchers.append(
                Launcher(
                    "namespaces+uid_drop",
                    (*namespaces, *drop),
                    (*_NAMESPACE_LAYERS, *layers),
                    caveats,
                    drops_uid=True,
                    pid_namespace=True,
                )
            )
        launchers.append(
            Launcher("uid_drop", drop, layers, (*caveats, _NO_NAMESPACE_CAVEAT), drops_uid=True)
        )
    launchers.sort(key=lambda launcher: not launcher.pid_namespace)
    if namespaces:
        launchers.append(
            Launcher(
                "namespaces",
                namespaces,
                _NAMESPACE_LAYERS,
                (_ROOT_CAVEAT,),
                pid_namespace=True,
                enforces_nproc=False,
            )
        )
    return launchers


def _user_launchers(unshare: str | None) -> list[Launcher]:
    if not unshare:
        return []
    prefix = (unshare, "--user", "--map-root-user", *_NAMESPACES)
    return [Launcher("user_namespaces", prefix, ("userns", *_NAMESPACE_LAYERS), pid_namespace=True)]


def _fallback() -> Launcher:
    caveats = [_NO_NAMESPACE_CAVEAT]
    if os.geteuid() == 0:
        caveats.append(_ROOT_CAVEAT)
    return Launcher("plain", (), (), tuple(caveats), enforces_nproc=os.geteuid() != 0)


def candidate_launchers() -> list[Launcher]:
    """Every launcher this machine might allow, strongest first; the plain one last."""
    unshare, setpriv = shutil.which("unshare"), shutil.which("setpriv")
    launchers = _root_launchers(unshare, setpriv) if os.geteuid() == 0 else _user_launchers(unshare)
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


PROBE_UID = 65534
_PROBE_CODE = "import json, resource, sys, unittest; print(sys.version)"


@functools.cache
def select_launcher(python: str) -> Launcher:
    """The strongest launcher that can start `python` and import the modules the harness needs.

    When the sandbox uid cannot read the interpreter's own directory, the binary may still start and
    fall back to another standard library of the same name (pyenv under /root falls back to
    /usr/lib/python3.11); that is recorded as a caveat when the version differs from the caller's.
    """
    probe = [python, "-s", "-P", "-B", "-S", "-c", _PROBE_CODE]
    for launcher in candidate_launchers():
        version = _probe([*launcher.argv(PROBE_UID), *probe])
        if version is None:
            continue
        if python == sys.executable and version != sys.version:
            note = (
                f"the child runs Python {version.split()[0]}, the caller {sys.version.split()[0]}"
            )
            return dataclasses.replace(launcher, caveats=(*launcher.caveats, note))
        return launcher
    return _fallback()
