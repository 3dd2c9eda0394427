"""Exact values of the tie-aware ranking metrics on hand-built pools."""

from __future__ import annotations

import math

import pytest

from codelewm.errors import InputError
from codelewm.eval.metrics import (
    expected_pass_at_1,
    expected_pass_at_k,
    expected_rank,
    expected_recall_at,
    expected_reciprocal_rank,
    oracle_pass,
    pairwise_auc,
    pass_rate,
    rank_bounds,
)


def test_known_answer_ranks_first() -> None:
    energies = [0.1, 0.5, 0.9]
    assert expected_recall_at(energies, 0, 1) == 1.0
    assert expected_reciprocal_rank(energies, 0) == 1.0
    assert expected_rank(energies, 0) == 1.0


def test_constant_scorer_scores_exactly_random() -> None:
    energies = [0.0, 0.0, 0.0, 0.0]
    assert expected_recall_at(energies, 2, 1) == 0.25
    assert expected_reciprocal_rank(energies, 2) == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)
    assert expected_rank(energies, 2) == 2.5
    assert expected_pass_at_1(energies, [True, False, False, False]) == 0.25


def test_partial_tie() -> None:
    energies = [0.3, 0.1, 0.3, 0.3, 0.9]
    assert rank_bounds(energies, 0) == (1, 3)
    assert expected_recall_at(energies, 0, 1) == 0.0
    assert expected_recall_at(energies, 0, 2) == pytest.approx(1 / 3)
    assert expected_recall_at(energies, 0, 3) == pytest.approx(2 / 3)
    assert expected_recall_at(energies, 0, 4) == 1.0
    assert expected_reciprocal_rank(energies, 0) == pytest.approx((1 / 2 + 1 / 3 + 1 / 4) / 3)


def test_pass_at_1_is_the_pass_rate_of_the_tied_top_group() -> None:
    assert expected_pass_at_1([0.0, 0.0, 1.0], [True, False, True]) == 0.5
    assert expected_pass_at_1([1.0, 0.0, 1.0], [True, False, True]) == 0.0


def test_pass_at_k_within_a_tie_group() -> None:
    # one pass among four tied: P(it is among 2 chosen) = 1 - C(3,2)/C(4,2) = 0.5
    assert expected_pass_at_k([0.0] * 4, [True, False, False, False], 2) == 0.5
    # the best candidate fails, then a tie of 3 with one pass, 1 slot left: 1/3
    energies = [0.0, 1.0, 1.0, 1.0]
    labels = [False, True, False, False]
    assert expected_pass_at_k(energies, labels, 2) == pytest.approx(1 / 3)
    assert expected_pass_at_k(energies, labels, 1) == 0.0
    assert expected_pass_at_k(energies, labels, 4) == 1.0
    assert expected_pass_at_k([0.0, 1.0], [False, False], 2) == 0.0


def test_pass_at_k_matches_combinatorics() -> None:
    labels = [True, True, False, False, False]
    value = expected_pass_at_k([0.0] * 5, labels, 3)
    assert value == pytest.approx(1 - math.comb(3, 3) / math.comb(5, 3))


def test_auc_counts_ties_as_half() -> None:
    assert pairwise_auc([0.0], [1.0, 2.0]) == 1.0
    assert pairwise_auc([1.0], [1.0, 0.0]) == 0.25
    assert pairwise_auc([0.0, 0.0], [0.0, 0.0]) == 0.5


def test_oracle_and_rate() -> None:
    assert oracle_pass([False, True]) == 1.0
    assert oracle_pass([False]) == 0.0
    assert pass_rate([True, False, False, False]) == 0.25


def test_bad_input_is_a_typed_error() -> None:
    with pytest.raises(InputError):
        expected_pass_at_1([0.0, 1.0], [True])
    with pytest.raises(InputError):
        expected_pass_at_1([float("nan")], [True])
    with pytest.raises(InputError):
        expected_recall_at([], 0, 1)
