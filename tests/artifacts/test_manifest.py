"""The artifact contract: whole artifacts or none, a manifest that matches the files, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel

from codelewm.artifacts.digest import canonical_json, sha256_file, sha256_text
from codelewm.artifacts.manifest import (
    ArtifactWriter,
    begin_artifact,
    compute_artifact_id,
    finalize_artifact,
    load_manifest,
)
from codelewm.errors import ArtifactError, ExitCode


def test_canonical_json_and_digests(tmp_path: Path) -> None:
    assert canonical_json({"b": [1, 2.5], "a": "é"}) == '{"a":"é","b":[1,2.5]}'
    (tmp_path / "f").write_bytes(b"abc")
    assert sha256_file(tmp_path / "f") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert sha256_text("abc") == sha256_file(tmp_path / "f")
    with pytest.raises(ArtifactError, match="not canonical JSON"):
        canonical_json({"x": float("nan")})


def test_writer_writes_config_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    with ArtifactWriter(
        out, kind="dataset", config={"seed": 17, "name": "x"}, command=["codelewm", "build"]
    ) as art:
        (art.path / "sub").mkdir()
        (art.path / "sub" / "b.txt").write_text("bb", encoding="utf-8")
        (art.path / "a.jsonl").write_text("{}\n", encoding="utf-8")
        art.metadata["n_records"] = 1
    manifest = art.manifest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]  # no temp sibling left behind
    assert json.loads((out / "config.json").read_text()) == {"name": "x", "seed": 17}
    assert manifest.config_sha256 == sha256_text('{"name":"x","seed":17}')
    assert [(f.path, f.bytes) for f in manifest.files] == [
        ("a.jsonl", 3),
        ("config.json", len((out / "config.json").read_bytes())),
        ("sub/b.txt", 2),
    ]
    assert manifest.files[2].sha256 == sha256_text("bb")
    assert manifest.command == ["codelewm", "build"]
    assert manifest.metadata == {"n_records": 1}
    assert manifest.created_at.endswith("Z")
    assert manifest.artifact_id == compute_artifact_id(
        "dataset", manifest.config_sha256, manifest.files, []
    )
    assert (
        manifest.artifact_id.startswith("dataset-")
        and len(manifest.artifact_id) == len("dataset-") + 16
    )
    assert load_manifest(out) == manifest


def test_artifact_id_depends_on_content_not_time(tmp_path: Path) -> None:
    ids = []
    for name, text in [("one", "x"), ("two", "x"), ("three", "y")]:
        with ArtifactWriter(tmp_path / name, kind="report", config={"k": 1}) as art:
            (art.path / "r.txt").write_text(text)
        ids.append(art.manifest.artifact_id)
    assert ids[0] == ids[1] != ids[2]


def test_pydantic_config_is_dumped(tmp_path: Path) -> None:
    class Cfg(BaseModel):
        path: Path
        lr: float = 0.001

    with ArtifactWriter(tmp_path / "c", kind="checkpoint", config=Cfg(path=Path("/data"))) as art:
        pass
    assert json.loads((tmp_path / "c" / "config.json").read_text()) == {
        "lr": 0.001,
        "path": "/data",
    }
    assert art.manifest.config_sha256 == sha256_text('{"lr":0.001,"path":"/data"}')


def test_secrets_in_argv_are_redacted(tmp_path: Path) -> None:
    key = "sk" + "-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gH"
    with ArtifactWriter(tmp_path / "a", kind="run", config={}, command=["llm", "--key", key]):
        pass
    text = (tmp_path / "a" / "manifest.json").read_text()
    assert key not in text
    assert load_manifest(tmp_path / "a").command[2].startswith("[REDACTED:openai_key:sha256=")


def test_parents_are_recorded(make_artifact: Callable[..., Path]) -> None:
    parent = make_artifact("parent")
    child = make_artifact("child", kind="checkpoint", parents=(parent,))
    ref = load_manifest(child).parent_artifacts
    assert [(r.artifact_id, r.artifact_kind) for r in ref] == [
        (load_manifest(parent).artifact_id, "dataset")
    ]
    assert ref[0].manifest_sha256 == sha256_file(parent / "manifest.json")
    assert ref[0].path == parent.resolve().as_posix()


def test_existing_nonempty_dir_is_refused_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    with pytest.raises(ArtifactError, match="already exists and is not empty") as info:
        ArtifactWriter(out, kind="dataset", config={}).__enter__()
    assert info.value.exit_code == ExitCode.BAD_INPUT
    assert "--overwrite" in info.value.remediation
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "keep.txt").read_text() == "old"


def test_empty_existing_dir_is_fine(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with ArtifactWriter(tmp_path / "out", kind="dataset", config={}) as art:
        (art.path / "x.txt").write_text("x")
    assert (tmp_path / "out" / "x.txt").read_text() == "x"


def test_overwrite_replaces_only_after_success(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with ArtifactWriter(out, kind="dataset", config={"v": 1}) as art:
        (art.path / "old.txt").write_text("old")
    with (
        pytest.raises(RuntimeError, match="boom"),
        ArtifactWriter(out, kind="dataset", config={"v": 2}, overwrite=True) as art,
    ):
        (art.path / "new.txt").write_text("half")
        raise RuntimeError("boom")
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "manifest.json", "old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    with ArtifactWriter(out, kind="dataset", config={"v": 2}, overwrite=True) as art:
        (art.path / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "manifest.json", "new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert load_manifest(out).config_sha256 == sha256_text('{"v":2}')


def test_failed_block_leaves_no_artifact(tmp_path: Path) -> None:
    with (
        pytest.raises(KeyError),
        ArtifactWriter(tmp_path / "out", kind="dataset", config={}) as art,
    ):
        (art.path / "part.txt").write_text("half")
        raise KeyError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_target_that_is_a_file_or_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ArtifactError, match="not a directory"):
        begin_artifact(tmp_path / "file", overwrite=True)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(ArtifactError, match="is a symlink"):
        begin_artifact(tmp_path / "link", overwrite=True)


@pytest.mark.parametrize("reserved", ["config.json", "manifest.json"])
def test_reserved_names_are_refused(tmp_path: Path, reserved: str) -> None:
    tmp = begin_artifact(tmp_path / "out", overwrite=False)
    (tmp / reserved).write_text("{}")
    with pytest.raises(ArtifactError, match=f"{reserved} is written by finalize_artifact"):
        finalize_artifact(tmp, tmp_path / "out", kind="dataset", config={})


def test_symlink_inside_is_refused_and_nothing_is_published(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("outside")
    with (
        pytest.raises(ArtifactError, match=r"link\.txt is a symlink"),
        ArtifactWriter(tmp_path / "out", kind="dataset", config={}) as art,
    ):
        (art.path / "link.txt").symlink_to(tmp_path / "secret.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.txt"]


def test_bad_kind_and_unserialisable_config(tmp_path: Path) -> None:
    with (
        pytest.raises(ArtifactError, match="not a lowercase identifier"),
        ArtifactWriter(tmp_path / "a", kind="Data Set", config={}),
    ):
        pass
    with (
        pytest.raises(ArtifactError, match="not canonical JSON"),
        ArtifactWriter(tmp_path / "b", kind="dataset", config={"p": Path("x")}),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_path_and_manifest_outside_the_block(tmp_path: Path) -> None:
    art = ArtifactWriter(tmp_path / "a", kind="dataset", config={})
    with pytest.raises(ArtifactError, match="only available inside"):
        _ = art.path
    with pytest.raises(ArtifactError, match="not finalized"):
        _ = art.manifest


def test_load_manifest_errors(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="no manifest at"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ArtifactError, match=r"not a valid codelewm\.artifact_manifest\.v1"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('{"artifact_id": "x"}')
    with pytest.raises(ArtifactError, match="artifact_kind: Field required"):
        load_manifest(tmp_path)
