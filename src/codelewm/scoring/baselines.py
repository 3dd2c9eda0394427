"""The baselines every report shows beside the model. All implement `Scorer`: energies, lower = better.

- `random`: seeded uniform energies (reports also give the exact expected value: a constant scorer).
- `lexical`: token Jaccard of the candidate to before + instruction.
- `no-action`: token Jaccard of the candidate to the before alone (the "copy the before" prior).
- `bm25`: BM25 of the instruction against each candidate's ADDED tokens (relative to the before).
- `validity`: parses and has no undefined names (pyflakes); valid first, ties otherwise.
- `consensus`: minimum Bayes risk: each valid candidate's mean token-trigram Jaccard to the other
  valid candidates of the same query; invalid candidates last.
`shuffled-action` (a wrapper over any scorer) lives in `baselines_shuffled.py`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from rank_bm25 import BM25Okapi

from codelewm.scoring.baselines_static import is_statically_valid
from codelewm.scoring.baselines_tokens import (
    added_tokens,
    code_tokens,
    jaccard,
    token_and_word_set,
    token_set,
    trigrams,
    words,
)
from codelewm.scoring.protocol import PoolScores, Query

INVALID_ENERGY = 1.0  # above every valid candidate's energy (-1 .. 0)


class RandomScorer:
    """Uniform random energies, seeded per query (independent of batching and query order)."""

    def __init__(self, *, seed: int = 17) -> None:
        self.seed = seed

    @property
    def name(self) -> str:
        return "random"

    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        return [self._one(query, position) for position, query in enumerate(queries)]

    def _one(self, query: Query, position: int) -> PoolScores:
        key = query.query_id or f"#{position}"
        digest = hashlib.sha256(f"{self.seed}:{key}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        return PoolScores(energies=tuple(float(x) for x in rng.random(len(query.candidates))))


class ConstantScorer:
    """Every candidate tied: scores exactly the EXPECTED value of a random ranker."""

    @property
    def name(self) -> str:
        return "random-expected"

    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        return [PoolScores(energies=(0.0,) * len(q.candidates)) for q in queries]


class LexicalScorer:
    """-Jaccard(candidate tokens + sub-words, before tokens + sub-words + instruction words)."""

    @property
    def name(self) -> str:
        return "lexical"

    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        return [self._one(query) for query in queries]

    def _one(self, query: Query) -> PoolScores:
        reference = token_and_word_set(query.before) | set(words(query.instruction or ""))
        energies = tuple(-jaccard(token_and_word_set(c), reference) for c in query.candidates)
        return PoolScores(energies=energies)


class NoActionScorer:
    """-Jaccard(candidate tokens, before tokens): ignores the instruction by construction."""

    @property
    def name(self) -> str:
        return "no-action"

    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        out = []
        for query in queries:
            before = token_set(query.before)
            energies = tuple(-jaccard(token_set(c), before) for c in query.candidates)
            out.append(PoolScores(energies=energies))
        return out


class BM25Scorer:
    """-BM25(instruction words | the candidate's added tokens' words), the K candidates as corpus."""

    @property
    def name(self) -> str:
        return "bm25"

    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        return [self._one(query) for query in queries]

    def _one(self, query: Query) -> PoolScores:
        k = len(query.candidates)
        terms = words(query.instruction or "")
        documents = [
            [w for token in added_tokens(query.before, c) for w in words(token)]
            for c in query.candidates
        ]
        if not terms or not any(documents):
            return PoolScores(energies=(0.0,) * k)
        scores = BM25Okapi(documents).get_scores(terms)
        return PoolScores(energies=tuple(-float(s) for s in scores))


class ValidityScorer:
    """0 for statically valid candidates, 1 for the rest (ties within each group)."""

    @property
    def name(self) -> str:
        return "validity"

    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        return [
            PoolScores(
                energies=tuple(0.0 if is_statically_valid(c) else 1.0 for c in query.candidates)
            )
            for query in queries
        ]


class ConsensusScorer:
    """MBR consensus: -mean trigram Jaccard to the other valid candidates; invalid last.

    When a candidate starts with the before (the prompt), only the part after it is compared, so
    the shared prompt does not make every candidate look alike.
    """

    @property
    def name(self) -> str:
        return "consensus"

    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        return [self._one(query) for query in queries]

    def _one(self, query: Query) -> PoolScores:
        valid = [is_statically_valid(c) for c in query.candidates]
        grams = [
            trigrams(code_tokens(_after_prompt(query.before, c))) if ok else set()
            for c, ok in zip(query.candidates, valid, strict=True)
        ]
        members = [i for i, ok in enumerate(valid) if ok]
        energies = [INVALID_ENERGY] * len(query.candidates)
        for i in members:
            others = [jaccard(grams[i], grams[j]) for j in members if j != i]
            energies[i] = -float(np.mean(others)) if others else 0.0
        return PoolScores(energies=tuple(energies), components={"valid": _flags(valid)})


def _after_prompt(before: str, candidate: str) -> str:
    return candidate[len(before) :] if before and candidate.startswith(before) else candidate


def _flags(values: list[bool]) -> tuple[float, ...]:
    return tuple(1.0 if v else 0.0 for v in values)
