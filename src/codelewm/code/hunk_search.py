"""Find where a block of lines occurs in the before: nearest to a guess first, in bounded time.

Window hashes come from one O(n) prefix pass over the before, so each position costs O(1) and only
hash-equal windows are compared line by line. A patch-wide budget of positions bounds the total
work: many hunks with wrong line numbers cannot make a hostile diff quadratic.
"""

from __future__ import annotations

from typing import Final

MAX_SEARCH_STEPS: Final = 2_000_000
_PRIME: Final = (1 << 61) - 1
_BASE: Final = 1_000_003


def _hash(lines: list[str]) -> int:
    value = 0
    for line in lines:
        value = (value * _BASE + hash(line)) % _PRIME
    return value


class LineSearch:
    """Positions of line blocks in one before; `exhausted` tells a give-up from a true miss."""

    def __init__(self, lines: list[str], *, budget: int = MAX_SEARCH_STEPS) -> None:
        self.lines = lines
        self.budget = budget
        self.exhausted = False
        self._prefix: list[int] = []

    def find(self, block: list[str], guess: int, *, lo: int) -> int | None:
        """The start of `block` in [lo, len - len(block)] nearest `guess` (later first on a tie)."""
        hi = len(self.lines) - len(block)
        if lo > hi:
            return None
        centre = min(max(guess, lo), hi)
        if self.lines[centre : centre + len(block)] == block:
            return centre
        return self._scan(block, centre, lo, hi)

    def _scan(self, block: list[str], centre: int, lo: int, hi: int) -> int | None:
        if not self._prefix:
            self._build()
        prefix, m, want = self._prefix, len(block), _hash(block)
        scale = pow(_BASE, m, _PRIME)
        for distance in range(1, max(centre - lo, hi - centre) + 1):
            self.budget -= 2
            if self.budget < 0:
                self.exhausted = True
                return None
            for start in (centre + distance, centre - distance):  # later first on a tie
                if (
                    lo <= start <= hi
                    and (prefix[start + m] - prefix[start] * scale) % _PRIME == want
                    and self.lines[start : start + m] == block
                ):
                    return start
        return None

    def _build(self) -> None:
        prefix = [0] * (len(self.lines) + 1)
        acc = 0
        for i, line in enumerate(self.lines, 1):
            acc = (acc * _BASE + hash(line)) % _PRIME
            prefix[i] = acc
        self._prefix = prefix
