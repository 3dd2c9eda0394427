"""Training examples with a sandbox-labelled pool: failing members are their first negatives."""

from __future__ import annotations

import random

from codelewm.records import PoolCandidate, RerankPool
from codelewm.train.config import DataSection
from codelewm.train.data import BatchBuilder, Example, attach_labelled

BEFORE = "def f(x):\n    pass\n"
AFTER = "def f(x):\n    return x + 1"
FAILING = ("def f(x):\n    return x - 1", "def f(x):\n    return None")
EQUIVALENT = "def f(x):\n    return 1 + x"


def _pool() -> RerankPool:
    members = [(AFTER, True, "reference"), (EQUIVALENT, True, "mutant:swap")]
    members += [(code, False, "mutant") for code in FAILING]
    return RerankPool(
        pool_id="labelled-x",
        before=BEFORE,
        instruction="add one",
        candidates=[
            PoolCandidate(candidate_id=f"c{i}", code=code, passed=ok, origin=origin)
            for i, (code, ok, origin) in enumerate(members)
        ],
    )


def test_labelled_members_attach_and_repeat() -> None:
    plain = Example("def g():\n    pass\n", "x", "def g():\n    return 2", ())
    labelled = Example(BEFORE, "add one", AFTER, ())
    out = attach_labelled([plain, labelled], [_pool()], repeat=3)
    assert out[0] == plain
    assert out[1].failing == FAILING and out[1].passing == (EQUIVALENT,)
    assert out.count(out[1]) == 3


class _Tokenizer:
    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [[1] for _ in texts]


def test_failing_members_come_first_and_equivalents_are_never_negatives() -> None:
    ex = attach_labelled([Example(BEFORE, "add one", AFTER, ())], [_pool()], repeat=1)[0]
    data = DataSection(dataset="unused", candidates=4, negatives_mutants=0, negatives_decoys=0)
    builder = BatchBuilder(
        [ex],
        _Tokenizer(),
        data,
        None,
        seed=0,
        action_dropout=0.0,  # type: ignore[arg-type]
    )
    cands = builder.candidates(0, random.Random(0))
    assert cands[0] == AFTER
    assert set(cands[1:3]) == set(FAILING)
    assert EQUIVALENT not in cands


def test_passing_members_ride_along_labelled_for_the_behaviour_term() -> None:
    ex = attach_labelled([Example(BEFORE, "add one", AFTER, ())], [_pool()], repeat=1)[0]
    data = DataSection(
        dataset="unused", candidates=4, negatives_mutants=0, negatives_decoys=0, passing_members=1
    )
    builder = BatchBuilder(
        [ex],
        _Tokenizer(),
        data,
        None,
        seed=0,
        action_dropout=0.0,  # type: ignore[arg-type]
    )
    texts, labels = builder.labelled_candidates(0, random.Random(0))
    assert len(texts) == 4 and texts[0] == AFTER and labels[0] == 0
    assert texts[-1] == EQUIVALENT and labels[-1] == 1  # its slot was kept free of negatives
    assert all(label == -1 for text, label in zip(texts, labels, strict=True) if text in FAILING)
    assert EQUIVALENT not in builder.candidates(0, random.Random(0))


def test_git_transitions_get_the_same_functions_neighbouring_commits() -> None:
    from codelewm.data.transition import new_transition
    from codelewm.train.data import group_examples

    versions = [f"def f(x):\n    return x + {i}\n" for i in range(4)]
    records = [
        new_transition(
            source="git",
            group="repo",
            path="m.py",
            symbol="f",
            before=versions[i],
            after=versions[i + 1],
            instruction=f"bump to {i + 1}",
            instruction_kind="commit",
        )
        for i in range(3)
    ]
    examples = group_examples(records)
    middle = examples[
        1
    ]  # v1 -> v2: v1 (the first commit's after) is its own before, not a negative
    assert middle.neighbours == (("bump to 3", versions[3]),)
    data = DataSection(dataset="unused", candidates=4, negatives_mutants=0, negatives_decoys=0)
    builder = BatchBuilder(
        examples,
        _Tokenizer(),
        data,
        None,
        seed=0,
        action_dropout=0.0,  # type: ignore[arg-type]
    )
    assert versions[3] in builder.candidates(1, random.Random(0))
