"""Every baseline on hand-built queries: exact energies, lower = better."""

from __future__ import annotations

import pytest

from codelewm.errors import InputError
from codelewm.scoring.baselines import (
    INVALID_ENERGY,
    BM25Scorer,
    ConsensusScorer,
    ConstantScorer,
    LexicalScorer,
    NoActionScorer,
    RandomScorer,
    ValidityScorer,
)
from codelewm.scoring.baselines_shuffled import ShuffledActionScorer, derangement_by_group
from codelewm.scoring.baselines_static import is_statically_valid
from codelewm.scoring.baselines_tokens import added_tokens, code_tokens, trigrams, words
from codelewm.scoring.protocol import PoolScores, Query, Scorer
from codelewm.scoring.registry import get_scorer

BEFORE = "def f(x):\n    return x\n"
QUERY = Query(
    before=BEFORE,
    instruction="add one to the result",
    candidates=(
        "def f(x):\n    return x\n",
        "def f(x):\n    return x + 1\n",
        "def f(x):\n    return y\n",
    ),
    query_id="q",
)


def test_tokens_drop_comments_and_layout() -> None:
    assert code_tokens("def f(x):  # hi\n    return x\n") == [
        "def", "f", "(", "x", ")", ":", "return", "x",
    ]  # fmt: skip
    assert code_tokens("def f(:\n    return 'abc") == ["def", "f", "(", ":", "return", "'", "abc"]
    assert words("maxValue_in HTTPServer 3") == ["max", "value", "in", "http", "server", "3"]
    assert added_tokens(BEFORE, QUERY.candidates[1]) == ["+", "1"]
    assert trigrams(["a", "b"]) == {("a", "b")}


def test_static_validity() -> None:
    assert not is_statically_valid("def f(x):\n    return y\n")
    assert not is_statically_valid("def f(:")
    assert is_statically_valid(BEFORE)


def test_no_action_prefers_the_copy() -> None:
    (scores,) = NoActionScorer().score_queries([QUERY])
    assert scores.energies == (-1.0, pytest.approx(-7 / 9), pytest.approx(-7 / 8))


def test_lexical_reads_before_and_instruction() -> None:
    (scores,) = LexicalScorer().score_queries([QUERY])
    # reference: 7 code tokens + "add one to the result" = 12; "+ 1" adds 2 outside it, "y" 1
    assert scores.energies == (-7 / 12, -7 / 14, -7 / 13)


def test_bm25_matches_the_instruction_against_added_tokens() -> None:
    query = Query(
        before=BEFORE,
        instruction="use max",
        candidates=("def f(x):\n    return max(x)\n", "def f(x):\n    return min(x)\n", BEFORE),
    )
    (scores,) = BM25Scorer().score_queries([query])
    assert scores.energies[0] < scores.energies[1] == scores.energies[2] == 0.0
    (none,) = BM25Scorer().score_queries([Query(BEFORE, None, query.candidates)])
    assert none.energies == (0.0, 0.0, 0.0)


def test_validity_ranks_valid_first() -> None:
    (scores,) = ValidityScorer().score_queries([QUERY])
    assert scores.energies == (0.0, 0.0, 1.0)


def test_consensus_is_mean_trigram_jaccard_among_valid() -> None:
    a = "def g(a):\n    return a + 1\n"
    b = "def g(a):\n    return a + 2\n"
    query = Query(before="", instruction=None, candidates=(a, a, b, "def g(:"))
    (scores,) = ConsensusScorer().score_queries([query])
    # trigrams: a and b share 7 of 9 distinct trigrams (8 each)
    share = 7 / 9
    assert scores.energies[0] == pytest.approx(-(1.0 + share) / 2)
    assert scores.energies[2] == pytest.approx(-share)
    assert scores.energies[3] == INVALID_ENERGY
    assert scores.components["valid"] == (1.0, 1.0, 1.0, 0.0)


def test_consensus_compares_only_the_part_after_the_prompt() -> None:
    prompt = 'def g(a, b):\n    """Doc."""\n'
    candidates = (prompt + "    return a + b\n", prompt + "    return b * a\n")
    (scores,) = ConsensusScorer().score_queries([Query(prompt, None, candidates)])
    assert scores.energies == (0.0, 0.0)  # the shared prompt counts for nothing
    (unprompted,) = ConsensusScorer().score_queries([Query("", None, candidates)])
    assert unprompted.energies[0] < 0.0


def test_random_is_seeded_per_query_and_constant_ties_everything() -> None:
    first = RandomScorer(seed=3).score_queries([QUERY])
    assert first == RandomScorer(seed=3).score_queries([QUERY])
    assert first != RandomScorer(seed=4).score_queries([QUERY])
    assert ConstantScorer().score_queries([QUERY]) == [PoolScores(energies=(0.0, 0.0, 0.0))]


class _EchoInstruction:
    """Records the instruction it was given, to check what the wrapper passes on."""

    name = "echo"

    def __init__(self) -> None:
        self.seen: list[str | None] = []

    def score_queries(self, queries: list[Query]) -> list[PoolScores]:
        self.seen = [q.instruction for q in queries]
        return [PoolScores(energies=(0.0,) * len(q.candidates)) for q in queries]


def test_shuffled_action_is_a_derangement_across_befores() -> None:
    groups = ["a", "a", "b", "b", "c", "d"]
    donor = derangement_by_group(groups, seed=17)
    assert sorted(donor) == list(range(6))
    assert all(groups[d] != groups[i] for i, d in enumerate(donor))
    queries = [
        Query(before=g, instruction=f"i{n}", candidates=("x",)) for n, g in enumerate(groups)
    ]
    echo = _EchoInstruction()
    ShuffledActionScorer(echo, seed=17).score_queries(queries)
    assert echo.seen == [f"i{d}" for d in donor]
    assert isinstance(ShuffledActionScorer(echo), Scorer)


def test_shuffled_action_needs_two_queries() -> None:
    with pytest.raises(InputError):
        derangement_by_group(["a"], seed=1)


def test_registry() -> None:
    assert get_scorer("consensus").name == "consensus"
    assert get_scorer("shuffled-action:bm25").name == "shuffled-action(bm25)"
    assert get_scorer("shuffled-action").name == "shuffled-action(lexical)"
    with pytest.raises(InputError):
        get_scorer("no-such-scorer")


def test_default_energy_is_the_shipped_weights_without_their_calibrators() -> None:
    from codelewm.scoring.protocol import Query
    from codelewm.scoring.world_model import WorldModelScorer

    fused, energy = get_scorer("default"), get_scorer("default-energy")
    assert isinstance(fused, WorldModelScorer) and isinstance(energy, WorldModelScorer)
    assert fused.calibrator is not None and energy.calibrator is None
    assert energy.execution_calibrator is None and energy.static_calibrator is None
    query = Query(
        "def f(x):\n    return x\n",
        "Add one.",
        ("def f(x):\n    return x + 1\n", "def f(x):\n    return x - 1\n"),
    )
    by_energy, by_fusion = energy.score_queries([query])[0], fused.score_queries([query])[0]
    assert by_energy.components["energy"] == by_fusion.components["energy"]  # the same weights
    assert by_energy.energies == by_energy.components["energy"]  # ranked by energy alone
    assert by_fusion.energies != by_fusion.components["energy"]
