"""The fused score's features and its listwise calibrator fit."""

from __future__ import annotations

import numpy as np

from codelewm.scoring.fusion import (
    STATIC_FEATURES,
    duplicate_counts,
    feature_matrix,
    fit_listwise,
    static_features,
    vote_weights,
    weighted_consensus,
    zscore,
)
from codelewm.scoring.protocol import Query


def test_weighted_consensus_counts_the_other_copies_of_a_sample() -> None:
    sims = np.array([[1.0, 0.2, 0.2], [0.2, 1.0, 0.9], [0.2, 0.9, 1.0]])
    flat = weighted_consensus(sims, np.ones(3))
    assert np.allclose(flat, [0.2, 0.55, 0.55])
    # the first candidate was sampled 4 times: its copies agree with it
    heavy = weighted_consensus(sims, np.array([4.0, 1.0, 1.0]))
    assert heavy[0] > flat[0] and heavy[0] > heavy[1]
    assert np.allclose(weighted_consensus(np.ones((1, 1)), np.ones(1)), [0.0])


def test_zscore_of_a_single_or_flat_pool_is_zero() -> None:
    assert zscore(np.array([3.0])).tolist() == [0.0]
    assert zscore(np.array([2.0, 2.0])).tolist() == [0.0, 0.0]


def test_duplicates_come_from_weights_or_from_repeated_candidates() -> None:
    q = Query("", None, ("a = 1", "a = 1", "b = 2"))
    assert duplicate_counts(q).tolist() == [2.0, 2.0, 1.0]
    assert vote_weights(q).tolist() == [1.0, 1.0, 1.0]
    w = Query("", None, ("a = 1", "b = 2"), weights=(3.0, 1.0))
    assert duplicate_counts(w).tolist() == [3.0, 1.0]


def test_static_features_rank_invalid_last_and_typical_first() -> None:
    cands = (
        "def f(x):\n    return x + 1\n",
        "def f(x):\n    return x + 1\n\n",
        "def f(x):\n    return x + 2\n",
        "def f(x):\n    return y\n",  # undefined name
        "def f(x:\n",  # does not parse
    )
    f = static_features(Query("", None, cands))
    assert f["valid"].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert f["parses"].tolist() == [1.0, 1.0, 1.0, 1.0, 0.0]
    tc = f["token_consensus_z"]
    assert tc[0] > tc[2] > tc[3]


def test_listwise_fit_learns_which_feature_marks_the_passing_member() -> None:
    rng = np.random.default_rng(0)
    pools = []
    for _ in range(60):
        k = 6
        x = rng.normal(size=(k, 2))
        good = int(rng.integers(k))
        x[good, 0] += 2.0  # feature 0 points at the passing member; feature 1 is noise
        pools.append((x, [i == good for i in range(k)]))
    cal = fit_listwise(pools, ("valid", "parses"), fitted_on="synthetic")
    assert cal.weights[0] > 1.0 and abs(cal.weights[1]) < 0.5 * cal.weights[0]
    x, y = pools[0]
    assert int(np.argmax(cal.score(x))) == y.index(True)


def test_feature_matrix_follows_the_names() -> None:
    f = static_features(Query("", None, ("a = 1", "b = 2")))
    m = feature_matrix(f, STATIC_FEATURES)
    assert m.shape == (2, len(STATIC_FEATURES))
