"""Fetch released code from PyPI through pip, without installing or running anything from it.

- `available_versions(name)`: `pip index versions NAME` (newest first, no pre-releases).
- `download(name, version, cache)`: `pip download --no-deps --only-binary :all:` into `cache`; a file
  already in the cache is reused (its sha256 is recomputed). With `allow_sdist`, falls back to the
  sdist (`--no-binary :all:`) — note that pip prepares an sdist's metadata by running the package's
  build backend, i.e. code from the package, so sdists are opt-in.
- `python_files(archive)`: the `.py` members of a wheel (zip) or sdist (tar/zip), read in memory.
  Members with absolute paths or `..` components, symlinks, hard links, devices and oversized members
  are refused (skipped with a reason), never extracted.
- `materialise(pins, cache, dest)`: unpack pinned wheels' `.py` files and `*.dist-info` metadata into
  `dest/site-packages/` (one group per top-level package for `sources/files.py`, licenses from
  METADATA), and return the provenance (name, version, file name, sha256, license) of each wheel,
  also written to `dest/site-packages/codelewm-wheels.json` (`read_provenance`) so that sources
  reading the tree can report what it holds (`provenance()` of the file-based sources).
  A pin with a sha256 refuses a download whose digest differs.

pip runs as `sys.executable -m pip` with the user's pip configuration (index, proxy, certificates).
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from codelewm.data.license import license_from_metadata
from codelewm.errors import ConfigError, InputError, SourceUnavailableError

MAX_MEMBER_BYTES = 2_000_000
PROVENANCE_FILE = "codelewm-wheels.json"
PIP_TIMEOUT_S = 300


class PinnedWheel(BaseModel):
    """One exact release to fetch; `sha256` (of the wheel file) makes the fetch verifiable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str
    sha256: str | None = None


class Fetched(BaseModel):
    """Provenance of one downloaded archive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str
    filename: str
    sha256: str
    kind: str  # "wheel" | "sdist"
    license: str | None = None


@dataclass(frozen=True)
class Archive:
    path: Path
    fetched: Fetched


def _normalise_name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _pip(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [sys.executable, "-m", "pip", *args],
            capture_output=True,
            text=True,
            timeout=PIP_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SourceUnavailableError(f"pip {' '.join(args[:2])} failed to run: {exc}") from exc


def available_versions(name: str) -> list[str]:
    """Released versions of `name`, newest first (what `pip index versions` reports)."""
    result = _pip(["index", "versions", name, "--disable-pip-version-check"])
    match = re.search(r"^Available versions:\s*(.+)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or match is None:
        raise SourceUnavailableError(
            f"cannot list versions of {name!r}: {_last_line(result.stderr or result.stdout)}",
            remediation="Check the package name and that pip can reach the package index.",
        )
    return [v.strip() for v in match.group(1).split(",") if v.strip()]


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


_SDIST_EXTENSIONS = (".tar.gz", ".zip", ".tar.bz2")


def archive_name_version(filename: str) -> tuple[str, str] | None:
    """(normalised distribution name, version) from a wheel or sdist file name."""
    if filename.endswith(".whl"):
        parts = filename[: -len(".whl")].split("-")
        return (_normalise_name(parts[0]), parts[1]) if len(parts) >= 5 else None
    for extension in _SDIST_EXTENSIONS:
        if filename.endswith(extension):
            name, _, version = filename[: -len(extension)].rpartition("-")
            return (_normalise_name(name), version) if name else None
    return None


def _cached(name: str, version: str, cache: Path) -> Path | None:
    """A wheel of `name==version` in `cache` (preferred), else its sdist."""
    wanted = (_normalise_name(name), version)
    found = [p for p in sorted(cache.iterdir()) if archive_name_version(p.name) == wanted]
    wheels = [p for p in found if p.name.endswith(".whl")]
    ordered = wheels or found
    return ordered[0] if ordered else None


def download(name: str, version: str, cache: Path, *, allow_sdist: bool = False) -> Archive:
    """The wheel (or, with `allow_sdist`, the sdist) of `name==version`, cached in `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    path = _cached(name, version, cache)
    if path is None:
        spec = f"{name}=={version}"
        base = ["download", "--no-deps", "--dest", str(cache), "--disable-pip-version-check"]
        result = _pip([*base, "--only-binary", ":all:", spec])
        if result.returncode != 0 and allow_sdist:
            result = _pip([*base, "--no-binary", ":all:", spec])
        path = _cached(name, version, cache)
        if result.returncode != 0 or path is None:
            raise SourceUnavailableError(
                f"cannot download {spec}: {_last_line(result.stderr or result.stdout)}",
                remediation="Check the version exists (`pip index versions NAME`) and pip can reach "
                "the index; releases without a wheel need allow_sdist.",
            )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    kind = "wheel" if path.name.endswith(".whl") else "sdist"
    license_id = license_from_metadata(archive_metadata(path) or "")
    return Archive(
        path,
        Fetched(
            name=name,
            version=version,
            filename=path.name,
            sha256=digest,
            kind=kind,
            license=license_id,
        ),
    )


def prefetch(specs: Sequence[tuple[str, str]], cache: Path) -> None:
    """Download every (name, version) not yet in `cache` with ONE pip run (wheels only); what pip
    cannot get is left for `download` to report."""
    cache.mkdir(parents=True, exist_ok=True)
    missing = sorted({f"{n}=={v}" for n, v in specs if _cached(n, v, cache) is None})
    if missing:
        _pip(
            [
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                "--dest",
                str(cache),
                "--disable-pip-version-check",
                *missing,
            ]
        )


def load_pins(path: Path) -> list[PinnedWheel]:
    """`[[wheels]]` tables (name, version, sha256) of a TOML lock file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the wheel pins {path}: {exc}") from exc
    unknown = set(raw) - {"wheels"}
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)}; expected [[wheels]] tables")
    try:
        return [PinnedWheel.model_validate(item) for item in raw.get("wheels", [])]
    except ValueError as exc:
        raise ConfigError(f"{path}: invalid wheel pin: {exc}") from exc


# --- reading archives in memory ---------------------------------------------------------------


def _safe_name(name: str) -> str | None:
    """The member path in posix form, or None for absolute paths and `..` components."""
    name = name.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    normal = posixpath.normpath(name)
    if normal.startswith("../") or normal == ".." or "/../" in f"/{name}/":
        return None
    return normal


def _zip_members(data: bytes, skipped: Counter[str]) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            name = _safe_name(info.filename)
            mode = info.external_attr >> 16
            if name is None:
                skipped["archive_path_traversal"] += 1
            elif (mode & 0o170000) == 0o120000:
                skipped["archive_symlink"] += 1
            elif info.file_size > MAX_MEMBER_BYTES:
                skipped["file_too_large"] += 1
            else:
                yield name, archive.read(info)


def _tar_members(data: bytes, skipped: Counter[str]) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        for info in sorted(archive.getmembers(), key=lambda i: i.name):
            if info.isdir():
                continue
            name = _safe_name(info.name)
            if name is None:
                skipped["archive_path_traversal"] += 1
            elif info.issym() or info.islnk():
                skipped["archive_symlink"] += 1
            elif not info.isfile():
                skipped["archive_special_file"] += 1
            elif info.size > MAX_MEMBER_BYTES:
                skipped["file_too_large"] += 1
            else:
                handle = archive.extractfile(info)
                if handle is not None:
                    yield name, handle.read()


def archive_members(path: Path, skipped: Counter[str]) -> Iterator[tuple[str, bytes]]:
    """(posix member path, bytes) of every regular file of a wheel/zip or tar archive, sorted."""
    data = path.read_bytes()
    try:
        if zipfile.is_zipfile(io.BytesIO(data)):
            yield from _zip_members(data, skipped)
        else:
            yield from _tar_members(data, skipped)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise InputError(f"{path.name} is not a readable archive: {exc}") from exc


def strip_sdist_root(name: str) -> str:
    """`pkg-1.0/src/pkg/mod.py` -> `pkg/mod.py` (an sdist's top directory and a `src/` layout)."""
    parts = name.split("/")[1:]
    if parts and parts[0] == "src":
        parts = parts[1:]
    return "/".join(parts)


def python_files(archive: Archive, skipped: Counter[str]) -> dict[str, bytes]:
    """`.py` files of the archive by their import path (`pkg/mod.py`), tests directories kept."""
    files: dict[str, bytes] = {}
    for name, data in archive_members(archive.path, skipped):
        path = name if archive.fetched.kind == "wheel" else strip_sdist_root(name)
        if path.endswith(".py") and path and ".dist-info/" not in path:
            files[path] = data
    return files


def archive_metadata(path: Path) -> str | None:
    """The core metadata text: a wheel's `*.dist-info/METADATA` or an sdist's top `PKG-INFO`."""
    skipped: Counter[str] = Counter()
    try:
        for name, data in archive_members(path, skipped):
            top_pkg_info = name.count("/") == 1 and name.endswith("/PKG-INFO")
            if name.endswith(".dist-info/METADATA") or top_pkg_info:
                return data.decode("utf-8", "replace")
    except InputError:
        return None
    return None


# --- pinned wheels as a site-packages tree ----------------------------------------------------


def materialise(pins: Sequence[PinnedWheel], cache: Path, dest: Path) -> list[Fetched]:
    """Unpack the `.py` files and dist-info metadata of pinned wheels under `dest/site-packages`."""
    site = dest / "site-packages"
    provenance: list[Fetched] = []
    prefetch([(pin.name, pin.version) for pin in pins], cache)
    for pin in sorted(pins, key=lambda p: _normalise_name(p.name)):
        archive = download(pin.name, pin.version, cache)
        if pin.sha256 is not None and archive.fetched.sha256 != pin.sha256:
            raise InputError(
                f"{archive.fetched.filename}: sha256 {archive.fetched.sha256} != pinned {pin.sha256}",
                remediation="The index served a different file than the pin; check the index or pin.",
            )
        skipped: Counter[str] = Counter()
        for name, data in archive_members(archive.path, skipped):
            in_data_dir = name.split("/", 1)[0].endswith(
                ".data"
            )  # scripts, headers: not the package
            if (name.endswith(".py") and not in_data_dir) or _is_dist_info_metadata(name):
                target = site / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)  # a fresh scratch tree: no need for atomic writes
        provenance.append(archive.fetched)
    site.mkdir(parents=True, exist_ok=True)
    record = [item.model_dump(mode="json") for item in provenance]
    (site / PROVENANCE_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return provenance


def read_provenance(site_packages: Path) -> list[Fetched]:
    """The wheels that `materialise` unpacked into a tree (empty for any other tree)."""
    path = site_packages / PROVENANCE_FILE
    if not path.is_file():
        return []
    try:
        return [Fetched.model_validate(item) for item in json.loads(path.read_text("utf-8"))]
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path} is not a wheel provenance file: {exc}") from exc


def _is_dist_info_metadata(name: str) -> bool:
    parts = name.split("/")
    return (
        len(parts) == 2
        and parts[0].endswith(".dist-info")
        and parts[1] in {"METADATA", "RECORD", "top_level.txt"}
    )
