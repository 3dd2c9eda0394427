"""Property tests: random and mangled diffs never raise anything but PatchError; real edits round-trip.

Before-states are real functions of the standard library; diffs come from `difflib.unified_diff`.
"""

from __future__ import annotations

import inspect
import re
import shlex
import string
import textwrap
from collections.abc import Callable

import hypothesis.strategies as st
from _code_helpers import NO_EOL, unified
from hypothesis import HealthCheck, assume, given, settings

from codelewm.code.functions import iter_functions
from codelewm.code.patch import apply_patch
from codelewm.errors import PatchError

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

REAL_FUNCTIONS = [
    span.source
    for module in (textwrap, shlex, string)
    for span in iter_functions(inspect.getsource(module))
    if 3 <= span.source.count("\n") <= 40
]
JUNK_LINES = [
    "rename from mod.py\n",
    "copy to x.py\n",
    "old mode 100644\n",
    "new file mode 120000\n",
    "deleted file mode 100644\n",
    "GIT binary patch\n",
    "literal 0\n",
    "Binary files a/mod.py and b/mod.py differ\n",
    "diff --git a/mod.py b/other.py\n",
    "diff --git a/mod.py b/mod.py\n",
    "index 0000000..1111111 100644\n",
    "--- /etc/passwd\n",
    "--- a/mod.py\n",
    "+++ b/../mod.py\n",
    "+++ b/mod.py\n",
    "--- /dev/null\n",
    "+++ /dev/null\n",
    "@@ -1 +1 @@\n",
    "@@ -0,0 +1,3 @@\n",
    "@@ -99999999999999999999,2 +1 @@\n",
    NO_EOL,
    "\\ garbage marker\n",
    " context\n",
    "-removed\n",
    "+added\n",
    "\n",
    "\r\n",
    "junk text\n",
]

real_code = st.sampled_from(REAL_FUNCTIONS)


def _outcome(before: str, patch: str | bytes) -> None:
    try:
        result = apply_patch(before, patch)
    except PatchError:
        return
    assert isinstance(result, str)


@FAST
@given(before=st.text(max_size=200), patch=st.text(max_size=400))
def test_random_text_raises_only_patch_errors(before: str, patch: str) -> None:
    _outcome(before, patch)


@FAST
@given(before=real_code, patch=st.binary(max_size=400))
def test_random_bytes_raise_only_patch_errors(before: str, patch: bytes) -> None:
    _outcome(before, patch)


@FAST
@given(before=real_code, lines=st.lists(st.sampled_from(JUNK_LINES), max_size=25))
def test_diff_shaped_junk_raises_only_patch_errors(before: str, lines: list[str]) -> None:
    _outcome(before, "".join(lines))


def _edit(lines: list[str], data: st.DataObject) -> list[str]:
    """A random edit of the lines: deletions, duplications, insertions, replacements."""
    out = list(lines)
    new_line = st.one_of(
        st.sampled_from(lines or [""]), st.text(string.printable.strip(), max_size=30)
    )
    for _ in range(data.draw(st.integers(0, 4))):
        op = data.draw(st.sampled_from(["del", "dup", "ins", "rep"]))
        if not out and op != "ins":
            continue
        i = data.draw(st.integers(0, max(len(out) - 1, 0)))
        if op == "del":
            del out[i]
        elif op == "dup":
            out.insert(i, out[i])
        elif op == "ins":
            out.insert(i, data.draw(new_line))
        else:
            out[i] = data.draw(new_line)
    return out


def _text(lines: list[str], final_newline: bool) -> str:
    return "\n".join(lines) + ("\n" if final_newline and lines else "")


@settings(max_examples=150, deadline=None)
@given(source=real_code, data=st.data())
def test_real_edits_round_trip(source: str, data: st.DataObject) -> None:
    lines = source.split("\n")[:-1]
    before = _text(lines, data.draw(st.booleans(), label="before ends with newline"))
    after = _text(_edit(lines, data), data.draw(st.booleans(), label="after ends with newline"))
    assume(after != before)  # an empty diff is refused ("patch is empty")
    assert apply_patch(before, unified(before, after), before_path="pkg/mod.py") == after


def _drop(lines: list[str], i: int, data: st.DataObject) -> list[str]:
    return lines[:i] + lines[i + 1 :]


def _duplicate(lines: list[str], i: int, data: st.DataObject) -> list[str]:
    return lines[: i + 1] + lines[i:]


def _junk(lines: list[str], i: int, data: st.DataObject) -> list[str]:
    return [*lines[:i], data.draw(st.sampled_from(JUNK_LINES)), *lines[i:]]


def _recount(lines: list[str], i: int, data: st.DataObject) -> list[str]:
    number = st.integers(0, 60).map(str)
    changed = (
        re.sub(r"\d+", lambda _: data.draw(number), lines[i])
        if lines[i].startswith("@@")
        else lines[i]
    )
    return [*lines[:i], changed, *lines[i + 1 :]]


def _truncate(lines: list[str], i: int, data: st.DataObject) -> list[str]:
    return [*lines[:i], lines[i][: data.draw(st.integers(0, len(lines[i])))]]


MANGLERS: list[Callable[[list[str], int, st.DataObject], list[str]]] = [
    _drop,
    _duplicate,
    _junk,
    _recount,
    _truncate,
]


@settings(max_examples=200, deadline=None)
@given(source=real_code, data=st.data())
def test_mangled_real_diffs_raise_only_patch_errors(source: str, data: st.DataObject) -> None:
    lines = source.split("\n")[:-1]
    before = _text(lines, data.draw(st.booleans()))
    diff = unified(before, _text(_edit(lines, data), data.draw(st.booleans())))
    assume(diff)
    mangled = diff.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 3))):
        if not mangled:
            break
        mangle = data.draw(st.sampled_from(MANGLERS))
        mangled = mangle(mangled, data.draw(st.integers(0, len(mangled) - 1)), data)
    _outcome(before, "".join(mangled))
