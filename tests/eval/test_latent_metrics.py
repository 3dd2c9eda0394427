"""Latent health numbers on matrices whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from codelewm.eval.latent_metrics import (
    effective_rank,
    latent_health,
    mean_pairwise_cosine,
    per_dim_variance,
)


def test_isotropic_simplex_has_full_effective_rank() -> None:
    # rows +-e_i: centred, all 4 singular values equal -> effective rank 4
    eye = np.eye(4)
    matrix = np.vstack([eye, -eye])
    assert effective_rank(matrix) == pytest.approx(4.0)


def test_collapsed_embeddings() -> None:
    line = np.outer(np.arange(6.0), [1.0, 2.0, 0.0])
    assert effective_rank(line) == pytest.approx(1.0)
    assert effective_rank(np.ones((5, 3))) == 0.0
    assert mean_pairwise_cosine(np.ones((5, 3))) == pytest.approx(1.0)


def test_health_summary() -> None:
    matrix = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    health = latent_health(matrix)
    assert health.effective_rank == pytest.approx(2.0)
    assert health.effective_rank_ratio == pytest.approx(1.0)
    assert health.per_dim_variance == [0.5, 0.5]
    assert per_dim_variance(matrix).tolist() == [0.5, 0.5]
    # pairs: 2 opposite pairs (-1) x2 orders, 8 orthogonal ordered pairs (0): -4/12
    assert health.mean_pairwise_cosine == pytest.approx(-1 / 3)
