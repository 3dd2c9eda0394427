"""`codelewm manifest verify`: exit codes and outputs on real artifact directories."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from typer.testing import CliRunner

from codelewm.artifacts.manifest import load_manifest
from codelewm.cli.app import app

runner = CliRunner()


def test_ok_human_and_json(tmp_path: Path, helpers: ModuleType) -> None:
    art = helpers.write_artifact(tmp_path / "art", {"a.txt": "a"})
    artifact_id = load_manifest(art).artifact_id
    human = runner.invoke(app, ["manifest", "verify", str(art)])
    assert (human.exit_code, human.stderr) == (0, "")
    assert human.stdout == f"ok {art}: {artifact_id} (2 files, parents checked: 0)\n"
    machine = runner.invoke(app, ["manifest", "verify", str(art), "--json"])
    assert machine.exit_code == 0
    report = json.loads(machine.stdout)  # stdout holds exactly one JSON document
    assert report == {
        "schema_version": "codelewm.manifest_verify.v1",
        "path": str(art),
        "ok": True,
        "artifact_id": artifact_id,
        "artifact_kind": "dataset",
        "files_checked": 2,
        "problems": [],
        "parents_checked": [],
        "parents_unchecked": [],
    }


def test_tampered_artifact_exits_2_with_every_problem(tmp_path: Path, helpers: ModuleType) -> None:
    art = helpers.write_artifact(
        tmp_path / "art", {"a.txt": "aaaa", "b.txt": "b", "c.txt": "c", "sub/d.txt": "d"}
    )
    (art / "a.txt").write_text("aaab")  # changed byte
    (art / "b.txt").unlink()  # missing
    (art / "c.txt").write_text("cc")  # wrong size
    (art / "extra.txt").write_text("x")  # unlisted
    (art / "sub" / "link").symlink_to("../a.txt")  # symlink
    result = runner.invoke(app, ["manifest", "verify", str(art), "--json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert [(p["path"], p["kind"]) for p in report["problems"]] == [
        ("a.txt", "sha256_mismatch"),
        ("b.txt", "missing_file"),
        ("c.txt", "size_mismatch"),
        ("extra.txt", "unlisted_file"),
        ("sub/link", "symlink"),
    ]
    human = runner.invoke(app, ["manifest", "verify", str(art)])
    assert human.exit_code == 2
    for needle in (
        "5 problem(s)",
        "sha256_mismatch",
        "missing_file",
        "size_mismatch",
        "unlisted_file",
    ):
        assert needle in human.stdout


def test_path_escaping_the_root_exits_2(tmp_path: Path, helpers: ModuleType) -> None:
    art = helpers.write_artifact(tmp_path / "art", {"a.txt": "a"})
    data = json.loads((art / "manifest.json").read_text())
    data["files"].append({"path": "../../etc/passwd", "sha256": "0" * 64, "bytes": 1})
    (art / "manifest.json").write_text(json.dumps(data))
    result = runner.invoke(app, ["manifest", "verify", str(art), "--json"])
    assert result.exit_code == 2
    kinds = [(p["path"], p["kind"]) for p in json.loads(result.stdout)["problems"]]
    assert kinds == [("../../etc/passwd", "unsafe_path"), ("manifest.json", "artifact_id_mismatch")]


def test_parents(tmp_path: Path, helpers: ModuleType) -> None:
    parent = helpers.write_artifact(tmp_path / "parent", {"p.txt": "p"})
    child = helpers.write_artifact(
        tmp_path / "child", {"c.txt": "c"}, kind="checkpoint", parents=(parent,)
    )
    pid = load_manifest(parent).artifact_id

    unchecked = runner.invoke(app, ["manifest", "verify", str(child)])
    assert unchecked.exit_code == 0
    assert f"unchecked parents (give --parent to check): {pid}" in unchecked.stdout

    checked = runner.invoke(
        app, ["manifest", "verify", str(child), "--parent", str(parent), "--json"]
    )
    assert checked.exit_code == 0
    assert json.loads(checked.stdout)["parents_checked"] == [pid]

    other = helpers.write_artifact(tmp_path / "other", {"o.txt": "o"})
    wrong = runner.invoke(app, ["manifest", "verify", str(child), "--parent", str(other), "--json"])
    assert wrong.exit_code == 2
    report = json.loads(wrong.stdout)
    assert [(p["path"], p["kind"]) for p in report["problems"]] == [
        (str(other), "parent_not_declared")
    ]
    assert report["parents_unchecked"] == [pid]

    data = json.loads((parent / "manifest.json").read_text())
    data["metadata"] = {"edited": True}  # same id, different manifest bytes
    (parent / "manifest.json").write_text(json.dumps(data))
    mismatch = runner.invoke(
        app, ["manifest", "verify", str(child), "--parent", str(parent), "--json"]
    )
    assert mismatch.exit_code == 2
    assert [p["kind"] for p in json.loads(mismatch.stdout)["problems"]] == ["parent_mismatch"]


def test_missing_directory_is_an_error_record(tmp_path: Path) -> None:
    result = runner.invoke(app, ["manifest", "verify", str(tmp_path / "nope"), "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert error["schema_version"] == "codelewm.error.v1"
    assert (error["error_type"], error["exit_code"]) == ("ArtifactError", 2)
    assert error["message"] == f"{tmp_path / 'nope'} is not a directory"
    human = runner.invoke(app, ["manifest", "verify", str(tmp_path / "nope")])
    assert (human.exit_code, human.stdout) == (2, "")
    assert human.stderr.startswith("error (ArtifactError): ")
    assert "hint: Give the artifact directory" in human.stderr
