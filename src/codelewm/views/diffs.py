"""Diffs of a candidate against the before, as data the renderers draw: unified and side by side.

Both come from `difflib` on the (already redacted) texts. Unified lines keep their `+`/`-`/` ` prefix
and a kind; side-by-side rows pair the before's lines with the candidate's, `context` lines around
each change, and a `gap` row where unchanged lines were skipped.
"""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import BaseModel, ConfigDict

CONTEXT_LINES = 3

UnifiedKind = Literal["header", "hunk", "add", "del", "ctx", "note"]
RowKind = Literal["equal", "replace", "insert", "delete", "gap"]


class DiffLine(BaseModel):
    """One line of a unified diff."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: UnifiedKind
    text: str


class SideBySideRow(BaseModel):
    """One row of a side-by-side diff; a missing side is None (an insertion or deletion)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: RowKind
    left_no: int | None = None
    left: str | None = None
    right_no: int | None = None
    right: str | None = None


def unified_diff(before: str, after: str, *, name: str) -> str:
    """The unified diff of `after` against `before` (empty when they are equal)."""
    lines = difflib.unified_diff(
        _lines(before),
        _lines(after),
        fromfile="before",
        tofile=name,
        n=CONTEXT_LINES,
        lineterm="",
    )
    return "\n".join(lines)


def unified_lines(diff: str) -> list[DiffLine]:
    """Classify each line of a unified diff for colouring."""
    return [DiffLine(kind=_kind(line), text=line) for line in diff.splitlines()]


def side_by_side(before: str, after: str) -> list[SideBySideRow]:
    """Rows pairing the before with the candidate around each change; no rows when equal."""
    left, right = _lines(before), _lines(after)
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    rows: list[SideBySideRow] = []
    for index, group in enumerate(matcher.get_grouped_opcodes(CONTEXT_LINES)):
        if index > 0 or group[0][1] > 0:
            rows.append(SideBySideRow(kind="gap"))
        for tag, i1, i2, j1, j2 in group:
            rows.extend(_rows(tag, left, right, (i1, i2, j1, j2)))
    if rows and _last_left(rows) < len(left):
        rows.append(SideBySideRow(kind="gap"))
    return rows


def line_counts(diff: str) -> tuple[int, int]:
    """(lines added, lines removed) in a unified diff."""
    kinds = [line.kind for line in unified_lines(diff)]
    return kinds.count("add"), kinds.count("del")


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _kind(line: str) -> UnifiedKind:
    if line.startswith(("---", "+++")):
        return "header"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "del"
    if line.startswith("\\"):
        return "note"
    return "ctx"


def _rows(
    tag: str, left: list[str], right: list[str], span: tuple[int, int, int, int]
) -> list[SideBySideRow]:
    i1, i2, j1, j2 = span
    if tag == "equal":
        return [
            SideBySideRow(kind="equal", left_no=i + 1, left=left[i], right_no=j + 1, right=right[j])
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
        ]
    rows: list[SideBySideRow] = []
    for offset in range(max(i2 - i1, j2 - j1)):
        i, j = i1 + offset, j1 + offset
        has_left, has_right = i < i2, j < j2
        kind: RowKind = "replace" if has_left and has_right else "delete" if has_left else "insert"
        rows.append(
            SideBySideRow(
                kind=kind,
                left_no=i + 1 if has_left else None,
                left=left[i] if has_left else None,
                right_no=j + 1 if has_right else None,
                right=right[j] if has_right else None,
            )
        )
    return rows


def _last_left(rows: list[SideBySideRow]) -> int:
    numbers = [row.left_no for row in rows if row.left_no is not None]
    return max(numbers, default=0)
