"""Every refusal path of apply_patch, with its exact error type and the key words of its message.

Git-format cases come from the real git (rename, copy, mode change, symlink, binary, deletion)."""

from __future__ import annotations

import os

import pytest
from _code_helpers import GitRepo, MakeDiff

from codelewm.code.patch import MAX_PATCH_BYTES, MAX_PATCH_LINES, apply_patch
from codelewm.code.patch_paths import checked_path
from codelewm.errors import HunkMismatchError, MalformedPatchError, PatchError, PatchRefusedError

BEFORE = "def f(x):\n    return x + 1\n"
AFTER = "def f(x):\n    return x + 2\n"
HUNK = "@@ -1,2 +1,2 @@\n def f(x):\n-    return x + 1\n+    return x + 2\n"


def _plain(source: str, target: str) -> str:
    return f"--- {source}\n+++ {target}\n{HUNK}"


@pytest.mark.parametrize(
    ("source", "target", "problem"),
    [
        ("/etc/passwd", "/etc/passwd", "it is absolute"),
        ("a/mod.py", "/tmp/mod.py", "it is absolute"),
        ("C:/mod.py", "C:/mod.py", "it is absolute"),
        ("~/mod.py", "~/mod.py", "it is absolute"),
        ("a/../mod.py", "b/../mod.py", "it contains a '..' component"),
        ("a/mod.py", "b/pkg/../../x.py", "it contains a '..' component"),
        ("../mod.py", "../mod.py", "it contains a '..' component"),
        ("a\\mod.py", "b\\mod.py", "it contains a backslash"),
        ('"a/t\\303\\251st.py"', '"b/t\\303\\251st.py"', "it contains a backslash"),
        ("a/mod\x1b.py", "b/mod\x1b.py", "it contains a control character"),
    ],
)
def test_unsafe_names_are_refused(source: str, target: str, problem: str) -> None:
    with pytest.raises(PatchRefusedError) as info:
        apply_patch(BEFORE, _plain(source, target))
    assert problem in str(info.value)
    assert str(info.value).startswith("patch line ")


def test_nul_in_a_name_is_refused_by_the_name_check() -> None:
    with pytest.raises(PatchRefusedError, match="it contains a NUL byte"):
        checked_path("a/mod\x00.py", where="patch line 1")


def test_nul_anywhere_is_refused_before_parsing() -> None:
    with pytest.raises(PatchRefusedError, match="patch line 4 contains a NUL byte"):
        apply_patch(BEFORE, _plain("a/mod.py", "b/mod.py").replace("def f", "def\x00f", 1))


def test_git_header_names_are_checked_even_when_unidiff_ignores_them() -> None:
    diff = "diff --git a/mod.py b/mod.py\n--- a/../../etc/passwd\n+++ b/mod.py\n" + HUNK
    with pytest.raises(
        PatchRefusedError, match=r"patch line 2: file name 'a/\.\./\.\./etc/passwd'"
    ):
        apply_patch(BEFORE, diff)
    diff = "diff --git /etc/passwd b/mod.py\n--- a/mod.py\n+++ b/mod.py\n" + HUNK
    with pytest.raises(PatchRefusedError, match="patch line 1: file name '/etc/passwd'"):
        apply_patch(BEFORE, diff)


def _base(git: GitRepo) -> None:
    git.write("mod.py", BEFORE)
    git.commit("mod.py")


def test_git_rename_is_refused(git: GitRepo) -> None:
    _base(git)
    git("mv", "mod.py", "new.py")
    git.write("new.py", BEFORE + "\n\ndef g():\n    return 0\n")
    git("add", "new.py")
    diff = git("diff", "--cached", "-M")
    assert "rename from mod.py" in diff
    with pytest.raises(PatchRefusedError) as info:
        apply_patch(BEFORE, diff)
    assert str(info.value) == (
        "renames are refused: patch line 3 'rename from mod.py' (file section 'b/new.py')"
    )


def test_git_copy_is_refused(git: GitRepo) -> None:
    _base(git)
    git.write("copy.py", BEFORE)
    git("add", "copy.py")
    diff = git("diff", "--cached", "-C", "--find-copies-harder")
    assert "copy from mod.py" in diff
    with pytest.raises(
        PatchRefusedError, match=r"copies are refused: patch line 3 'copy from mod\.py'"
    ):
        apply_patch(BEFORE, diff)


def test_git_mode_change_is_refused(git: GitRepo) -> None:
    _base(git)
    os.chmod(git.path / "mod.py", 0o755)
    git.write("mod.py", AFTER)
    diff = git("-c", "core.filemode=true", "diff")
    assert "old mode 100644\nnew mode 100755\n" in diff
    with pytest.raises(PatchRefusedError) as info:
        apply_patch(BEFORE, diff, before_path="mod.py")
    assert str(info.value) == (
        "mode changes are refused: patch line 2 'old mode 100644' (file section 'b/mod.py')"
    )


def test_git_symlink_is_refused(git: GitRepo) -> None:
    _base(git)
    (git.path / "link.py").symlink_to("mod.py")
    git("add", "link.py")
    diff = git("diff", "--cached")
    assert "new file mode 120000" in diff
    with pytest.raises(PatchRefusedError, match="symlinks are refused: patch line 2"):
        apply_patch("", diff)


def test_git_file_replaced_by_symlink_is_refused(git: GitRepo) -> None:
    _base(git)
    (git.path / "mod.py").unlink()
    (git.path / "mod.py").symlink_to("elsewhere.py")
    diff = git("diff")
    with pytest.raises(PatchRefusedError, match="deleting the file is refused: patch line 2"):
        apply_patch(BEFORE, diff)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("diff",), "binary patches are refused"),
        (("diff", "--binary"), "binary patches are refused"),
    ],
)
def test_git_binary_is_refused(git: GitRepo, args: tuple[str, ...], reason: str) -> None:
    git.write("mod.py", b"\x00\x01")
    git.commit("mod.py")
    git.write("mod.py", b"\x00\x02")
    diff = git(*args)
    assert ("GIT binary patch" in diff) == ("--binary" in args)
    with pytest.raises(PatchRefusedError, match=f"{reason}: patch line 3"):
        apply_patch(BEFORE, diff)


def test_plain_binary_files_differ_is_refused() -> None:
    with pytest.raises(PatchRefusedError, match="binary patches are refused: patch line 1"):
        apply_patch(BEFORE, "Binary files a/mod.py and b/mod.py differ\n")


def test_git_deletion_is_refused(git: GitRepo) -> None:
    _base(git)
    git("rm", "-q", "mod.py")
    diff = git("diff", "--cached")
    with pytest.raises(PatchRefusedError, match="deleting the file is refused: patch line 2"):
        apply_patch(BEFORE, diff)


def test_plain_deletion_is_refused() -> None:
    diff = "--- a/mod.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-def f(x):\n-    return x + 1\n"
    with pytest.raises(PatchRefusedError, match=r"patch deletes 'a/mod\.py'"):
        apply_patch(BEFORE, diff)


def test_plain_rename_by_names_is_refused() -> None:
    with pytest.raises(PatchRefusedError) as info:
        apply_patch(BEFORE, _plain("mod.py.orig", "mod.py"))
    assert str(info.value) == (
        "patch renames 'mod.py.orig' to 'mod.py' (patch line 1): renames are refused"
    )


def test_other_file_than_the_before_is_refused(make_diff: MakeDiff) -> None:
    diff = make_diff(BEFORE, AFTER, source="a/other.py", target="b/other.py")
    with pytest.raises(PatchRefusedError) as info:
        apply_patch(BEFORE, diff, before_path="src/mod.py")
    assert str(info.value) == (
        "patch edits 'a/other.py', not the before 'src/mod.py' (patch line 1)"
    )


def test_several_files_are_listed_per_file(git: GitRepo) -> None:
    git.write("mod.py", BEFORE)
    git.write("pkg/util.py", BEFORE)
    git.write("z.py", BEFORE)
    git.commit("mod.py", "pkg/util.py", "z.py")
    for name in ("mod.py", "pkg/util.py", "z.py"):
        git.write(name, AFTER)
    diff = git("diff")
    with pytest.raises(PatchRefusedError) as info:
        apply_patch(BEFORE, diff, before_path="mod.py")
    assert str(info.value) == (
        "patch edits files other than the before 'mod.py': "
        "'b/pkg/util.py' (patch line 9), 'b/z.py' (patch line 17)"
    )
    with pytest.raises(PatchRefusedError) as info:
        apply_patch(BEFORE, diff)
    assert str(info.value).startswith("patch edits 3 files: 'b/mod.py' (patch line 1), ")
    assert str(info.value).endswith("a candidate may edit only the before")


def test_two_sections_for_the_before_are_refused() -> None:
    diff = _plain("a/mod.py", "b/mod.py") * 2
    with pytest.raises(PatchRefusedError, match=r"patch has 2 sections for the before 'mod\.py'"):
        apply_patch(BEFORE, diff, before_path="mod.py")


def test_size_limits() -> None:
    big = _plain("a/mod.py", "b/mod.py") + "#" * MAX_PATCH_BYTES
    with pytest.raises(PatchRefusedError, match="bytes, over the limit of 1,048,576 bytes"):
        apply_patch(BEFORE, big.encode())
    with pytest.raises(PatchRefusedError, match="characters, over the limit of 1,048,576 bytes"):
        apply_patch(BEFORE, big)
    wide = "é" * (MAX_PATCH_BYTES // 2 + 1)  # under the limit in characters, over it in UTF-8
    with pytest.raises(PatchRefusedError, match="bytes in UTF-8, over the limit"):
        apply_patch(BEFORE, wide)
    long = _plain("a/mod.py", "b/mod.py") + "\n" * MAX_PATCH_LINES
    with pytest.raises(PatchRefusedError, match="lines, over the limit of 20,000"):
        apply_patch(BEFORE, long)


def test_invalid_utf8_is_refused() -> None:
    data = _plain("a/mod.py", "b/mod.py").encode().replace(b"x + 2", b"x + \xff")
    with pytest.raises(MalformedPatchError) as info:
        apply_patch(BEFORE, data)
    assert str(info.value) == "patch is not valid UTF-8: invalid start byte at offset 87"
    with pytest.raises(MalformedPatchError, match="surrogates not allowed at offset 3"):
        apply_patch(BEFORE, "---\udcff")


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("", "patch is empty"),
        (" \n\t\n", "patch is empty"),
        ("please change x + 1 to x + 2\n", "patch has no file headers"),
        ("--- a/mod.py\n+++ b/mod.py\n", "patch has no hunks"),
        ("diff --git a/mod.py b/mod.py\nindex 1..2 100644\n", "patch has no hunks"),
        ("--- a/mod.py\n+++ b/mod.py\n@@ -1,3 +1,3 @@\n def f(x):\n", "Hunk is shorter"),
        ("+++ b/mod.py\n" + HUNK, "Target without source"),
        ("--- a/mod.py\n+++ b/mod.py\n" + HUNK + "junk\n" + HUNK, "Unexpected hunk found"),
    ],
)
def test_malformed_patches(patch: str, message: str) -> None:
    with pytest.raises(MalformedPatchError) as info:
        apply_patch(BEFORE, patch)
    assert message in str(info.value)


def test_every_refusal_maps_to_exit_code_2() -> None:
    for patch in ("", _plain("/x", "/x"), _plain("a/mod.py", "b/mod.py").replace("+ 1", "+ 9")):
        with pytest.raises(PatchError) as info:
            apply_patch(BEFORE, patch)
        assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("index 1111111..2222222 120000\n", "symlinks are refused: patch line 2"),
        ("index 1111111..2222222 160000\n", "submodules are refused: patch line 2"),
        ("new file mode 160000\n", "submodules are refused: patch line 2"),
        ("similarity index 90%\ncopy to b.py\n", "copies are refused: patch line 3"),
    ],
)
def test_special_modes_in_git_headers(header: str, reason: str) -> None:
    diff = "diff --git a/mod.py b/mod.py\n" + header + "--- a/mod.py\n+++ b/mod.py\n" + HUNK
    with pytest.raises(PatchRefusedError, match=reason):
        apply_patch(BEFORE, diff)


def test_marker_before_any_line_is_malformed() -> None:
    diff = "--- a/m.py\n+++ b/m.py\n@@ -1,1 +1,1 @@\n\\ No newline at end of file\n-a\n+b\n"
    with pytest.raises(MalformedPatchError) as info:
        apply_patch("a\n", diff)
    assert str(info.value) == "hunk @@ -1,1 +1,1 @@: '\\ No newline' marker before any line"


def test_end_of_file_markers_away_from_the_end_are_mismatches() -> None:
    no_eol = "\\ No newline at end of file\n"
    after_marker = "--- a/m.py\n+++ b/m.py\n@@ -1,1 +1,1 @@\n-a\n+z\n" + no_eol
    with pytest.raises(HunkMismatchError) as info:
        apply_patch("a\nb\nc\n", after_marker)
    assert str(info.value) == (
        "hunk @@ -1,1 +1,1 @@ does not apply: it ends the file without a newline, "
        "but it is not the last part of the before"
    )
    before_marker = "--- a/m.py\n+++ b/m.py\n@@ -1,1 +1,1 @@\n-a\n" + no_eol + "+z\n"
    with pytest.raises(HunkMismatchError, match=r"but the hunk does not reach the end$"):
        apply_patch("a\nb", before_marker)
