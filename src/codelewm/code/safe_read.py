"""Read an untrusted candidate file: a regular file only, never through a symlink, never unbounded.

The file is opened with `O_NOFOLLOW | O_NONBLOCK` and checked with `fstat` on the open descriptor, so
a symlink swapped in after a check is still refused and a FIFO cannot block the call. Where the
platform lacks `O_NOFOLLOW` (Windows) the symlink check is a plain `lstat` before opening.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from codelewm.errors import CandidateRefusedError, InputError

_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_BINARY", 0)
)


def read_capped(path: Path, *, max_bytes: int) -> bytes:
    """The file's bytes. InputError when it does not exist; CandidateRefusedError when it is a
    symlink, not a regular file, larger than `max_bytes`, or cannot be read."""
    if path.is_symlink():
        raise _symlink(path)
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError as exc:
        raise InputError(f"candidate {str(path)!r} does not exist") from exc
    except OSError as exc:
        raise (_symlink(path) if exc.errno == errno.ELOOP else _unreadable(path, exc)) from exc
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise CandidateRefusedError(f"candidate {str(path)!r} is not a regular file")
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    if len(data) > max_bytes:
        raise CandidateRefusedError(
            f"candidate {str(path)!r} is over the size limit of {max_bytes:,} bytes"
        )
    return data


def _unreadable(path: Path, exc: OSError) -> CandidateRefusedError:
    return CandidateRefusedError(
        f"candidate {str(path)!r} cannot be read: {exc.strerror}",
        remediation="Check the file's permissions.",
    )


def _symlink(path: Path) -> CandidateRefusedError:
    return CandidateRefusedError(
        f"candidate {str(path)!r} is a symlink: symlinks are refused",
        remediation="Copy the candidate into a regular file and pass that file.",
    )
