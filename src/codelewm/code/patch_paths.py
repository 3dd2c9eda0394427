"""File names inside an untrusted diff: refuse unsafe ones, compare the rest with the before's path.

A name as written in a header (`--- a/pkg/mod.py`, `diff --git a/x b/x`) is checked before anything
else reads it. Refused: NUL and other control characters, backslashes (Windows separators and git's
C-style escapes alike), absolute paths (`/etc/passwd`, `C:`), and any `..` component. `/dev/null`
and the empty name (what `difflib.unified_diff` writes without file names) are accepted.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from codelewm.errors import PatchRefusedError

DEV_NULL = "/dev/null"
# One-letter prefixes git puts before paths: a/ b/ (default), c/ i/ o/ w/ (mnemonic), 1/ 2/ (--no-index).
_GIT_PREFIX = re.compile(r"^[abciow12]/")
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _show(path: str) -> str:
    return repr(path if len(path) <= 120 else path[:120] + "...")


def checked_path(raw: str, *, where: str) -> str:
    """The name without surrounding quotes, or PatchRefusedError saying what makes it unsafe.

    `where` locates the name in the patch for the message (e.g. "patch line 3").
    """
    name = raw[1:-1] if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"') else raw
    if name == DEV_NULL:
        return name
    problem = _path_problem(name)
    if problem is not None:
        raise PatchRefusedError(
            f"{where}: file name {_show(raw)} is refused: {problem}",
            remediation="Patch the before file only, named by a relative path such as a/mod.py.",
        )
    return name


def _path_problem(name: str) -> str | None:
    if "\x00" in name:
        return "it contains a NUL byte"
    if _CONTROL.search(name):
        return "it contains a control character"
    if "\\" in name:
        return "it contains a backslash (Windows separator or escaped characters)"
    if name.startswith("/") or _DRIVE.match(name) or name.startswith("~"):
        return "it is absolute"
    if ".." in name.split("/"):
        return "it contains a '..' component"
    return None


def components(name: str) -> tuple[str, ...]:
    """Path components without empty and '.' parts: 'a//./x.py' -> ('a', 'x.py')."""
    return tuple(part for part in name.split("/") if part not in ("", "."))


def without_prefix(name: str) -> str:
    """'a/pkg/mod.py' -> 'pkg/mod.py'; names without a git prefix are returned as they are."""
    return name[2:] if _GIT_PREFIX.match(name) else name


def same_file(first: str, second: str) -> bool:
    """Whether two header names denote the same file ('a/x.py' and 'b/x.py' do)."""
    return components(without_prefix(first)) == components(without_prefix(second))


def names_before(name: str, before_path: str | None) -> bool:
    """Whether a header name refers to the before.

    The empty name refers to whatever is patched, and without a `before_path` every name does.
    Otherwise the name (with or without its git prefix) and `before_path` must agree on their trailing
    components, the shorter being the tail of the longer: 'a/src/mod.py' names '/home/me/src/mod.py'
    and 'mod.py', but not 'tests/src/mod.py' nor 'other.py'.
    """
    parts = components(name)
    if before_path is None or not parts:
        return True
    target = components(PurePath(before_path).as_posix())
    return any(_tails_agree(c, target) for c in {parts, components(without_prefix(name))})


def _tails_agree(first: tuple[str, ...], second: tuple[str, ...]) -> bool:
    n = min(len(first), len(second))
    return n > 0 and first[-n:] == second[-n:]
