"""verify_artifact on real artifact directories, tampered in every way the issue names."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codelewm.artifacts.digest import sha256_file
from codelewm.artifacts.manifest import compute_artifact_id, load_manifest
from codelewm.artifacts.verify import unsafe_reason, verify_artifact
from codelewm.errors import ArtifactError
from codelewm.records import ArtifactManifest, FileEntry

MakeArtifact = Callable[..., Path]


def problems(path: Path, parents: tuple[Path, ...] = ()) -> list[tuple[str, str]]:
    return [(p.path, p.kind) for p in verify_artifact(path, parents).problems]


def rewrite_manifest(
    art: Path, edit: Callable[[dict[str, Any]], None], *, fix_id: bool = True
) -> None:
    """Edit manifest.json as a careful forger would: recompute the artifact id afterwards."""
    data = json.loads((art / "manifest.json").read_text())
    edit(data)
    if fix_id:
        m = ArtifactManifest.model_validate(data)
        data["artifact_id"] = compute_artifact_id(
            m.artifact_kind, m.config_sha256, m.files, m.parent_artifacts
        )
    (art / "manifest.json").write_text(json.dumps(data, indent=2))


def test_clean_artifact_is_ok(make_artifact: MakeArtifact) -> None:
    art = make_artifact()
    report = verify_artifact(art)
    assert report.ok is True
    assert report.problems == []
    assert report.files_checked == 3  # config.json, data.jsonl, sub/notes.txt
    assert report.artifact_id == load_manifest(art).artifact_id
    assert report.artifact_kind == "dataset"


def test_changed_byte_same_size(make_artifact: MakeArtifact) -> None:
    art = make_artifact()
    (art / "data.jsonl").write_text('{"x": 2}\n')
    report = verify_artifact(art)
    assert report.ok is False
    assert [(p.path, p.kind) for p in report.problems] == [("data.jsonl", "sha256_mismatch")]
    assert report.problems[0].detail.startswith("manifest says sha256 ")


def test_missing_file(make_artifact: MakeArtifact) -> None:
    art = make_artifact()
    (art / "sub" / "notes.txt").unlink()
    assert problems(art) == [("sub/notes.txt", "missing_file")]


def test_extra_file(make_artifact: MakeArtifact) -> None:
    art = make_artifact()
    (art / "sub" / "extra.bin").write_bytes(b"\x00")
    assert problems(art) == [("sub/extra.bin", "unlisted_file")]


def test_wrong_size(make_artifact: MakeArtifact) -> None:
    art = make_artifact()
    (art / "data.jsonl").write_text('{"x": 1}\n\n')
    report = verify_artifact(art)
    assert [(p.path, p.kind, p.detail) for p in report.problems] == [
        ("data.jsonl", "size_mismatch", "manifest says 9 bytes, file has 10")
    ]


def test_wrong_size_in_manifest_only(make_artifact: MakeArtifact) -> None:
    art = make_artifact()
    rewrite_manifest(art, lambda d: d["files"][1].update(bytes=99))
    assert problems(art) == [("data.jsonl", "size_mismatch")]


def test_every_problem_is_reported(make_artifact: MakeArtifact) -> None:
    art = make_artifact()
    (art / "data.jsonl").write_text('{"x": 3}\n')
    (art / "sub" / "notes.txt").unlink()
    (art / "zz.txt").write_text("new")
    (art / "sub" / "ln").symlink_to("../data.jsonl")
    rewrite_manifest(art, lambda d: d.update(artifact_id="dataset-0000000000000000"), fix_id=False)
    assert problems(art) == [
        ("data.jsonl", "sha256_mismatch"),
        ("sub/notes.txt", "missing_file"),
        ("zz.txt", "unlisted_file"),
        ("sub/ln", "symlink"),
        ("manifest.json", "artifact_id_mismatch"),
    ]


@pytest.mark.parametrize(
    ("listed", "reason"),
    [
        ("../outside.txt", "'..' escapes the artifact root"),
        ("sub/../../outside.txt", "'..' escapes the artifact root"),
        ("/etc/hostname", "absolute path"),
        ("C:/Windows/win.ini", "absolute path"),
        ("sub\\..\\..\\outside.txt", "backslash in path"),
        ("./data.jsonl", "path is not normalised"),
    ],
)
def test_paths_escaping_the_root_are_refused(
    make_artifact: MakeArtifact, tmp_path: Path, listed: str, reason: str
) -> None:
    art = make_artifact()
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    entry = {"path": listed, "sha256": sha256_file(outside), "bytes": 1}
    rewrite_manifest(art, lambda d: d["files"].append(entry))
    report = verify_artifact(art)
    assert [(p.path, p.kind, p.detail) for p in report.problems] == [
        (listed, "unsafe_path", f"refused: {reason}")
    ]


def test_symlinked_file_and_directory(make_artifact: MakeArtifact, tmp_path: Path) -> None:
    art = make_artifact()
    elsewhere = tmp_path / "elsewhere"
    shutil.move(art / "sub", elsewhere)  # same content, now reached through a link
    (art / "sub").symlink_to(elsewhere)
    assert problems(art) == [("sub", "symlink")]

    art2 = make_artifact("art2")
    (art2 / "data.jsonl").unlink()
    (art2 / "data.jsonl").symlink_to(elsewhere / "notes.txt")
    assert problems(art2) == [("data.jsonl", "symlink")]


def test_special_file_and_duplicate_entry(make_artifact: MakeArtifact) -> None:
    art = make_artifact()
    os.mkfifo(art / "pipe")
    rewrite_manifest(art, lambda d: d["files"].append(dict(d["files"][1])))
    assert problems(art) == [("data.jsonl", "duplicate_entry"), ("pipe", "not_a_file")]


def test_config_that_no_longer_matches_its_digest(make_artifact: MakeArtifact) -> None:
    art = make_artifact()
    (art / "config.json").write_text('{"seed": 18}\n')

    def relist(d: dict[str, Any]) -> None:
        d["files"][0] = FileEntry(
            path="config.json",
            sha256=sha256_file(art / "config.json"),
            bytes=(art / "config.json").stat().st_size,
        ).model_dump()

    rewrite_manifest(art, relist)
    assert problems(art) == [("config.json", "config_mismatch")]


def test_manifest_missing_or_corrupt(make_artifact: MakeArtifact) -> None:
    art = make_artifact()
    (art / "manifest.json").write_text("{")
    report = verify_artifact(art)
    assert (report.ok, report.artifact_id, problems(art)) == (
        False,
        None,
        [("manifest.json", "manifest_invalid")],
    )
    (art / "manifest.json").unlink()
    assert problems(art) == [("manifest.json", "manifest_invalid")]


def test_not_a_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="is not a directory"):
        verify_artifact(tmp_path / "nope")


def test_parents_checked_unchecked_and_refused(make_artifact: MakeArtifact) -> None:
    parent = make_artifact("parent")
    child = make_artifact("child", kind="checkpoint", parents=(parent,))
    pid = load_manifest(parent).artifact_id

    alone = verify_artifact(child)
    assert (alone.ok, alone.parents_checked, alone.parents_unchecked) == (True, [], [pid])
    both = verify_artifact(child, [parent])
    assert (both.ok, both.parents_checked, both.parents_unchecked) == (True, [pid], [])

    stranger = make_artifact("stranger", files={"s.txt": "s"})
    assert problems(child, (stranger,)) == [(str(stranger), "parent_not_declared")]
    assert problems(child, (child.parent / "missing",)) == [
        (str(child.parent / "missing"), "parent_invalid")
    ]

    (parent / "data.jsonl").write_text("tampered\n")
    assert problems(child, (parent,)) == [(str(parent), "parent_invalid")]


def test_parent_with_same_id_but_other_manifest(make_artifact: MakeArtifact) -> None:
    parent = make_artifact("parent")
    child = make_artifact("child", kind="checkpoint", parents=(parent,))
    rewrite_manifest(parent, lambda d: d["metadata"].update(note="re-made"))
    assert verify_artifact(parent).ok  # still a valid artifact with the same id...
    report = verify_artifact(child, [parent])
    assert [(p.path, p.kind) for p in report.problems] == [(str(parent), "parent_mismatch")]
    assert report.parents_checked == []


def test_unsafe_reason_accepts_plain_paths() -> None:
    assert unsafe_reason("a/b.txt") is None
    assert unsafe_reason("a..b/c") is None
    assert unsafe_reason("manifest.json") == "the manifest cannot list itself"
    assert unsafe_reason("") == "empty path"
    assert unsafe_reason("a//b") == "path is not normalised"
