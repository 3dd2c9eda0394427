"""Apply the hunks of one parsed file diff to a before text, in memory.

Policy (what `patch` does without fuzz): hunks apply in order and never overlap. Each hunk's context
and removed lines must equal consecutive lines of the before exactly (line endings other than the
final `\\n` included). A hunk is first tried where its header says, shifted by the offset the
previous hunk needed; failing that, every other position after the previous hunk is tried, nearest
first and later before earlier on a tie, within a patch-wide budget (`hunk_search`). Context lines
are never dropped (no fuzz).

End of file: `\\ No newline at end of file` after a removed or context line says the before lacks a
final newline, after an added or context line that the after lacks one. When the last hunk reaches
the end of the before and the patch carries such a marker, the marker decides the after's final
newline; otherwise the after keeps the before's (a patch that never mentions the end of the file
cannot change it). A marker that contradicts the before is a mismatch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from unidiff.patch import Hunk

from codelewm.code.hunk_search import MAX_SEARCH_STEPS, LineSearch
from codelewm.errors import HunkMismatchError, MalformedPatchError

_MARKER = "\\"


@dataclass(frozen=True)
class HunkLines:
    """One hunk as (tag, text) operations; texts carry no trailing newline."""

    header: str  # "@@ -3,4 +3,5 @@", for messages
    source_start: int  # 1-based first source line (for an empty source: the line it follows)
    ops: tuple[tuple[str, str], ...]  # tag is " ", "-" or "+"
    source_no_eol: bool
    target_no_eol: bool

    @property
    def source(self) -> list[str]:
        return [text for tag, text in self.ops if tag != "+"]

    @property
    def target(self) -> list[str]:
        return [text for tag, text in self.ops if tag != "-"]

    @property
    def expected_index(self) -> int:
        """0-based index in the before where the source lines start (or the insertion point)."""
        return self.source_start - 1 if self.source else self.source_start


def hunk_lines(hunk: Hunk) -> HunkLines:
    """Convert a unidiff hunk; the no-newline marker must follow the last line of its side."""
    header = (
        f"@@ -{hunk.source_start},{hunk.source_length} +{hunk.target_start},{hunk.target_length} @@"
    )
    ops: list[tuple[str, str]] = []
    no_eol = {"-": False, "+": False}
    for line in hunk:
        tag = line.line_type
        if tag in (" ", "-", "+"):
            if (tag != "+" and no_eol["-"]) or (tag != "-" and no_eol["+"]):
                raise MalformedPatchError(
                    f"hunk {header}: '\\ No newline at end of file' is followed by more lines"
                )
            text = line.value
            ops.append((tag, text[:-1] if text.endswith("\n") else text))
        elif tag == _MARKER:
            if not ops:
                raise MalformedPatchError(f"hunk {header}: '\\ No newline' marker before any line")
            marked = ops[-1][0]
            for side in ("-", "+"):
                if marked in (" ", side):
                    no_eol[side] = True
        # any other tag is the blank separator unidiff keeps after a hunk: not part of it
    return HunkLines(header, hunk.source_start, tuple(ops), no_eol["-"], no_eol["+"])


def split_lines(text: str) -> tuple[list[str], bool]:
    """Lines split on '\\n' only (form feeds and '\\r' stay inside lines) and whether the text ends
    with a newline. The empty text has no lines and counts as ending with one."""
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()
        return parts, True
    return parts, False


def apply_hunks(before: str, hunks: Sequence[HunkLines]) -> str:
    """The after text, or HunkMismatchError naming the failing hunk and its first mismatching line."""
    lines, final_newline = split_lines(before)
    search = LineSearch(lines)
    out: list[str] = []
    pos = 0  # first before line not yet copied
    offset = 0
    ends_at_eof = False
    for index, hunk in enumerate(hunks):
        start = _locate(search, hunk, hunk.expected_index + offset, lo=pos)
        if start is None:
            message = _mismatch(lines, hunk, hunk.expected_index + offset, pos)
            if search.exhausted:
                message += f" (offset search stopped after {MAX_SEARCH_STEPS:,} positions)"
            raise HunkMismatchError(message)
        offset = start - hunk.expected_index
        end = start + len(hunk.source)
        ends_at_eof = end == len(lines)
        _check_markers(hunk, ends_at_eof, final_newline, last=index == len(hunks) - 1)
        out.extend(lines[pos:start])
        out.extend(hunk.target)
        pos = end
    out.extend(lines[pos:])
    if ends_at_eof and any(h.source_no_eol or h.target_no_eol for h in hunks):
        final_newline = not hunks[-1].target_no_eol
    return "\n".join(out) + ("\n" if final_newline and out else "")


def _check_markers(hunk: HunkLines, ends_at_eof: bool, final_newline: bool, *, last: bool) -> None:
    if hunk.source_no_eol and (not ends_at_eof or final_newline):
        raise HunkMismatchError(
            f"hunk {hunk.header} does not apply: it says the before has no newline at the end "
            "of its last line, but "
            + (
                "the before ends with a newline"
                if ends_at_eof
                else "the hunk does not reach the end"
            )
        )
    if hunk.target_no_eol and not (ends_at_eof and last):
        raise HunkMismatchError(
            f"hunk {hunk.header} does not apply: it ends the file without a newline, "
            "but it is not the last part of the before"
        )


def _locate(search: LineSearch, hunk: HunkLines, guess: int, *, lo: int) -> int | None:
    if not hunk.source:  # pure insertion: nothing to match, only the position must exist
        return guess if lo <= guess <= len(search.lines) else None
    return search.find(hunk.source, guess, lo=lo)


def _show(text: str) -> str:
    return repr(text if len(text) <= 100 else text[:100] + "...")


def _mismatch(lines: list[str], hunk: HunkLines, guess: int, lo: int) -> str:
    at = min(max(guess, lo), len(lines))
    head = f"hunk {hunk.header} does not apply at any offset (exact context, no fuzz)"
    if not hunk.source:
        return f"{head}: it inserts after line {guess} but the before has {len(lines)} lines"
    for i, wanted in enumerate(hunk.source):
        if at + i >= len(lines):
            return (
                f"{head}: the hunk expects {_show(wanted)} at line {at + i + 1}, "
                f"but the before has only {len(lines)} lines"
            )
        if lines[at + i] != wanted:
            return (
                f"{head}: line {at + i + 1} of the before is {_show(lines[at + i])}, "
                f"the hunk expects {_show(wanted)}"
            )
    return f"{head}: its lines overlap the previous hunk"
