"""apply_patch on real diffs: difflib and git output, offsets, end-of-file newlines, CRLF."""

from __future__ import annotations

import pytest
from _code_helpers import NO_EOL, GitRepo, MakeDiff

from codelewm.code.patch import apply_patch
from codelewm.errors import HunkMismatchError, MalformedPatchError, PatchRefusedError

BEFORE = (
    "import os\n"
    "\n"
    "\n"
    "def size(path):\n"
    '    """Bytes in the file."""\n'
    "    return os.stat(path).st_size\n"
    "\n"
    "\n"
    "def exists(path):\n"
    "    try:\n"
    "        size(path)\n"
    "    except OSError:\n"
    "        return False\n"
    "    return True\n"
    "\n"
    "\n"
    "def total(paths):\n"
    "    n = 0\n"
    "    for p in paths:\n"
    "        n += size(p)\n"
    "    return n\n"
)
AFTER = BEFORE.replace("return os.stat(path).st_size", "return os.path.getsize(path)").replace(
    "    return n\n", "    return int(n)\n"
)


@pytest.mark.parametrize("before_path", [None, "mod.py", "src/mod.py", "/home/me/proj/mod.py"])
def test_difflib_diff_applies(make_diff: MakeDiff, before_path: str | None) -> None:
    assert apply_patch(BEFORE, make_diff(BEFORE, AFTER), before_path=before_path) == AFTER


def test_bytes_and_bare_hunks_apply(make_diff: MakeDiff) -> None:
    diff = make_diff(BEFORE, AFTER)
    assert apply_patch(BEFORE, diff.encode("utf-8")) == AFTER
    bare = diff[diff.index("@@") :]
    assert apply_patch(BEFORE, "\n\n" + bare) == AFTER


def test_git_diff_of_a_real_edit_applies(git: GitRepo) -> None:
    git.write("pkg/mod.py", BEFORE)
    git.commit("pkg/mod.py")
    git.write("pkg/mod.py", AFTER)
    diff = git("diff")
    assert diff.startswith("diff --git a/pkg/mod.py b/pkg/mod.py\nindex ")
    assert apply_patch(BEFORE, diff, before_path="/work/checkout/pkg/mod.py") == AFTER
    assert apply_patch(BEFORE, diff, before_path="mod.py") == AFTER


def test_git_no_index_no_prefix_diff_applies(git: GitRepo) -> None:
    git.write("old/mod.py", BEFORE)
    git.write("new/mod.py", AFTER)
    diff = git("diff", "--no-index", "--no-prefix", "old/mod.py", "new/mod.py")
    # --no-index names the two files differently: that is a rename
    with pytest.raises(PatchRefusedError, match="renames are refused"):
        apply_patch(BEFORE, diff)
    same_name = git("diff", "--no-index", "old/mod.py", "new/mod.py").replace(
        "new/mod.py", "old/mod.py"
    )
    assert apply_patch(BEFORE, same_name, before_path="old/mod.py") == AFTER


def test_offset_search_finds_shifted_hunks(make_diff: MakeDiff) -> None:
    diff = make_diff(BEFORE, AFTER)
    shifted = "# header\n# more\n" + BEFORE.replace("def total", "# note\ndef total")
    expected = "# header\n# more\n" + AFTER.replace("def total", "# note\ndef total")
    assert apply_patch(shifted, diff) == expected


def test_hunk_mismatch_names_the_hunk_and_first_bad_line(make_diff: MakeDiff) -> None:
    diff = make_diff(BEFORE, AFTER)
    changed = BEFORE.replace("    n = 0\n", "    n = 1\n")
    with pytest.raises(HunkMismatchError) as info:
        apply_patch(changed, diff)
    assert str(info.value) == (
        "hunk @@ -18,4 +18,4 @@ does not apply at any offset (exact context, no fuzz): "
        "line 18 of the before is '    n = 1', the hunk expects '    n = 0'"
    )
    assert info.value.exit_code == 2


def test_mismatch_past_the_end_of_the_before() -> None:
    diff = "--- a/m.py\n+++ b/m.py\n@@ -3,2 +3,2 @@\n x\n-y\n+z\n"
    with pytest.raises(
        HunkMismatchError, match=r"expects 'x' at line 3, but the before has only 2"
    ):
        apply_patch("a\nb\n", diff)


def test_pure_insertion_at_the_end() -> None:
    diff = "--- a/m.py\n+++ b/m.py\n@@ -2,0 +3,1 @@\n+c\n"
    assert apply_patch("a\nb\n", diff) == "a\nb\nc\n"
    with pytest.raises(HunkMismatchError, match="inserts after line 5 but the before has 2 lines"):
        apply_patch("a\nb\n", diff.replace("-2,0", "-5,0"))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("x = 1\ny = 2", "x = 1\ny = 3"),  # no newline on either side
        ("x = 1\ny = 2", "x = 1\ny = 2\n"),  # adds the final newline
        ("x = 1\ny = 2\n", "x = 1\ny = 3"),  # removes it
        ("x = 1\ny = 2", "x = 0\ny = 2"),  # edit far from the end keeps its absence
        ("", "x = 1\n"),
        ("x = 1\n", ""),
    ],
)
def test_end_of_file_newline_round_trips(make_diff: MakeDiff, before: str, after: str) -> None:
    assert apply_patch(before, make_diff(before, after)) == after


def test_git_diff_without_final_newline(git: GitRepo) -> None:
    git.write("m.py", "a = 1\nb = 2")
    git.commit("m.py")
    git.write("m.py", "a = 1\nb = 3")
    diff = git("diff")
    assert diff.endswith("-b = 2\n" + NO_EOL + "+b = 3\n" + NO_EOL)
    assert apply_patch("a = 1\nb = 2", diff, before_path="m.py") == "a = 1\nb = 3"


def test_sloppy_patch_without_marker_keeps_the_befores_end() -> None:
    diff = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 3\n"
    assert apply_patch("a = 1\nb = 2", diff) == "a = 1\nb = 3"


def test_marker_that_contradicts_the_before_is_a_mismatch() -> None:
    diff = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n" + NO_EOL + "+b = 3\n"
    with pytest.raises(HunkMismatchError, match="the before ends with a newline"):
        apply_patch("a = 1\nb = 2\n", diff)


def test_marker_in_the_middle_of_a_hunk_is_malformed() -> None:
    diff = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n a = 1\n" + NO_EOL + "-b = 2\n+b = 3\n"
    with pytest.raises(MalformedPatchError, match="is followed by more lines"):
        apply_patch("a = 1\nb = 2\n", diff)


def test_crlf_before_with_crlf_diff(make_diff: MakeDiff) -> None:
    before = BEFORE.replace("\n", "\r\n")
    after = AFTER.replace("\n", "\r\n")
    assert apply_patch(before, make_diff(before, after)) == after
    with pytest.raises(HunkMismatchError) as info:
        apply_patch(before, make_diff(BEFORE, AFTER))
    assert str(info.value).endswith("line 3 of the before is '\\r', the hunk expects ''")


def test_form_feeds_stay_inside_lines(make_diff: MakeDiff) -> None:
    before = "a = 1\n\x0c\nb = 2\n"
    after = "a = 1\n\x0c\nb = 3\n"
    assert apply_patch(before, make_diff(before, after)) == after


def test_creating_the_file_applies_only_to_an_empty_before(git: GitRepo) -> None:
    git.write("m.py", "x = 1\n")
    git("add", "-N", "m.py")
    diff = git("diff")
    assert "new file mode 100644" in diff
    assert apply_patch("", diff, before_path="m.py") == "x = 1\n"
    with pytest.raises(
        PatchRefusedError, match=r"creates 'b/m\.py' from /dev/null, but the before"
    ):
        apply_patch("y = 2\n", diff)


def test_git_format_patch_email_applies(git: GitRepo) -> None:
    git.write("pkg/mod.py", BEFORE)
    git.commit("pkg/mod.py")
    git.write("pkg/mod.py", AFTER)
    git("commit", "-q", "-am", "Use getsize\n\n--- not a header, just prose")
    email = git("format-patch", "-1", "--stdout")
    assert email.startswith("From ") and "\n--- not a header, just prose\n" in email
    assert "\n-- \n" in email  # the signature separator after the last hunk
    assert apply_patch(BEFORE, email, before_path="pkg/mod.py") == AFTER


def test_crlf_git_diff_with_crlf_headers(git: GitRepo) -> None:
    before, after = BEFORE.replace("\n", "\r\n"), AFTER.replace("\n", "\r\n")
    git.write("mod.py", before)
    git.commit("mod.py")
    git.write("mod.py", after)
    diff = git("-c", "core.autocrlf=false", "diff").replace("\n", "\r\n").replace("\r\r\n", "\r\n")
    assert diff.startswith("diff --git a/mod.py b/mod.py\r\n")
    assert apply_patch(before, diff, before_path="mod.py") == after
