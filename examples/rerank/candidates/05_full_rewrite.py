"""Interval helpers the scheduler uses to coalesce busy time ranges."""

from __future__ import annotations


def merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge overlapping or touching (start, end) intervals; the result is sorted by start.

    >>> merge_intervals([(1, 3), (3, 5), (8, 10)])
    [(1, 5), (8, 10)]
    """
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
