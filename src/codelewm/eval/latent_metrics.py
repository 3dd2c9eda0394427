"""Latent health (P5): effective rank / dim, per-dimension variance, mean pairwise cosine.

A collapsed encoder maps everything near one point or one low-dimensional subspace; the anchor's did
(effective rank 4-6 of 256) and its own gate never noticed. These numbers are computed on centred
embeddings, so a constant offset shared by every vector does not count as a dimension.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from codelewm.errors import InputError

_EPS = 1e-12


class LatentHealth(BaseModel):
    """Summary statistics of an (N, D) embedding matrix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n: int
    dim: int
    effective_rank: float
    effective_rank_ratio: float
    per_dim_variance: list[float]
    mean_variance: float
    min_variance: float
    mean_pairwise_cosine: float


def _matrix(embeddings: NDArray[np.floating]) -> NDArray[np.float64]:
    matrix = np.asarray(embeddings, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] < 2:
        raise InputError(f"need an (N >= 2, D) embedding matrix, got shape {matrix.shape}")
    return matrix


def effective_rank(embeddings: NDArray[np.floating]) -> float:
    """exp(H(p)) with p the centred matrix's singular values normalised to sum 1 (RankMe-style).

    D equal singular values give D; a single direction gives 1; identical vectors give 0.
    """
    matrix = _matrix(embeddings)
    centred = matrix - matrix.mean(axis=0, keepdims=True)
    singular = np.linalg.svd(centred, compute_uv=False)
    total = singular.sum()
    if total <= _EPS:
        return 0.0
    p = singular / total
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def per_dim_variance(embeddings: NDArray[np.floating]) -> NDArray[np.float64]:
    """Population variance of each dimension, shape (D,)."""
    variance: NDArray[np.float64] = _matrix(embeddings).var(axis=0)
    return variance


def mean_pairwise_cosine(embeddings: NDArray[np.floating]) -> float:
    """Mean cosine similarity over all ordered pairs i != j (zero vectors count as cosine 0)."""
    matrix = _matrix(embeddings)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = matrix / np.maximum(norms, _EPS)
    gram = unit @ unit.T
    n = matrix.shape[0]
    return float((gram.sum() - np.trace(gram)) / (n * (n - 1)))


def latent_health(embeddings: NDArray[np.floating]) -> LatentHealth:
    matrix = _matrix(embeddings)
    variance = per_dim_variance(matrix)
    rank = effective_rank(matrix)
    return LatentHealth(
        n=int(matrix.shape[0]),
        dim=int(matrix.shape[1]),
        effective_rank=rank,
        effective_rank_ratio=rank / matrix.shape[1],
        per_dim_variance=[float(v) for v in variance],
        mean_variance=float(variance.mean()),
        min_variance=float(variance.min()),
        mean_pairwise_cosine=mean_pairwise_cosine(matrix),
    )
