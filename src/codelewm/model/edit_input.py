"""The edit-aware input: a candidate seen as an aligned diff against the before, windowed around the edit.

Pure functions over token ids (no torch, no I/O). The before is encoded alone — `before_sequence` looks at
nothing but the before — so its latent can never leak anything about a candidate or the true after. A
candidate is aligned against the before with `difflib.SequenceMatcher` on token ids; the merged sequence
carries a tag per token (keep / insert / delete) and a flag for tokens on changed lines. A sequence
that fits `max_len` is kept whole. A longer one keeps the first `head` tokens (the signature and the
docstring's head) and at least `radius` tokens around every changed span, the radius widened as far
as `max_len` allows; skipped stretches become one `gap` token, and `cut` counts the tokens left out.
An identical candidate yields exactly the before's sequence.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from difflib import SequenceMatcher

PAD_TAG = 0
KEEP = 1
INSERT = 2
DELETE = 3
GAP = 4
N_TAGS = 5


@dataclass(frozen=True)
class EditSequence:
    """Token ids, tags and changed-line flags, all of the same length (<= max_len)."""

    ids: tuple[int, ...]
    tags: tuple[int, ...]
    changed: tuple[int, ...]
    cut: int = 0  # tokens of the (merged) input left out by the window or the length cap

    def __len__(self) -> int:
        return len(self.ids)


def before_sequence(before_ids: list[int], *, max_len: int) -> EditSequence:
    """The before alone: its first `max_len` tokens, all tagged keep."""
    ids = tuple(before_ids[:max_len])
    return EditSequence(
        ids=ids, tags=(KEEP,) * len(ids), changed=(0,) * len(ids), cut=len(before_ids) - len(ids)
    )


def align(before_ids: list[int], cand_ids: list[int]) -> tuple[list[int], list[int]]:
    """Merge before and candidate into one token sequence with keep/insert/delete tags."""
    ids: list[int] = []
    tags: list[int] = []
    matcher = SequenceMatcher(None, before_ids, cand_ids, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            ids += before_ids[i1:i2]
            tags += [KEEP] * (i2 - i1)
            continue
        if op in ("delete", "replace"):
            ids += before_ids[i1:i2]
            tags += [DELETE] * (i2 - i1)
        if op in ("insert", "replace"):
            ids += cand_ids[j1:j2]
            tags += [INSERT] * (j2 - j1)
    return ids, tags


def changed_line_flags(ids: list[int], tags: list[int], newline_ids: frozenset[int]) -> list[int]:
    """1 for every token on a line (of the merged sequence) that holds an insert or a delete."""
    flags = [0] * len(ids)
    start = 0
    for pos in range(len(ids) + 1):
        if pos == len(ids) or ids[pos] in newline_ids:
            end = min(pos + 1, len(ids))
            if any(tag != KEEP for tag in tags[start:end]):
                flags[start:end] = [1] * (end - start)
            start = end
    return flags


def edit_sequence(
    before_ids: list[int],
    cand_ids: list[int],
    *,
    max_len: int,
    newline_ids: frozenset[int],
    gap_id: int,
    head: int = 16,
    radius: int = 24,
) -> EditSequence:
    """The candidate as an aligned edit of the before, windowed around the changes, capped at max_len."""
    ids, tags = align(before_ids, cand_ids)
    if all(tag == KEEP for tag in tags):
        return before_sequence(before_ids, max_len=max_len)
    changed = changed_line_flags(ids, tags, newline_ids)
    if len(ids) <= max_len:
        return EditSequence(ids=tuple(ids), tags=tuple(tags), changed=tuple(changed))
    keep = _widest_window(tags, head=head, radius=radius, max_len=max_len)
    out_ids: list[int] = []
    out_tags: list[int] = []
    out_changed: list[int] = []
    previous = -1
    for pos in keep:
        if pos != previous + 1:
            out_ids.append(gap_id)
            out_tags.append(GAP)
            out_changed.append(0)
        out_ids.append(ids[pos])
        out_tags.append(tags[pos])
        out_changed.append(changed[pos])
        previous = pos
    if previous != len(ids) - 1:
        out_ids.append(gap_id)
        out_tags.append(GAP)
        out_changed.append(0)
    kept = min(len(out_ids), max_len)
    shown = sum(1 for tag in out_tags[:kept] if tag != GAP)
    return EditSequence(
        ids=tuple(out_ids[:max_len]),
        tags=tuple(out_tags[:max_len]),
        changed=tuple(out_changed[:max_len]),
        cut=len(ids) - shown,
    )


def _rendered_length(keep: list[int], n: int) -> int:
    """Tokens of a window: the kept positions plus one gap token per skipped stretch."""
    gaps = sum(1 for a, b in itertools.pairwise(keep) if b != a + 1)
    gaps += int(bool(keep) and keep[0] != 0) + int(bool(keep) and keep[-1] != n - 1)
    return len(keep) + gaps


def _widest_window(tags: list[int], *, head: int, radius: int, max_len: int) -> list[int]:
    """`_window` with the largest radius (>= `radius`) whose rendering still fits `max_len`."""
    n = len(tags)
    best = _window(tags, head=head, radius=radius)
    lo, hi = radius + 1, n
    while lo <= hi:  # the rendered length grows with the radius: binary search
        mid = (lo + hi) // 2
        keep = _window(tags, head=head, radius=mid)
        if _rendered_length(keep, n) <= max_len:
            best, lo = keep, mid + 1
        else:
            hi = mid - 1
    return best


def _window(tags: list[int], *, head: int, radius: int) -> list[int]:
    """Sorted positions: the first `head` tokens and `radius` tokens either side of every change."""
    n = len(tags)
    keep = [False] * n
    keep[: min(head, n)] = [True] * min(head, n)
    for pos, tag in enumerate(tags):
        if tag != KEEP:
            lo, hi = max(0, pos - radius), min(n, pos + radius + 1)
            keep[lo:hi] = [True] * (hi - lo)
    return [pos for pos, flag in enumerate(keep) if flag]
