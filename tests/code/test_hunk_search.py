"""LineSearch: nearest-first offsets, later first on a tie, and the work budget against hostile diffs."""

from __future__ import annotations

import pytest

from codelewm.code import hunks
from codelewm.code.hunk_search import LineSearch
from codelewm.code.patch import apply_patch
from codelewm.errors import HunkMismatchError


def test_exact_guess_wins() -> None:
    assert LineSearch(["a", "b", "a", "b"]).find(["a", "b"], 2, lo=0) == 2


def test_nearest_first_and_later_on_a_tie() -> None:
    lines = ["a", "b", "x", "a", "b"]
    assert LineSearch(lines).find(["a", "b"], 1, lo=0) == 0
    assert LineSearch(["a", "b", "a", "b", "a"]).find(["a", "b"], 1, lo=0) == 2
    assert LineSearch(["a", "b", "a", "b", "a"]).find(["a", "b"], 1, lo=1) == 2


def test_no_match_and_bounds() -> None:
    assert LineSearch(["a", "b"]).find(["b", "a"], 0, lo=0) is None
    assert LineSearch(["a"]).find(["a", "a"], 0, lo=0) is None
    assert LineSearch(["a", "b", "a"]).find(["a"], 0, lo=1) == 2


def test_budget_stops_the_search() -> None:
    lines = ["x"] * 100 + ["y"]
    search = LineSearch(lines, budget=10)
    assert search.find(["y"], 0, lo=0) is None
    assert search.exhausted is True
    assert LineSearch(lines).find(["y"], 0, lo=0) == 100


def test_apply_patch_says_when_the_search_gave_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hunks, "LineSearch", lambda lines: LineSearch(lines, budget=4))
    before = "".join(f"x{i} = {i}\n" for i in range(50))
    diff = "--- a/m.py\n+++ b/m.py\n@@ -1,1 +1,1 @@\n-x40 = 40\n+x40 = 41\n"
    with pytest.raises(HunkMismatchError) as info:
        apply_patch(before, diff)
    assert str(info.value).endswith("(offset search stopped after 2,000,000 positions)")


def test_far_offset_is_found_when_within_budget() -> None:
    before = "".join(f"x{i} = {i}\n" for i in range(50))
    diff = "--- a/m.py\n+++ b/m.py\n@@ -1,1 +1,1 @@\n-x40 = 40\n+x40 = 41\n"
    assert apply_patch(before, diff) == before.replace("x40 = 40", "x40 = 41")


def test_hunks_with_wrong_line_numbers_on_repeated_code() -> None:
    block = "if x:\n    y += 1\n"
    before = block * 4
    diff = "--- a/m.py\n+++ b/m.py\n@@ -4,2 +4,2 @@\n if x:\n-    y += 1\n+    y += 2\n"
    # line 4 is inside the second block; both neighbours (lines 3 and 5) are at distance 1: later wins
    assert apply_patch(before, diff) == block * 2 + "if x:\n    y += 2\n" + block
