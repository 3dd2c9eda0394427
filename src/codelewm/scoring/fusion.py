"""The fused final score: the world model's signals beside the strong static ones, one calibrator.

Per candidate, within its own call (so every feature is comparable across pools of any kind):

    model   energy_z            energy z-scored in the pool               LOWER = better
            action_gain_z       action gain z-scored in the pool
            latent_consensus_z  duplicate-weighted mean cosine to the other candidates' latents, z-scored
    static  valid               1 if it parses and pyflakes finds no undefined name
            parses              1 if it parses
            token_consensus_z   duplicate-weighted mean token-trigram Jaccard to the other valid
                                candidates (the `consensus` baseline's similarity), z-scored
            log_count_z         log of its duplicate count (`n_samples`, else identical candidates of
                                the call), z-scored

`fit_listwise` fits the weights as a conditional logit over each labelled pool (the probability that
the pick passes: softmax of the scores, summed over the passing members), L2-regularised, by Newton
steps: deterministic, no pickle. `STATIC_FEATURES` alone is the same calibrator without the model:
the report's "fused without model" row, which tells what the model adds.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from codelewm.checkpoint.calibrator import FUSED_MODEL_FEATURES, FUSED_STATIC_FEATURES, Calibrator
from codelewm.scoring.baselines_static import is_statically_valid
from codelewm.scoring.baselines_tokens import code_tokens, jaccard, trigrams
from codelewm.scoring.protocol import TERM_PREFIX, PoolScores, Query

MODEL_FEATURES = FUSED_MODEL_FEATURES
STATIC_FEATURES = FUSED_STATIC_FEATURES
FUSED_FEATURES = MODEL_FEATURES + STATIC_FEATURES

Array = NDArray[np.float64]


def zscore(values: Array) -> Array:
    """Within-pool z-score; a pool of one (or of equal values) is all zeros."""
    x = np.asarray(values, dtype=np.float64)
    if len(x) < 2:
        return np.zeros(len(x))
    std = x.std()
    return np.zeros(len(x)) if std < 1e-9 else (x - x.mean()) / std


def vote_weights(query: Query) -> Array:
    """How many samples each row stands for in consensus: `query.weights`, else 1 (identical
    candidates listed separately already vote once per row)."""
    if query.weights is not None:
        return np.asarray(query.weights, dtype=np.float64)
    return np.ones(len(query.candidates))


def duplicate_counts(query: Query) -> Array:
    """`query.weights` when given, else how often each candidate occurs among the call's candidates."""
    if query.weights is not None:
        return np.asarray(query.weights, dtype=np.float64)
    counts: dict[str, int] = {}
    for code in query.candidates:
        counts[code] = counts.get(code, 0) + 1
    return np.asarray([counts[c] for c in query.candidates], dtype=np.float64)


def weighted_consensus(similarity: Array, weights: Array) -> Array:
    """Mean similarity of each candidate to the others, every candidate counted `weights` times
    (the other copies of itself at similarity 1): (K, K), (K,) -> (K,); 0 for a lone sample."""
    k = len(weights)
    total = float(weights.sum())
    if k == 0 or total <= 1.0:
        return np.zeros(k)
    off = similarity * weights[None, :]
    numer = off.sum(1) - np.diag(off) + (weights - 1.0)
    return np.asarray(numer / (total - 1.0), dtype=np.float64)


def _after_prompt(before: str, candidate: str) -> str:
    return candidate[len(before) :] if before and candidate.startswith(before) else candidate


def static_features(query: Query) -> dict[str, Array]:
    """The static features of every candidate of `query` (see the module docstring)."""
    cands = query.candidates
    weights = vote_weights(query)
    valid = np.asarray([1.0 if is_statically_valid(c) else 0.0 for c in cands])
    parsed = np.asarray([parses(c) for c in cands])
    grams = [
        trigrams(code_tokens(_after_prompt(query.before, c))) if ok else set()
        for c, ok in zip(cands, valid, strict=True)
    ]
    k = len(cands)
    sims = np.zeros((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            if valid[i] and valid[j]:
                sims[i, j] = sims[j, i] = jaccard(grams[i], grams[j])
    # only valid candidates vote: an invalid one gets weight 0 as a voter and a score of 0
    consensus = weighted_consensus(sims, weights * valid) * valid
    return {
        "valid": valid,
        "parses": parsed,
        "token_consensus_z": zscore(consensus),
        "log_count_z": zscore(np.log(np.maximum(duplicate_counts(query), 1.0))),
    }


def model_features(energy: Array, no_action: Array, consensus: Array) -> dict[str, Array]:
    """The model's features of one pool from its energies and its (weighted) latent consensus."""
    return {
        "energy_z": zscore(energy),
        "action_gain_z": zscore(no_action - energy),
        "latent_consensus_z": zscore(consensus),
    }


class StaticFusionScorer:
    """The fused score without the model: a calibrator over `STATIC_FEATURES` only (the report's
    `fused-without-model` row, and a static ranker in its own right). Executes nothing."""

    def __init__(self, calibrator: Calibrator, *, name: str = "fused-static") -> None:
        unknown = set(calibrator.feature_names) - set(STATIC_FEATURES)
        if unknown:
            raise ValueError(f"a static fusion cannot use model features {sorted(unknown)}")
        self.calibrator = calibrator
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        out = []
        for query in queries:
            matrix = feature_matrix(static_features(query), self.calibrator.feature_names)
            final = self.calibrator.score(matrix)
            parts = self.calibrator.terms(matrix)
            components = {
                f"{TERM_PREFIX}{n}": tuple(float(v) for v in parts[:, j])
                for j, n in enumerate(self.calibrator.feature_names)
            }
            components["final_score"] = tuple(float(v) for v in final)
            out.append(PoolScores(energies=tuple(float(-v) for v in final), components=components))
        return out


def parses(code: str) -> float:
    """1.0 when `code` parses as Python, else 0.0."""
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return 0.0
    return 1.0


def feature_matrix(features: dict[str, Array], names: Sequence[str]) -> Array:
    return np.stack([features[name] for name in names], axis=1)


def fit_listwise(
    pools: Sequence[tuple[Array, Sequence[bool]]],
    feature_names: Sequence[str],
    *,
    fitted_on: str,
    l2: float = 1.0,
) -> Calibrator:
    """Conditional-logit weights over pools of (features (K, F), passed labels (K,)). Pools without
    both a passing and a failing member carry no ranking information and are ignored."""
    usable = [(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=bool)) for x, y in pools]
    usable = [(x, y) for x, y in usable if y.any() and not y.all()]
    n_features = len(feature_names)
    if not usable:
        raise ValueError("no labelled pool has both a passing and a failing member")
    stacked = np.concatenate([x for x, _ in usable])
    scale = stacked.std(0)
    scale[scale < 1e-8] = 1.0
    w = np.zeros(n_features)
    for _ in range(100):
        grad = l2 * w
        hess = l2 * np.eye(n_features)
        for x, y in usable:
            xs = x / scale
            s = xs @ w
            p_all = _softmax(s)
            p_pos = _softmax(np.where(y, s, -np.inf))
            grad += xs.T @ (p_all - p_pos)
            mean_all = xs.T @ p_all
            mean_pos = xs.T @ p_pos
            cov_all = (xs * p_all[:, None]).T @ xs - np.outer(mean_all, mean_all)
            cov_pos = (xs * p_pos[:, None]).T @ xs - np.outer(mean_pos, mean_pos)
            hess += cov_all - cov_pos
        try:
            step = np.linalg.solve(hess + 1e-9 * np.eye(n_features), grad)
        except np.linalg.LinAlgError:
            step = grad * 0.1
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return Calibrator(
        feature_names=tuple(feature_names),
        weights=tuple(float(v) for v in w),
        bias=0.0,
        mean=(0.0,) * n_features,
        scale=tuple(float(v) for v in scale),
        fitted_on=fitted_on,
    )


def listwise_log_likelihood(
    calibrator: Calibrator, pools: Sequence[tuple[Array, Sequence[bool]]]
) -> float:
    """Mean log-probability that the calibrated pick passes (pools with a passing member)."""
    total, n = 0.0, 0
    for x, y in pools:
        labels = np.asarray(y, dtype=bool)
        if not labels.any():
            continue
        p = _softmax(calibrator.score(np.asarray(x, dtype=np.float64)))
        total += math.log(max(float(p[labels].sum()), 1e-12))
        n += 1
    return total / max(n, 1)


def _softmax(s: Array) -> Array:
    m = np.max(s)
    e = np.exp(s - m)
    return np.asarray(e / e.sum(), dtype=np.float64)
