"""Python files under code roots, each with its split group and license: the input of the
file-based sources (ruff, mutations, stubs).

Groups: a file `ROOT/pkg/mod.py` belongs to `<label>/pkg`, a top-level module `ROOT/mod.py` to
`<label>/mod`, where `<label>` is `stdlib` for the running Python's standard library and the root
directory's name otherwise. The standard library is thus spread over many groups (`stdlib/json`,
`stdlib/email`, ...) so that the group split can put it in train, val and test without ever putting
one package in two splits. A `site-packages` root gets one group per top-level package; a root that
holds `*.dist-info` directories gives each package the license of the distribution that installed it
(METADATA), any other root the license of its LICENSE/COPYING file.

Discovery follows directory symlinks but never twice into the same real directory (a symlink loop
is counted as `symlink_loop`), skips generated/vendored paths (see `filters.path_skip_reason`), and
`read_code` refuses binary, non-UTF-8 and oversized files with a reason code.
"""

from __future__ import annotations

import fnmatch
import os
import sysconfig
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from codelewm.data.filters import path_skip_reason, text_skip_reason
from codelewm.data.license import (
    STDLIB_LICENSE,
    license_from_metadata,
    license_of_directory,
)

STDLIB_EXCLUDES: tuple[str, ...] = ("site-packages/*", "dist-packages/*")
STDLIB_PRUNE = frozenset({"site-packages", "dist-packages"})  # not walked at all


@dataclass(frozen=True)
class CodeFile:
    """One Python file to read: where it is, the path recorded on records, its group and license."""

    path: Path  # absolute path on disk
    rel: str  # posix path relative to its root (the record's `path`)
    group: str
    license: str | None


def stdlib_root() -> Path:
    """The running Python's standard library directory."""
    return Path(sysconfig.get_paths()["stdlib"]).resolve()


def discover_files(
    roots: Sequence[Path],
    skipped: Counter[str],
    *,
    exclude: Sequence[str] = (),
    license_override: str | None = None,
) -> list[CodeFile]:
    """Every `.py` file under `roots`, sorted by (group, rel); skips are counted in `skipped`.

    `license_override` replaces the detected license (for code whose license the caller knows)."""
    files: list[CodeFile] = []
    for root in roots:
        root = root.resolve()
        base, is_stdlib = _base_of(root)
        patterns = [*exclude, *(STDLIB_EXCLUDES if is_stdlib else ())]
        label = "stdlib" if is_stdlib else base.name
        prune = STDLIB_PRUNE if is_stdlib and root == base else frozenset()
        for path in _walk_py(root, skipped, prune=prune):
            rel = path.relative_to(base).as_posix() if path != base else path.name
            if any(fnmatch.fnmatch(rel, pattern) for pattern in patterns):
                skipped["excluded_path"] += 1
                continue
            reason = path_skip_reason(rel)
            if reason is not None:
                skipped[reason] += 1
                continue
            top = rel.split("/", 1)[0].removesuffix(".py")
            license_id = license_override or _license(base, top, is_stdlib)
            files.append(CodeFile(path, rel, f"{label}/{top}", license_id))
    return sorted(files, key=lambda f: (f.group, f.rel))


def _base_of(root: Path) -> tuple[Path, bool]:
    """(the directory paths are relative to, whether it is the stdlib): a root inside the standard
    library (e.g. `.../lib/python3.11/json`) keeps stdlib groups and paths."""
    stdlib = stdlib_root()
    if root == stdlib or (root.is_relative_to(stdlib) and "site-packages" not in root.parts):
        return stdlib, True
    return (root.parent if root.is_file() else root), False


def _walk_py(root: Path, skipped: Counter[str], *, prune: frozenset[str]) -> list[Path]:
    if root.is_file():
        return [root] if root.suffix == ".py" else []
    found: list[Path] = []
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        if dirpath == str(root):
            dirnames[:] = [d for d in dirnames if d not in prune]
        real = os.path.realpath(dirpath)
        if real in seen:
            skipped["symlink_loop"] += 1
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                path = Path(dirpath) / name
                if path.is_file():
                    found.append(path)
                else:
                    skipped["broken_symlink"] += 1
    return found


def read_code(file: CodeFile, skipped: Counter[str], *, max_bytes: int) -> str | None:
    """The file's text, or None with a reason code counted (unreadable, too big, binary, non-UTF-8)."""
    try:
        data = file.path.read_bytes()
    except OSError:
        skipped["unreadable_file"] += 1
        return None
    reason = text_skip_reason(data, max_bytes=max_bytes)
    if reason is not None:
        skipped[reason] += 1
        return None
    return data.decode("utf-8")


def _license(root: Path, top: str, is_stdlib: bool) -> str | None:
    if is_stdlib:
        return STDLIB_LICENSE
    by_distribution = _site_packages_licenses(root)  # empty unless *.dist-info sits in the root
    if top in by_distribution:
        return by_distribution[top]
    return _directory_license(root)


@cache
def _directory_license(root: Path) -> str | None:
    for directory in (root, *root.parents[:2]):
        found = license_of_directory(directory)
        if found is not None:
            return found
    return None


@cache
def _site_packages_licenses(root: Path) -> dict[str, str | None]:
    """Top-level package name -> license of the distribution that installed it."""
    licenses: dict[str, str | None] = {}
    for dist_info in sorted(root.glob("*.dist-info")):
        metadata = dist_info / "METADATA"
        if not metadata.is_file():
            continue
        license_id = license_from_metadata(metadata.read_text(encoding="utf-8", errors="replace"))
        for top in _top_levels(dist_info):
            licenses.setdefault(top, license_id)
    return licenses


def _top_levels(dist_info: Path) -> set[str]:
    top_level = dist_info / "top_level.txt"
    if top_level.is_file():
        return {line.strip() for line in top_level.read_text().splitlines() if line.strip()}
    record = dist_info / "RECORD"
    if not record.is_file():
        return set()
    tops = set()
    for line in record.read_text(encoding="utf-8", errors="replace").splitlines():
        first = line.split(",", 1)[0].split("/", 1)[0]
        if first and not first.endswith((".dist-info", ".data")) and not first.startswith(".."):
            tops.add(first.removesuffix(".py"))
    return tops
