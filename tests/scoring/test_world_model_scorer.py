"""The world-model scorer encodes each distinct before and (before, candidate) once per call; sharing
must not change a single score."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from codelewm.scoring.protocol import Query
from codelewm.scoring.world_model import WorldModelScorer

BEFORE = "def area(w, h):\n    return w * h\n"
OTHER = "def greet(name):\n    return 'hi ' + name\n"
CANDIDATES = (
    "def area(w, h):\n    return abs(w * h)\n",
    "def area(w, h):\n    return w + h\n",
    "def area(w, h):\n    return abs(w * h)\n",  # an identical sample, as LLM pools have
)


def test_shared_encodings_give_the_scores_of_separate_calls(tiny_checkpoint: Path) -> None:
    scorer = WorldModelScorer.from_checkpoint(tiny_checkpoint)
    queries = [
        Query(BEFORE, "make the area non-negative", CANDIDATES),
        Query(BEFORE, "add the sides instead", CANDIDATES),
        Query(OTHER, "greet politely", ("def greet(name):\n    return 'hello ' + name\n",)),
        Query(BEFORE, None, CANDIDATES[:2]),
    ]
    together = scorer.score_queries(queries)
    for query, joint in zip(queries, together, strict=True):
        (alone,) = scorer.score_queries([query])
        for name in ("energy", "no_action_energy", "consensus", "final_score"):
            np.testing.assert_allclose(joint.components[name], alone.components[name], atol=1e-4)
    energy = together[0].components["energy"]
    assert energy[0] == energy[2]  # identical candidates, identical energies
    assert scorer.score_queries([]) == []


def test_latent_cache_reuses_and_stays_bounded(tiny_checkpoint: Path) -> None:
    scorer = WorldModelScorer.from_checkpoint(tiny_checkpoint, batch_size=4)
    query = Query(BEFORE, "make the area non-negative", CANDIDATES)
    first = scorer.score_queries([query])[0]
    assert len(scorer.cache) == 3  # one before, two distinct (before, candidate) pairs
    misses = scorer.cache.misses
    again = scorer.score_queries([Query(BEFORE, "add the sides instead", CANDIDATES)])[0]
    assert scorer.cache.misses == misses  # nothing re-encoded
    assert again.components["consensus"] == first.components["consensus"]
    # the same candidate against ANOTHER before is another latent (the edit is seen against it)
    scorer.score_queries([Query(OTHER, "x", CANDIDATES[:1])])
    assert scorer.cache.misses == misses + 2

    small = WorldModelScorer.from_checkpoint(tiny_checkpoint, cache_size=2)
    scored = small.score_queries([query])[0]
    assert len(small.cache) == 2
    np.testing.assert_allclose(scored.components["energy"], first.components["energy"], atol=1e-4)
    off = WorldModelScorer.from_checkpoint(tiny_checkpoint, cache_size=0)
    off.score_queries([query])
    assert len(off.cache) == 0
