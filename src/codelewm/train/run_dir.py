"""Whether a training run may write into its run directory: a rerun never silently replaces a run.

    new or empty directory   train
    an existing run          refused (ArtifactError, exit 2) unless --resume (continue it exactly)
                             or --overwrite (delete the old run's best/, last/, state/, tb/ first)
    anything else in it      refused even with --overwrite: it is not a run this code would delete

Safe under torchrun: every rank calls `prepare_run_dir` before the process group forms, so all ranks
see the same directory and none has written yet; deleting the same entries twice is harmless.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Final

from codelewm.errors import ArtifactError, InputError

RUN_ENTRIES: Final = frozenset({"best", "last", "state", "tb"})
# what the artifact writer leaves beside best/ and last/ when a run is killed mid-save
_RUN_LEFTOVER: Final = re.compile(r"^\.(best|last)\.(tmp|old)-[0-9a-z-]+$")


def prepare_run_dir(out_dir: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse, or clear, an existing run directory as the module docstring says."""
    if resume and overwrite:
        raise InputError(
            "--resume and --overwrite contradict each other",
            remediation="Pass --resume to continue the run, or --overwrite to start it again.",
        )
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise ArtifactError(f"{out_dir} is not a directory", remediation="Choose another --out.")
    entries = sorted(p.name for p in out_dir.iterdir()) if out_dir.is_dir() else []
    if resume or not entries:
        return
    foreign = [n for n in entries if n not in RUN_ENTRIES and not _RUN_LEFTOVER.match(n)]
    if not overwrite:
        raise ArtifactError(
            f"{out_dir} already holds {'a training run' if not foreign else 'files'} "
            f"({', '.join(entries[:6])}{', ...' if len(entries) > 6 else ''})",
            remediation="Pass --resume to continue it, --overwrite to replace it, or choose another --out.",
        )
    if foreign:
        raise ArtifactError(
            f"{out_dir} holds files that are not part of a training run: {', '.join(foreign[:6])}",
            remediation="--overwrite only replaces a run directory; choose another --out.",
        )
    for name in entries:
        path = out_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
