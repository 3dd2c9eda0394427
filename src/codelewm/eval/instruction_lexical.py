"""`instruction-lexical`: the instruction's words against the words of each candidate's diff.

Jaccard of the instruction's lower-case sub-words and the sub-words of the tokens the candidate adds
to or removes from the before (multisets of `tokenize` tokens). A candidate that changes nothing
has an empty diff and scores 0; an instruction without words ties every candidate. It reads only
the instruction and the diff, so it is the lexical reading of "does this change do what the message
says" — the baseline a model that uses the instruction has to beat on real commit messages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from codelewm.scoring.baselines_tokens import code_tokens, jaccard, words
from codelewm.scoring.protocol import PoolScores, Query


def diff_words(before: str, candidate: str) -> frozenset[str]:
    """Sub-words of the tokens `candidate` adds to or removes from `before`."""
    old, new = Counter(code_tokens(before)), Counter(code_tokens(candidate))
    changed = (new - old) + (old - new)
    return frozenset(w for token in changed for w in words(token))


class InstructionLexicalScorer:
    """-Jaccard(instruction words, words of the candidate's added and removed tokens)."""

    @property
    def name(self) -> str:
        return "instruction-lexical"

    def score_queries(self, queries: Sequence[Query]) -> list[PoolScores]:
        return [self._one(query) for query in queries]

    def _one(self, query: Query) -> PoolScores:
        asked = frozenset(words(query.instruction or ""))
        if not asked:
            return PoolScores(energies=(0.0,) * len(query.candidates))
        energies = tuple(-jaccard(diff_words(query.before, c), asked) for c in query.candidates)
        return PoolScores(energies=energies)
