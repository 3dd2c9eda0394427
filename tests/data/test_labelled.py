"""Sandbox-labelled training pools: the wrong-program recipe and the labels that running gives."""

from __future__ import annotations

import random
from collections import Counter

from codelewm.code.mutations import canonical_source
from codelewm.code.validity import check_validity
from codelewm.data.labelled import (
    LabelStats,
    LabelTask,
    Recipe,
    candidate_programs,
    label_pool,
    sandbox_labeller,
    sibling_body,
)
from codelewm.data.transition import new_transition
from codelewm.execution import TestKind

CLAMP = '''def clamp(x, lo, hi):
    """Clamp x into [lo, hi]."""
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x
'''
TESTS = "assert clamp(5, 0, 3) == 3\nassert clamp(-1, 0, 3) == 0\nassert clamp(2, 0, 3) == 2\n"
DONOR = "def biggest(a, b, c):\n    return max(a, b, c)\n"


def _task(tests: str = TESTS) -> LabelTask:
    return LabelTask(
        task_id="t/clamp",
        before='def clamp(x, lo, hi):\n    """Clamp x into [lo, hi]."""\n',
        instruction="Clamp x into [lo, hi].",
        reference=CLAMP,
        tests=tests,
        kind=TestKind.SCRIPT,
        symbol="clamp",
    )


def test_recipe_makes_every_kind_of_wrong_program() -> None:
    members = candidate_programs(
        _task(), Recipe(mutants=3), rng=random.Random(0), donors=[(DONOR, "biggest")]
    )
    origins = {origin.split(":")[0] for origin, _ in members}
    kinds = {"truncated", "no_edge_case", "constant_return", "sibling_body", "mutant"}
    assert kinds | {"undefined_name", "cut_off"} <= origins
    codes = [code for _, code in members]
    assert len(set(codes)) == len(codes)
    assert canonical_source(CLAMP) not in codes
    for origin, code in members:
        if origin == "cut_off":  # a sample that stopped mid-line: a prefix that does not parse
            assert canonical_source(CLAMP).startswith(code)
            assert not check_validity(code).ok
            continue
        assert code == canonical_source(code)  # canonical: formatting tells nothing
    assert not check_validity(dict(members)["undefined_name"]).ok  # pyflakes: undefined name


def test_sibling_body_renames_the_donor_parameters() -> None:
    code = sibling_body(CLAMP, "clamp", DONOR, "biggest")
    assert code is not None
    assert "return max(x, lo, hi)" in code
    assert sibling_body(CLAMP, "clamp", "def one(a):\n    return a\n", "one") is None


def test_labels_come_from_running_and_an_equivalent_is_labelled_passing() -> None:
    task = _task()
    equivalent = CLAMP.replace("    return x\n", "    return x + 0\n")
    members = [
        ("equivalent", canonical_source(equivalent)),
        ("constant_return", "def clamp(x, lo, hi):\n    return None"),
    ]
    record = new_transition(
        source="exercism",
        group="t/clamp",
        path="t/clamp",
        symbol="clamp",
        before=task.before,
        after=canonical_source(CLAMP),
        instruction=task.instruction,
        instruction_kind="task",
    )
    stats, skipped = LabelStats(), Counter[str]()
    pool = label_pool(task, members, sandbox_labeller(), stats, skipped, transition=record)
    assert pool is not None, skipped
    labels = {c.origin: c.passed for c in pool.candidates}  # type: ignore[attr-defined]
    assert labels == {"reference": True, "equivalent": True, "constant_return": False}
    assert pool.labelled_by == "sandbox"  # type: ignore[attr-defined]
    assert stats.runs == 3


def test_a_reference_that_fails_drops_the_task() -> None:
    task = _task(tests="assert clamp(5, 0, 3) == 5\n")
    record = new_transition(
        source="exercism",
        group="g",
        path="p",
        symbol="clamp",
        before=task.before,
        after=CLAMP,
        instruction="x",
        instruction_kind="task",
    )
    skipped: Counter[str] = Counter()
    pool = label_pool(task, [], sandbox_labeller(), LabelStats(), skipped, transition=record)
    assert pool is None and skipped["reference_fails_its_checks"] == 1
