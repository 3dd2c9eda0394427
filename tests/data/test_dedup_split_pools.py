from __future__ import annotations

from collections import Counter

from codelewm.data.assemble import AssembleConfig, assemble
from codelewm.data.dedup import NearDupConfig, exact_duplicate_reasons, near_duplicates
from codelewm.data.pools import PoolConfig, find_pools
from codelewm.data.rows import Row
from codelewm.data.split import SplitConfig, split_of
from codelewm.data.transition import new_transition
from codelewm.data.units import UnitResult
from codelewm.records import Split, TransitionRecord

LONG = "\n".join(f"    total += values[{i}] * weights[{i}] - offset_{i}" for i in range(40))
BEFORE = f"def score(values, weights):\n    total = 0\n{LONG}\n    return total\n"


def _record(group: str, before: str, after: str, instruction: str) -> TransitionRecord:
    return new_transition(
        source="ruff",
        group=group,
        path="m.py",
        symbol="score",
        before=before,
        after=after,
        instruction=instruction,
        instruction_kind="rule",
        license="MIT",
    )


def _group_in(split: Split, seed: int = 0) -> str:
    return next(
        f"g{i}"
        for i in range(10_000)
        if split_of(f"g{i}", seed=seed, config=SplitConfig()) == split
    )


def test_exact_duplicates_keep_the_first() -> None:
    rows = [("b1", "i1", "a1"), ("b1", "i1", "a1"), ("b1", "i2", "a1"), ("b1", "i3", "a2")]
    assert exact_duplicate_reasons(rows) == [None, "duplicate_transition", "duplicate_edit", None]


def test_near_duplicates_find_small_edits_only() -> None:
    near = BEFORE.replace("offset_7", "offset_seven")
    other = "def parse(text):\n    return [line.split(',') for line in text.splitlines()]\n"
    found = near_duplicates(
        {"train": BEFORE}, [("near", near), ("other", other), ("train", BEFORE)], NearDupConfig()
    )
    assert found == {"near": "train", "train": "train"}


def test_split_is_deterministic_by_group_and_seed() -> None:
    config = SplitConfig(train=0.8, val=0.1, test=0.1)
    groups = [f"stdlib/mod{i}" for i in range(2000)]
    first = [split_of(g, seed=3, config=config) for g in groups]
    assert first == [split_of(g, seed=3, config=config) for g in groups]
    counts = Counter(first)
    assert 1500 < counts["train"] < 1700 and 150 < counts["val"] < 250
    assert first != [split_of(g, seed=4, config=config) for g in groups]


def test_pools_need_three_distinct_afters_and_instructions() -> None:
    afters = [BEFORE.replace("total = 0", f"total = {k}") for k in range(1, 5)]
    rows = [
        Row.of(_record("g", BEFORE, afters[0], "A").model_copy(update={"split": "train"})),
        Row.of(_record("g", BEFORE, afters[1], "B").model_copy(update={"split": "train"})),
        Row.of(_record("g", BEFORE, afters[2], "B").model_copy(update={"split": "train"})),
        Row.of(_record("g", BEFORE, afters[0], "C").model_copy(update={"split": "train"})),
    ]
    assert find_pools(rows, PoolConfig()) == []  # only 2 distinct (after, instruction) members
    rows.append(Row.of(_record("g", BEFORE, afters[3], "D").model_copy(update={"split": "train"})))
    (pool,) = find_pools(rows, PoolConfig())
    assert [m.instruction for m in pool.members] == ["A", "B", "D"]
    assert pool.before == BEFORE and pool.split == "train"


def test_assemble_removes_leaks_and_never_splits_a_group() -> None:
    train_group, val_group = _group_in("train"), _group_in("val")
    near = BEFORE.replace("offset_7", "offset_seven")
    result = UnitResult(
        rows=[
            Row.of(_record(train_group, BEFORE, BEFORE.replace("total = 0", "total = 1"), "A")),
            Row.of(_record(val_group, near, near.replace("total = 0", "total = 2"), "B")),
            Row.of(_record(val_group, "def f():\n    return 1\n", "def f():\n    return 2\n", "C")),
            Row.of(_record(train_group, BEFORE, BEFORE.replace("total = 0", "total = 1"), "A")),
        ]
    )
    config = AssembleConfig(
        seed=0, split=SplitConfig(), near_dup=NearDupConfig(), pools=PoolConfig()
    )
    assembled = assemble([("ruff", result)], config)
    assert [r.record.instruction for r in assembled.rows["train"]] == ["A"]
    assert [r.record.instruction for r in assembled.rows["val"]] == ["C"]
    assert assembled.dropped == {"ruff": Counter(duplicate_transition=1, near_duplicate_of_train=1)}
    assert assembled.leakage is not None
    assert assembled.leakage.dropped_records == {"val": 1}
    assert assembled.leakage.checked_records == {"val": 2}
    groups = {split: {r.record.group for r in rows} for split, rows in assembled.rows.items()}
    assert groups["train"].isdisjoint(groups["val"]) and groups["val"].isdisjoint(groups["test"])


def test_a_sandbox_labelled_record_wins_over_an_earlier_duplicate() -> None:
    """The stubs source writes the same stub -> function edit as the doctests source; the labelled
    record (it carries the labelled pool) is the one kept, whatever the build order."""
    group = _group_in("train")
    after = BEFORE.replace("total = 0", "total = 1")
    plain = _record(group, BEFORE, after, "Implement `score`: the docstring")
    labelled = _record(group, BEFORE, after, "Implement `score`: the docstring's text").model_copy(
        update={"meta": {"labelled_by": "sandbox"}}
    )
    config = AssembleConfig(
        seed=0, split=SplitConfig(), near_dup=NearDupConfig(), pools=PoolConfig()
    )
    assembled = assemble(
        [
            ("stubs", UnitResult(rows=[Row.of(plain)])),
            ("doctests", UnitResult(rows=[Row.of(labelled)])),
        ],
        config,
    )
    [kept] = assembled.rows["train"]
    assert kept.record.meta.get("labelled_by") == "sandbox"
    assert assembled.dropped == {"stubs": Counter(duplicate_edit=1)}
