"""`verify_artifact`: check an artifact directory against its manifest and report every problem found.

Checks: each listed file exists, is a plain file reached without symlinks, inside the root, with the listed
size and sha256; no file on disk is unlisted; no symlink anywhere; the artifact id and config digest match
their recomputation; each given parent is a valid artifact declared (by id and manifest sha256) in the
manifest. Declared parents that no path was given for are listed as unchecked, not as failures.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

from codelewm.artifacts.digest import canonical_json, sha256_file, sha256_text
from codelewm.artifacts.manifest import (
    CONFIG_NAME,
    MANIFEST_NAME,
    compute_artifact_id,
    load_manifest,
)
from codelewm.errors import ArtifactError
from codelewm.records import (
    ArtifactManifest,
    FileEntry,
    VerifyProblem,
    VerifyProblemKind,
    VerifyReport,
)


class _Problems:
    """Problems in the order found, each (path, kind) once."""

    def __init__(self) -> None:
        self.items: list[VerifyProblem] = []

    def add(self, path: str, kind: VerifyProblemKind, detail: str) -> None:
        if not any(p.path == path and p.kind == kind for p in self.items):
            self.items.append(VerifyProblem(path=path, kind=kind, detail=detail))


def verify_artifact(path: Path, parents: Sequence[Path] = ()) -> VerifyReport:
    """Verify the artifact at `path` (and the given parent artifacts); raises only if `path` is no directory."""
    if not path.is_dir():
        raise ArtifactError(
            f"{path} is not a directory",
            remediation="Give the artifact directory (the one that holds manifest.json).",
        )
    problems = _Problems()
    try:
        manifest = load_manifest(path)
    except ArtifactError as exc:
        problems.add(MANIFEST_NAME, "manifest_invalid", exc.message)
        return VerifyReport(path=str(path), ok=False, problems=problems.items)
    checked_files = _check_listed(path, manifest.files, problems)
    _check_unlisted(path, {e.path for e in manifest.files}, problems)
    _check_identity(path, manifest, problems)
    checked, unchecked = _check_parents(manifest, parents, problems)
    return VerifyReport(
        path=str(path),
        ok=not problems.items,
        artifact_id=manifest.artifact_id,
        artifact_kind=manifest.artifact_kind,
        files_checked=checked_files,
        problems=problems.items,
        parents_checked=checked,
        parents_unchecked=unchecked,
    )


def unsafe_reason(rel: str) -> str | None:
    """Why a manifest path may not be opened under the root, or None when it is a plain relative path."""
    if not rel:
        return "empty path"
    if rel.startswith("/") or PureWindowsPath(rel).is_absolute() or PureWindowsPath(rel).drive:
        return "absolute path"
    if "\\" in rel:
        return "backslash in path"
    parts = rel.split("/")
    if ".." in parts:
        return "'..' escapes the artifact root"
    if "." in parts or "" in parts:
        return "path is not normalised"
    if rel == MANIFEST_NAME:
        return "the manifest cannot list itself"
    return None


def _check_listed(root: Path, files: Sequence[FileEntry], problems: _Problems) -> int:
    seen: set[str] = set()
    checked = 0
    for entry in files:
        if entry.path in seen:
            problems.add(entry.path, "duplicate_entry", "listed more than once")
            continue
        seen.add(entry.path)
        if _check_entry(root, entry, problems):
            checked += 1
    return checked


def _check_entry(root: Path, entry: FileEntry, problems: _Problems) -> bool:
    """Check one listed file; True when it could be read and compared."""
    reason = unsafe_reason(entry.path)
    if reason is not None:
        problems.add(entry.path, "unsafe_path", f"refused: {reason}")
        return False
    link = _first_symlink(root, entry.path)
    if link is not None:
        problems.add(link, "symlink", "symlink inside the artifact; not followed")
        return False
    full = root / entry.path
    if not full.exists():
        problems.add(entry.path, "missing_file", "listed in the manifest but not on disk")
        return False
    if not full.is_file():
        problems.add(
            entry.path, "not_a_file", "listed as a file but is a directory or special file"
        )
        return False
    size = full.stat().st_size
    if size != entry.bytes:
        problems.add(
            entry.path, "size_mismatch", f"manifest says {entry.bytes} bytes, file has {size}"
        )
        return True
    digest = sha256_file(full)
    if digest != entry.sha256:
        problems.add(
            entry.path,
            "sha256_mismatch",
            f"manifest says sha256 {entry.sha256[:16]}..., file has {digest[:16]}...",
        )
    return True


def _first_symlink(root: Path, rel: str) -> str | None:
    parts = PurePosixPath(rel).parts
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if (root / prefix).is_symlink():
            return prefix
    return None


def _check_unlisted(root: Path, listed: set[str], problems: _Problems) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()  # a stable report order: each directory's entries, then its subdirectories
        for name in sorted([*dirnames, *filenames]):
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                problems.add(rel, "symlink", "symlink inside the artifact; not followed")
            elif full.is_dir():
                continue
            elif not full.is_file():
                problems.add(rel, "not_a_file", "special file (fifo, socket or device)")
            elif rel not in listed and rel != MANIFEST_NAME:
                problems.add(rel, "unlisted_file", "on disk but not listed in the manifest")


def _check_identity(root: Path, manifest: ArtifactManifest, problems: _Problems) -> None:
    expected = compute_artifact_id(
        manifest.artifact_kind, manifest.config_sha256, manifest.files, manifest.parent_artifacts
    )
    if manifest.artifact_id != expected:
        problems.add(
            MANIFEST_NAME,
            "artifact_id_mismatch",
            f"artifact_id is {manifest.artifact_id}, its contents give {expected}",
        )
    config = root / CONFIG_NAME
    if CONFIG_NAME not in {e.path for e in manifest.files}:
        problems.add(CONFIG_NAME, "config_mismatch", "the resolved config is not listed")
        return
    if config.is_symlink() or not config.is_file():
        return  # already reported by the file checks
    try:
        actual = sha256_text(canonical_json(json.loads(config.read_text(encoding="utf-8"))))
    except (ValueError, ArtifactError) as exc:
        problems.add(CONFIG_NAME, "config_mismatch", f"not valid JSON: {exc}")
        return
    if actual != manifest.config_sha256:
        problems.add(
            CONFIG_NAME,
            "config_mismatch",
            f"config_sha256 is {manifest.config_sha256[:16]}..., config.json gives {actual[:16]}...",
        )


def _check_parents(
    manifest: ArtifactManifest, given: Sequence[Path], problems: _Problems
) -> tuple[list[str], list[str]]:
    declared = {p.artifact_id: p for p in manifest.parent_artifacts}
    seen: list[str] = []
    checked: list[str] = []
    for parent in given:
        label = str(parent)
        if not parent.is_dir():
            problems.add(label, "parent_invalid", "not a directory")
            continue
        report = verify_artifact(parent)
        if report.artifact_id is None:
            problems.add(label, "parent_invalid", "; ".join(p.detail for p in report.problems))
            continue
        seen.append(report.artifact_id)
        if not report.ok:
            problems.add(
                label,
                "parent_invalid",
                f"{len(report.problems)} problem(s); run `codelewm manifest verify {label}`",
            )
        ref = declared.get(report.artifact_id)
        if ref is None:
            problems.add(
                label,
                "parent_not_declared",
                f"{report.artifact_id} is not a declared parent (declared: {sorted(declared) or 'none'})",
            )
            continue
        actual_sha = sha256_file(parent / MANIFEST_NAME)
        if ref.manifest_sha256 != actual_sha or ref.artifact_kind != report.artifact_kind:
            problems.add(
                label,
                "parent_mismatch",
                f"declared {ref.artifact_kind} manifest sha256 {ref.manifest_sha256[:16]}..., "
                f"found {report.artifact_kind} {actual_sha[:16]}...",
            )
        elif report.ok:
            checked.append(report.artifact_id)
    unchecked = [aid for aid in declared if aid not in seen]
    return checked, unchecked
