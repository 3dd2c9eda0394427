"""Bootstrap CIs: seeded, percentile, paired over the same items."""

from __future__ import annotations

import pytest

from codelewm.eval.bootstrap import bootstrap_ci, paired_difference_ci


def test_constant_values_have_a_point_ci() -> None:
    estimate = bootstrap_ci([0.5] * 10)
    assert (estimate.mean, estimate.lo, estimate.hi, estimate.n) == (0.5, 0.5, 0.5, 10)


def test_seeded_and_reproducible() -> None:
    values = [0.0, 1.0] * 50
    first, second = bootstrap_ci(values), bootstrap_ci(values)
    assert first == second
    assert first.mean == 0.5
    assert first.lo == pytest.approx(0.4, abs=0.011)
    assert first.hi == pytest.approx(0.6, abs=0.011)


def test_paired_difference_of_a_uniform_lift_is_exact() -> None:
    a = [0.2, 0.9, 0.4, 0.7]
    b = [0.1, 0.8, 0.3, 0.6]
    estimate = paired_difference_ci(a, b)
    assert estimate.mean == pytest.approx(0.1)
    assert estimate.lo == pytest.approx(0.1)
    assert estimate.hi == pytest.approx(0.1)
    assert estimate.excludes_zero()
    assert estimate.text(signed=True) == "+0.100 [+0.100, +0.100]"
