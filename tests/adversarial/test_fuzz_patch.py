"""Fuzzing the diff parser/applier and candidate loading: any input gives a result or a typed error,
in bounded time, and a diff that names another file or asks for more than a content edit is never
applied.

Before-states are real functions of the standard library; near-valid diffs come from
`difflib.unified_diff` and are then edited by an attacker: hostile file names in every header form,
refused git header lines, numbers in hunk headers, CR/NUL/BOM bytes, truncation. The offset search
gets befores built to make it work hardest. (tests/code/test_patch_properties.py holds the
round-trip properties and random mangling; this module adds the attacker's inputs and time bounds.)
"""

from __future__ import annotations

import difflib
import inspect
import shlex
import string
import textwrap
from collections.abc import Callable

import hypothesis.strategies as st
import pytest
from _adversarial import fuzz, within
from hypothesis import assume, given

from codelewm.code.candidates import KindChoice, candidate_from_text
from codelewm.code.functions import iter_functions
from codelewm.code.patch import apply_patch
from codelewm.errors import CodeLeWMError, PatchError

pytestmark = [pytest.mark.adversarial, pytest.mark.timeout(120)]

BEFORE_PATH = "src/pkg/mod.py"
BOUND_S = 2.0  # one apply_patch call on inputs of a few KB takes milliseconds
REAL = [
    span.source
    for module in (textwrap, shlex, string)
    for span in iter_functions(inspect.getsource(module))
    if 3 <= span.source.count("\n") <= 40
]
# Names that are not the before (src/pkg/mod.py: a name and it must agree on their trailing
# components, the shorter being the tail of the longer) or are unsafe wherever they appear.
HOSTILE_NAMES = [
    "/etc/passwd",
    "../../etc/passwd",
    "a/../mod.py",
    "b/pkg/../../mod.py",
    "pkg/mod.py/../../x.py",
    "C:/Windows/mod.py",
    "~/.ssh/authorized_keys",
    "other.py",
    "a/other.py",
    "b/pkg/mod.pyc",
    "tests/pkg/mod.py",
    "a/.git/hooks/pre-commit",
    "mod\\.py",
    "pkg\\mod.py",
    "mod.py\x1b[2J",
    "mod.py\x07",
    '"a/../../mod.py"',
    "a/\u202eyp.dom",
]
SAFE_NAMES = [
    "a/mod.py",
    "b/mod.py",
    "mod.py",
    "b/pkg/mod.py",
    "a/src/pkg/mod.py",
    "x/src/pkg/mod.py",
]
REFUSED_LINES = [
    "rename from mod.py\n",
    "rename to other.py\n",
    "copy from mod.py\n",
    "copy to other.py\n",
    "old mode 100644\n",
    "new mode 100755\n",
    "deleted file mode 100644\n",
    "new file mode 120000\n",
    "new file mode 160000\n",
    "index 0000000..1111111 120000\n",
    "GIT binary patch\n",
    "Binary files a/mod.py and b/mod.py differ\n",
]
JUNK = st.sampled_from(
    [
        "\x00",
        "\r",
        "\r\n",
        "\ufeff",
        "\\ No newline at end of file\n",
        "@@ -1 +1 @@\n",
        "@@ -0,0 +1,99999999 @@\n",
        "@@ -18446744073709551616,1 +1 @@\n",
        "@@ --1,-1 ++1,-1 @@\n",
        "--- \n",
        "+++ \n",
        "diff --git a/mod.py b/mod.py\n",
        *REFUSED_LINES,
    ]
)


def _apply(before: str, patch: str | bytes, before_path: str | None = BEFORE_PATH) -> str | None:
    """The after, or None for a typed refusal; anything else escapes (a crash)."""
    try:
        return within(
            BOUND_S, lambda: apply_patch(before, patch, before_path=before_path), what="apply_patch"
        )
    except CodeLeWMError:
        return None


def _diff(before: str, after: str, source: str = "a/mod.py", target: str = "b/mod.py") -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), source, target
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, str]:
    """A real function and an edit of it: a line replaced, deleted or inserted."""
    before = draw(st.sampled_from(REAL))
    lines = before.splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    new = draw(st.text(string.printable.strip(), min_size=1, max_size=30)) + "\n"
    op = draw(st.sampled_from(["replace", "delete", "insert"]))
    if op == "replace":
        lines[i] = new
    elif op == "delete":
        del lines[i]
    else:
        lines.insert(i, new)
    after = "".join(lines)
    assume(after != before)
    return before, after


@fuzz(1000)
@given(before=st.text(max_size=300), patch=st.text(st.characters(codec=None), max_size=600))
def test_arbitrary_text_is_applied_or_refused(before: str, patch: str) -> None:
    result = _apply(before, patch, before_path=None)
    assert result is None or isinstance(result, str)


@fuzz(500)
@given(before=st.sampled_from(REAL), patch=st.binary(max_size=600))
def test_arbitrary_bytes_are_applied_or_refused(before: str, patch: bytes) -> None:
    result = _apply(before, patch)
    assert result is None or isinstance(result, str)


@fuzz(600)
@given(edit=edits(), junk=st.lists(st.tuples(st.integers(0, 10**6), JUNK), max_size=4))
def test_near_valid_diffs_are_applied_or_refused(
    edit: tuple[str, str], junk: list[tuple[int, str]]
) -> None:
    before, after = edit
    diff = _diff(before, after)
    for position, piece in junk:  # spliced anywhere, even inside a line
        at = position % (len(diff) + 1)
        diff = diff[:at] + piece + diff[at:]
    result = _apply(before, diff)
    assert result is None or isinstance(result, str)
    if not junk:
        assert result == after  # the control: the unedited diff applies


@fuzz(400)
@given(
    edit=edits(),
    hostile=st.sampled_from(HOSTILE_NAMES),
    safe=st.sampled_from(SAFE_NAMES),
    where=st.sampled_from(["source", "target", "both", "git"]),
)
def test_a_diff_naming_another_file_is_never_applied(
    edit: tuple[str, str], hostile: str, safe: str, where: str
) -> None:
    before, after = edit
    assert _apply(before, _diff(before, after, safe, safe)) == after  # the control applies
    source = hostile if where in ("source", "both") else safe
    target = hostile if where in ("target", "both") else safe
    diff = _diff(before, after, source, target)
    if where == "git":
        diff = f"diff --git a/mod.py {hostile}\n" + diff
    with pytest.raises(PatchError):
        within(BOUND_S, lambda: apply_patch(before, diff, before_path=BEFORE_PATH), what="apply")


@fuzz(300)
@given(edit=edits(), line=st.sampled_from(REFUSED_LINES), git=st.booleans())
def test_refused_git_headers_are_never_applied(edit: tuple[str, str], line: str, git: bool) -> None:
    before, after = edit
    diff = _diff(before, after)
    head, _, hunks = diff.partition("@@")
    prefix = "diff --git a/mod.py b/mod.py\n" if git else ""
    attack = prefix + line + head + "@@" + hunks
    with pytest.raises(PatchError):  # refused, or (without `diff --git`) not read as a diff
        within(BOUND_S, lambda: apply_patch(before, attack, before_path=BEFORE_PATH), what="apply")


def _nowhere(lines: int, hunks: int, filler: str) -> tuple[str, str]:
    """Each hunk's context occurs nowhere (its last line differs): the search covers the before."""
    block = min(200, lines // 2)
    hunk = f"@@ -1,{block + 1} +1,{block + 1} @@\n" + f" {filler}\n" * block + "-missing\n+y\n"
    return (filler + "\n") * lines, hunk * hunks


def _far(lines: int, hunks: int, filler: str) -> tuple[str, str]:
    """Each hunk's line lies far from where its header says, alternately at the end and the start,
    so every hunk searches a long way; the last one is found nowhere."""
    text = [filler] * lines
    step = lines // (hunks + 1)
    for k in range(hunks):
        text[(k + 1) * step] = f"m{k}"
    header = [f"@@ -{lines - 1},1 +{lines - 1},1 @@\n", "@@ -1,1 +1,1 @@\n"]
    patch = "".join(f"{header[k % 2]}-m{k}\n+z{k}\n" for k in range(hunks))
    return "\n".join(text) + "\n", patch + header[0] + "-gone\n+z\n"


@fuzz(12, deadline_ms=10_000)
@given(
    lines=st.integers(1_000, 200_000),
    hunks=st.integers(1, 99),
    shape=st.sampled_from([_nowhere, _far]),
    filler=st.sampled_from(["x = 1", "", "    pass"]),
)
def test_the_offset_search_is_bounded_on_befores_built_against_it(
    lines: int, hunks: int, shape: Callable[[int, int, str], tuple[str, str]], filler: str
) -> None:
    """The patch-wide search budget keeps the total work linear (about 0.7 s at its worst)."""
    before, hunk_text = shape(lines, hunks, filler)
    patch = "--- a/mod.py\n+++ b/mod.py\n" + hunk_text
    with pytest.raises(PatchError):
        within(5.0, lambda: apply_patch(before, patch, before_path=BEFORE_PATH), what="search")


@fuzz(400)
@given(
    text=st.one_of(
        st.text(st.characters(codec=None), max_size=400),
        st.binary(max_size=400),
        edits().map(lambda e: _diff(*e)),
        st.sampled_from(HOSTILE_NAMES).map(lambda n: f"--- {n}\n+++ {n}\n@@ -1 +1 @@\n-a\n+b\n"),
    ),
    kind=st.sampled_from(["auto", "full", "patch"]),
    before=st.sampled_from(REAL),
)
def test_any_candidate_text_becomes_a_kept_candidate(
    text: str | bytes, kind: KindChoice, before: str
) -> None:
    loaded = within(
        BOUND_S,
        lambda: candidate_from_text(
            text, before=before, candidate_id="c", before_path=BEFORE_PATH, kind=kind
        ),
        what="candidate_from_text",
    )
    assert loaded.candidate_id == "c"
    if loaded.error is None:
        assert loaded.after is not None and loaded.validity.parses
    else:
        assert loaded.error.error_type.endswith("Error") and loaded.error.remediation
        assert loaded.validity.parses is False
    assert (loaded.after is None) == (loaded.validity.applies is False)
