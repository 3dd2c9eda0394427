"""The artifact contract: every artifact directory is written whole, with `config.json` and `manifest.json`.

Use `ArtifactWriter` (a context manager) so the manifest cannot be forgotten:

    with ArtifactWriter(out_dir, kind="dataset", config=cfg, overwrite=overwrite) as art:
        (art.path / "records.jsonl").write_text(...)
        art.metadata["n_records"] = n
    art.manifest  # the ArtifactManifest that now sits at out_dir/manifest.json

Files are written into a hidden temp sibling (`.<name>.tmp-<pid>-<host>-*`) that is renamed into place
only after `config.json` and `manifest.json` are complete, so an interrupted run never leaves a half
artifact at the final path; the temp dir a killed run leaves is removed by the next writer of the same
path once its pid is dead (`remove_stale_temps`). An existing non-empty directory is refused without `overwrite`; with it, the old directory is
replaced only after the new one is complete. `begin_artifact` / `finalize_artifact` are the same steps as
plain functions.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ValidationError

from codelewm.artifacts.atomic import atomic_write_text, fsync_dir
from codelewm.artifacts.digest import canonical_json, sha256_file, sha256_text
from codelewm.artifacts.redact import redact
from codelewm.errors import ArtifactError
from codelewm.records import ArtifactManifest, FileEntry, ParentRef

__all__ = [
    "CONFIG_NAME",
    "MANIFEST_NAME",
    "ArtifactWriter",
    "begin_artifact",
    "canonical_json",
    "compute_artifact_id",
    "discard_artifact",
    "finalize_artifact",
    "load_manifest",
    "parent_ref",
    "remove_stale_temps",
    "sha256_file",
]

MANIFEST_NAME = "manifest.json"
CONFIG_NAME = "config.json"
_KIND = re.compile(r"^[a-z][a-z0-9_\-]{0,63}$")
_GIT_SHA = re.compile(r"^[0-9a-f]{40,64}$")


def begin_artifact(out_dir: Path, *, overwrite: bool) -> Path:
    """Check that `out_dir` may be written and return a fresh temp directory beside it to write into.

    Stale temp siblings of the same artifact, left by a writer that was killed, are removed first
    (`remove_stale_temps`)."""
    _check_target(out_dir, overwrite=overwrite)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out_dir)
    tmp = (
        out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}-{_host_tag()}-{uuid.uuid4().hex[:12]}"
    )
    tmp.mkdir(mode=0o777)  # the umask applies, as for any directory the user creates
    return tmp


def remove_stale_temps(out_dir: Path, *, now: float | None = None) -> list[Path]:
    """Remove the `.<name>.tmp-*` siblings of `out_dir` that no live writer owns; returns them.

    A temp dir is named `.<name>.tmp-<pid>-<host>-<random>`. It is stale when its writer ran on this
    host and that pid is no longer alive; one from another host (a shared file system) or of the older
    `.<name>.tmp-<random>` form is stale only once nothing in it changed for STALE_TEMP_AGE_S. A temp
    dir whose pid is alive is never removed, however old (a reused pid leaves garbage, never loses
    work).
    """
    now = time.time() if now is None else now
    removed = []
    for tmp in out_dir.parent.glob(f".{glob.escape(out_dir.name)}.tmp-*"):
        if tmp.is_symlink() or not tmp.is_dir() or not _is_stale(tmp, out_dir.name, now):
            continue
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp)
    return removed


STALE_TEMP_AGE_S = 6 * 3600
_TEMP_OWNER = re.compile(r"^(?P<pid>[0-9]+)-(?P<host>[0-9a-f]{8})-[0-9a-f]{12}$")


def _is_stale(tmp: Path, name: str, now: float) -> bool:
    owner = _TEMP_OWNER.match(tmp.name.removeprefix(f".{name}.tmp-"))
    if owner is not None and owner["host"] == _host_tag():
        return not _pid_alive(int(owner["pid"]))
    try:
        newest = max([tmp.lstat().st_mtime, *(p.lstat().st_mtime for p in tmp.iterdir())])
    except OSError:
        return False
    return now - newest > STALE_TEMP_AGE_S


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    except OSError:
        return True  # cannot tell: keep it
    return True


def _host_tag() -> str:
    return sha256_text(socket.gethostname())[:8]


def discard_artifact(tmp_dir: Path) -> None:
    """Remove an unfinished temp directory (after a failure)."""
    shutil.rmtree(tmp_dir, ignore_errors=True)


def finalize_artifact(
    tmp_dir: Path,
    final_dir: Path,
    *,
    kind: str,
    config: Mapping[str, Any] | BaseModel,
    command: Sequence[str] | None = None,
    parents: Sequence[Path] = (),
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> ArtifactManifest:
    """Write `config.json` and `manifest.json` into `tmp_dir`, then rename it to `final_dir`."""
    if not _KIND.match(kind):
        raise ArtifactError(
            f"artifact kind {kind!r} is not a lowercase identifier",
            remediation="Use a kind like 'dataset', 'checkpoint' or 'eval-report'.",
        )
    if tmp_dir.resolve().parent != final_dir.absolute().parent.resolve():
        raise ArtifactError(f"{tmp_dir} is not a sibling of {final_dir}; use begin_artifact()")
    for reserved in (CONFIG_NAME, MANIFEST_NAME):
        if (tmp_dir / reserved).exists() or (tmp_dir / reserved).is_symlink():
            raise ArtifactError(
                f"{reserved} is written by finalize_artifact; do not write it yourself"
            )
    config_obj = config.model_dump(mode="json") if isinstance(config, BaseModel) else dict(config)
    atomic_write_text(tmp_dir / CONFIG_NAME, _pretty_json(config_obj))
    manifest = _build_manifest(
        tmp_dir,
        kind=kind,
        config_sha256=sha256_text(canonical_json(config_obj)),
        command=list(sys.argv if command is None else command),
        parents=[parent_ref(p) for p in parents],
        metadata=dict(metadata or {}),
    )
    atomic_write_text(tmp_dir / MANIFEST_NAME, manifest.model_dump_json(indent=2) + "\n")
    _swap_into_place(tmp_dir, final_dir, overwrite=overwrite)
    return manifest


class ArtifactWriter:
    """Context manager around begin/finalize: on success the artifact appears whole, on error not at all."""

    def __init__(
        self,
        out_dir: Path,
        *,
        kind: str,
        config: Mapping[str, Any] | BaseModel,
        overwrite: bool = False,
        command: Sequence[str] | None = None,
        parents: Sequence[Path] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.kind = kind
        self.config = config
        self.overwrite = overwrite
        self.command = command
        self.parents = list(parents)
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._tmp: Path | None = None
        self._manifest: ArtifactManifest | None = None

    @property
    def path(self) -> Path:
        """The directory to write files into while the block runs."""
        if self._tmp is None:
            raise ArtifactError("ArtifactWriter.path is only available inside its `with` block")
        return self._tmp

    @property
    def manifest(self) -> ArtifactManifest:
        if self._manifest is None:
            raise ArtifactError("the artifact is not finalized yet (leave the `with` block first)")
        return self._manifest

    def __enter__(self) -> ArtifactWriter:
        self._tmp = begin_artifact(self.out_dir, overwrite=self.overwrite)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tmp, self._tmp = self.path, None
        if exc_type is not None:
            discard_artifact(tmp)
            return
        try:
            self._manifest = finalize_artifact(
                tmp,
                self.out_dir,
                kind=self.kind,
                config=self.config,
                command=self.command,
                parents=self.parents,
                metadata=self.metadata,
                overwrite=self.overwrite,
            )
        except BaseException:
            discard_artifact(tmp)
            raise


def load_manifest(path: Path) -> ArtifactManifest:
    """Read `manifest.json` from an artifact directory (or the file itself); typed errors otherwise."""
    file = path / MANIFEST_NAME if path.is_dir() else path
    if file.is_symlink():
        raise ArtifactError(f"{file} is a symlink; manifests are never read through links")
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ArtifactError(
            f"no manifest at {file}",
            remediation="Point at a directory written by a codelewm command (it holds manifest.json).",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"cannot read {file}: {exc}") from exc
    try:
        return ArtifactManifest.model_validate_json(text)
    except ValidationError as exc:
        raise ArtifactError(
            f"{file} is not a valid codelewm.artifact_manifest.v1 document "
            f"({exc.error_count()} errors; first: {_first_error(exc)})",
            remediation="The manifest is corrupt or from another tool: re-create the artifact.",
        ) from exc


def parent_ref(path: Path) -> ParentRef:
    """How a child manifest points at the artifact directory `path`."""
    manifest = load_manifest(path)
    return ParentRef(
        artifact_id=manifest.artifact_id,
        artifact_kind=manifest.artifact_kind,
        manifest_sha256=sha256_file(path / MANIFEST_NAME),
        path=path.resolve().as_posix(),
    )


def compute_artifact_id(
    kind: str, config_sha256: str, files: Sequence[FileEntry], parents: Sequence[ParentRef]
) -> str:
    """`<kind>-<sha256[:16]>` over the kind, the config digest, every file digest and the parents."""
    payload = {
        "kind": kind,
        "config_sha256": config_sha256,
        "files": [[f.path, f.sha256, f.bytes] for f in files],
        "parents": [[p.artifact_id, p.manifest_sha256] for p in parents],
    }
    return f"{kind}-{sha256_text(canonical_json(payload))[:16]}"


def _check_target(out_dir: Path, *, overwrite: bool) -> None:
    if out_dir.is_symlink():
        raise ArtifactError(f"{out_dir} is a symlink; artifacts are never written through links")
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise ArtifactError(
            f"{out_dir} exists and is not a directory", remediation="Choose another output path."
        )
    if not overwrite and any(out_dir.iterdir()):
        raise ArtifactError(
            f"{out_dir} already exists and is not empty",
            remediation="Pass --overwrite to replace it, or choose another output directory.",
        )


def _build_manifest(
    root: Path,
    *,
    kind: str,
    config_sha256: str,
    command: list[str],
    parents: list[ParentRef],
    metadata: dict[str, Any],
) -> ArtifactManifest:
    canonical_json(metadata)  # refuses what JSON cannot hold, before anything is written
    files = _list_files(root)
    return ArtifactManifest(
        artifact_id=compute_artifact_id(kind, config_sha256, files, parents),
        artifact_kind=kind,
        created_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        source_git_sha=_git_sha(),
        command=[redact(arg) for arg in command],
        config_sha256=config_sha256,
        parent_artifacts=parents,
        files=files,
        metadata=metadata,
    )


def _list_files(root: Path) -> list[FileEntry]:
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            full = Path(dirpath) / name
            if full.is_symlink() or not (full.is_dir() or full.is_file()):
                raise ArtifactError(
                    f"{full.relative_to(root)} is a symlink or special file; artifacts hold plain files only"
                )
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if rel != MANIFEST_NAME:
                _fsync_file(full)
                entries.append(
                    FileEntry(path=rel, sha256=sha256_file(full), bytes=full.stat().st_size)
                )
    return sorted(entries, key=lambda e: e.path)


def _swap_into_place(tmp_dir: Path, final_dir: Path, *, overwrite: bool) -> None:
    fsync_dir(tmp_dir)
    if final_dir.exists() or final_dir.is_symlink():
        _check_target(final_dir, overwrite=overwrite)
        old = final_dir.with_name(f".{final_dir.name}.old-{uuid.uuid4().hex[:12]}")
        os.replace(final_dir, old)
        os.replace(tmp_dir, final_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp_dir, final_dir)
    fsync_dir(final_dir.parent)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _git_sha() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and _GIT_SHA.match(sha) else "unknown"


def _pretty_json(obj: Any) -> str:
    canonical_json(obj)
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"]) or "<root>"
    return f"{where}: {err['msg']}"
