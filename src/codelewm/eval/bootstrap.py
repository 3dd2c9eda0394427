"""Percentile bootstrap CIs over items (pools, queries, problems), and paired CIs for differences.

The protocols' bootstrap (docs/PROTOCOLS.md): 2,000 resamples, seed 17, 95%. A paired CI resamples the SAME items for both
scorers, so the difference's CI is much tighter than the two marginal CIs suggest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from codelewm.errors import InputError

RESAMPLES = 2000
SEED = 17
LEVEL = 0.95


class Estimate(BaseModel):
    """A mean over n items with its percentile bootstrap CI."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mean: float
    lo: float
    hi: float
    n: int

    def excludes_zero(self) -> bool:
        return self.lo > 0.0 or self.hi < 0.0

    def text(self, digits: int = 3, *, signed: bool = False) -> str:
        spec = f"+.{digits}f" if signed else f".{digits}f"
        return f"{self.mean:{spec}} [{self.lo:{spec}}, {self.hi:{spec}}]"


def bootstrap_ci(
    values: Sequence[float], *, resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL
) -> Estimate:
    """Mean of `values` and the percentile CI of the mean over `resamples` resamples of the items."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise InputError("a bootstrap needs at least one item")
    rng = np.random.default_rng(seed)
    index = rng.integers(0, array.size, size=(resamples, array.size))
    means = array[index].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [alpha, 1.0 - alpha])
    return Estimate(mean=float(array.mean()), lo=float(lo), hi=float(hi), n=int(array.size))


def paired_difference_ci(
    a: Sequence[float],
    b: Sequence[float],
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    level: float = LEVEL,
) -> Estimate:
    """CI of mean(a - b) where a[i] and b[i] are two scorers' values on the same item i."""
    left = np.asarray(a, dtype=np.float64)
    right = np.asarray(b, dtype=np.float64)
    if left.shape != right.shape:
        raise InputError(f"paired values differ in length: {left.size} vs {right.size}")
    return bootstrap_ci(list(left - right), resamples=resamples, seed=seed, level=level)
