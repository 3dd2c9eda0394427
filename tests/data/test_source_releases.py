"""Releases source, archive reading and abstract edit descriptions on local fake wheels (no network)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from codelewm.data.edit_summary import describe_edit
from codelewm.data.fetch import (
    Archive,
    PinnedWheel,
    archive_members,
    archive_name_version,
    download,
    materialise,
    python_files,
    read_provenance,
)
from codelewm.data.sources.code_functions import roots_provenance
from codelewm.data.sources.releases import ReleasesConfig, ReleasesSource
from codelewm.errors import InputError

METADATA = "Metadata-Version: 2.1\nName: tinypkg\nVersion: {v}\nLicense: MIT\n"

CORE_1 = '''
def clamp(x, lo, hi):
    """Clamp x into [lo, hi]."""
    if x < lo:
        return lo
    return min(x, hi)


def mean(values):
    return sum(values) / len(values)


def label(x):
    return str(x)


def unchanged(a):
    return a * 2


def helper_0(a):
    return a + 0


def helper_1(a):
    return a + 1


def helper_2(a):
    return a + 2


def helper_3(a):
    return a + 3


def helper_4(a):
    return a + 4


def helper_5(a):
    return a + 5
'''

# 1.1: clamp gains a guard and a keyword argument; mean gains a parameter; label is reformatted.
CORE_2 = '''
def clamp(x, lo, hi):
    """Clamp x into [lo, hi]."""
    if lo > hi:
        raise ValueError("empty range")
    if x < lo:
        return lo
    return min(x, hi, key=float)


def mean(values, default=0.0):
    if not values:
        return default
    return sum(values) / len(values)


def label( x ):
    return str( x )


def unchanged(a):
    return a * 2


def helper_0(a):
    return a + 0


def helper_1(a):
    return a + 1


def helper_2(a):
    return a + 2


def helper_3(a):
    return a + 3


def helper_4(a):
    return a + 4


def helper_5(a):
    return a + 5
'''

# 1.2: every function rewritten (a bulk reformat).
CORE_3 = CORE_2.replace("return", "return  ").replace("    ", "  ")


def _wheel(cache: Path, version: str, core: str, extra: dict[str, str] | None = None) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"tinypkg-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tinypkg/__init__.py", "")
        archive.writestr("tinypkg/core.py", core)
        archive.writestr(f"tinypkg-{version}.dist-info/METADATA", METADATA.format(v=version))
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return path


def _source(cache: Path, versions: list[str]) -> ReleasesSource:
    return ReleasesSource(
        ReleasesConfig(package="tinypkg", release_versions=versions, cache_dir=cache)
    )


def test_release_pair_records(tmp_path: Path) -> None:
    _wheel(tmp_path, "1.0", CORE_1)
    _wheel(tmp_path, "1.1", CORE_2)
    source = _source(tmp_path, ["1.0", "1.1"])
    assert source.units() == ["tinypkg:1.0..1.1"]
    records = list(source.iter_transitions("tinypkg:1.0..1.1"))
    assert [(r.symbol, r.instruction) for r in records] == [
        (
            "clamp",
            "modify `clamp`: add a condition; add a raise; add a keyword argument; add a call; "
            "4 lines changed",
        ),
        (
            "mean",
            "modify `mean`: add a parameter; add a condition; add a return; 4 lines changed",
        ),
    ]
    assert dict(source.skipped) == {"format_only": 1}
    first = records[0]
    assert first.source == "releases"
    assert first.instruction_kind == "abstract"
    assert first.group == "site-packages/tinypkg"
    assert first.path == "tinypkg/core.py"
    assert first.license == "MIT"
    assert first.meta == {"package": "tinypkg", "old_version": "1.0", "new_version": "1.1"}
    assert "ValueError" not in (first.instruction or "")


def test_bulk_release_is_skipped(tmp_path: Path) -> None:
    _wheel(tmp_path, "1.1", CORE_2)
    _wheel(tmp_path, "1.2", CORE_3)
    source = _source(tmp_path, ["1.1", "1.2"])
    assert list(source.iter_transitions("tinypkg:1.1..1.2")) == []
    assert dict(source.skipped) == {"bulk_release": 10}


def test_archive_refuses_traversal_and_symlinks(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, "1.0", CORE_1, {"../evil.py": "x = 1", "/abs.py": "y = 2"})
    with zipfile.ZipFile(wheel, "a") as archive:
        link = zipfile.ZipInfo("tinypkg/link.py")
        link.external_attr = (0o120777) << 16
        archive.writestr(link, "/etc/passwd")
    skipped: Counter[str] = Counter()
    names = [name for name, _ in archive_members(wheel, skipped)]
    assert names == [
        "tinypkg-1.0.dist-info/METADATA",
        "tinypkg/__init__.py",
        "tinypkg/core.py",
    ]
    assert dict(skipped) == {"archive_path_traversal": 2, "archive_symlink": 1}


def test_sdist_tar_members(tmp_path: Path) -> None:
    path = tmp_path / "tinypkg-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in {
            "tinypkg-1.0/src/tinypkg/core.py": CORE_1,
            "tinypkg-1.0/PKG-INFO": METADATA.format(v="1.0"),
            "tinypkg-1.0/../../escape.py": "x = 1",
        }.items():
            info = tarfile.TarInfo(name)
            data = text.encode()
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("tinypkg-1.0/src/tinypkg/link.py")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    fetched = download("tinypkg", "1.0", tmp_path)
    assert fetched.fetched.kind == "sdist"
    assert fetched.fetched.license == "MIT"
    skipped: Counter[str] = Counter()
    assert list(python_files(fetched, skipped)) == ["tinypkg/core.py"]
    assert dict(skipped) == {"archive_path_traversal": 1, "archive_symlink": 1}


def test_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "tinypkg-1.0.tar.gz"
    path.write_bytes(b"not an archive")
    with pytest.raises(InputError):
        list(archive_members(path, Counter()))


def test_materialise_pinned_wheels(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    wheel = _wheel(cache, "1.0", CORE_1)
    fetched = download("tinypkg", "1.0", cache).fetched
    provenance = materialise(
        [PinnedWheel(name="tinypkg", version="1.0", sha256=fetched.sha256)], cache, tmp_path / "out"
    )
    assert [(p.name, p.version, p.filename, p.kind, p.license) for p in provenance] == [
        ("tinypkg", "1.0", wheel.name, "wheel", "MIT")
    ]
    site = tmp_path / "out" / "site-packages"
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()) == [
        "codelewm-wheels.json",
        "tinypkg-1.0.dist-info/METADATA",
        "tinypkg/__init__.py",
        "tinypkg/core.py",
    ]
    assert read_provenance(site) == provenance
    described = roots_provenance([site])
    assert described == {
        "roots": [{"path": str(site), "wheels": [provenance[0].model_dump(mode="json")]}]
    }
    releases = _source(cache, ["1.0"]).provenance()
    assert releases == {"package": "tinypkg", "archives": [fetched.model_dump(mode="json")]}
    with pytest.raises(InputError):
        materialise([PinnedWheel(name="tinypkg", version="1.0", sha256="0" * 64)], cache, tmp_path)


def test_archive_names() -> None:
    assert archive_name_version("Tiny_Pkg-1.0.3-py3-none-any.whl") == ("tiny_pkg", "1.0.3")
    assert archive_name_version("tiny-pkg-1.0.30.tar.gz") == ("tiny_pkg", "1.0.30")
    assert archive_name_version("README.txt") is None


def test_describe_edit_never_quotes_inserted_code() -> None:
    before = "def f(a):\n    return a\n"
    after = "def f(a, b):\n    if b:\n        return secret_helper(a, b)\n    return a\n"
    text = describe_edit(before, after, name="f")
    assert (
        text
        == "modify `f`: add a parameter; add a condition; add a call; add a return; 4 lines changed"
    )
    assert "secret_helper" not in text


def test_archive_type_is_exported() -> None:
    assert Archive.__name__ == "Archive"
