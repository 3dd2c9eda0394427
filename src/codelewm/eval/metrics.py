"""Ranking metrics over energies (lower = better), with ties counted as their expected value.

Every metric here treats tied energies as a uniformly random tie-break and returns the EXPECTED value
of the metric under it. So a constant scorer scores exactly the random baseline (R@1 = 1/K, pass@1 =
the pool's pass rate, AUC = 0.5) and can never look good by accident of sort order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from codelewm.errors import InputError

FloatArray = NDArray[np.float64]


def _energies(values: Sequence[float]) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise InputError("a ranking needs a non-empty 1-D list of energies")
    if np.isnan(array).any():
        raise InputError("energies contain NaN; a scorer must return a number for every candidate")
    return array


def rank_bounds(energies: Sequence[float], index: int) -> tuple[int, int]:
    """(b, t): b candidates strictly better than `index`, t candidates tied with it (itself included).

    Under random tie-breaking its rank is uniform on b+1 .. b+t.
    """
    array = _energies(energies)
    value = array[index]
    return int((array < value).sum()), int((array == value).sum())


def expected_recall_at(energies: Sequence[float], index: int, k: int) -> float:
    """P(rank of `index` <= k) over random tie-breaking."""
    better, tied = rank_bounds(energies, index)
    return min(max((k - better) / tied, 0.0), 1.0)


def expected_reciprocal_rank(energies: Sequence[float], index: int) -> float:
    """E[1 / rank] of `index`: the mean of 1/r over the ranks its tie group spans."""
    better, tied = rank_bounds(energies, index)
    return sum(1.0 / r for r in range(better + 1, better + tied + 1)) / tied


def expected_rank(energies: Sequence[float], index: int) -> float:
    """E[rank] of `index` (1 = best)."""
    better, tied = rank_bounds(energies, index)
    return better + (tied + 1) / 2.0


def expected_pass_at_1(energies: Sequence[float], passed: Sequence[bool]) -> float:
    """The expected label of the top candidate: the pass rate of the tied best group."""
    array = _energies(energies)
    labels = _labels(passed, array.size)
    top = array == array.min()
    return float(labels[top].mean())


def expected_pass_at_k(energies: Sequence[float], passed: Sequence[bool], k: int) -> float:
    """P(at least one of the top k passes) over random tie-breaking within tie groups."""
    array = _energies(energies)
    labels = _labels(passed, array.size)
    if k < 1:
        raise InputError(f"pass@k needs k >= 1, got {k}")
    slots = k
    for value in np.unique(array):  # ascending: best group first
        group = labels[array == value]
        size, passing = int(group.size), int(group.sum())
        if slots >= size:
            if passing:
                return 1.0
            slots -= size
            if slots == 0:
                return 0.0
            continue
        # choose `slots` of `size` uniformly: P(no pass) = C(size - passing, slots) / C(size, slots)
        return 1.0 - math.comb(size - passing, slots) / math.comb(size, slots)
    return 0.0


def pairwise_auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """P(positive energy < negative energy) over all pairs, ties counted 0.5."""
    pos = _energies(positive)[:, None]
    neg = _energies(negative)[None, :]
    wins = (pos < neg).sum() + 0.5 * (pos == neg).sum()
    return float(wins / (pos.size * neg.size))


def oracle_pass(passed: Sequence[bool]) -> float:
    """1.0 when any candidate passes: the ceiling of any reranker on this pool."""
    return 1.0 if any(passed) else 0.0


def pass_rate(passed: Sequence[bool]) -> float:
    """The pool's pass rate: exactly what a random ranker's pass@1 is in expectation."""
    return float(np.mean(_labels(passed, len(passed))))


def _labels(passed: Sequence[bool], size: int) -> NDArray[np.bool_]:
    labels = np.asarray(passed, dtype=bool)
    if labels.shape != (size,):
        raise InputError(f"{labels.size} labels for {size} candidates")
    return labels
