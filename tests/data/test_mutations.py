"""Mutation engine on real standard-library functions: every operator, parse, location, determinism."""

from __future__ import annotations

import ast
import difflib
import heapq
import inspect
import random
import textwrap

import pytest
from realcode import BISECT_RIGHT, EVERY_OP, REAL_FUNCTIONS

from codelewm.code.functions import normalise
from codelewm.code.mutations import OPERATORS, Mutation, canonical_source, mutate_function
from codelewm.errors import ParseFailureError


def _all(source: str, seed: int = 0) -> list[Mutation]:
    return mutate_function(source, rng=random.Random(seed), max_mutants=1000)


def test_every_operator_is_exercised() -> None:
    ops = {m.op for m in _all(EVERY_OP)}
    assert ops == set(OPERATORS)


def test_every_operator_fires_on_real_stdlib_functions() -> None:
    seen: dict[str, int] = {}
    for source in REAL_FUNCTIONS:
        canonical = canonical_source(source)
        for mutant in _all(source):
            seen[mutant.op] = seen.get(mutant.op, 0) + 1
            assert normalise(mutant.code) == mutant.code != canonical
    assert sorted(seen) == sorted(OPERATORS)


def test_mutants_parse_differ_and_are_distinct() -> None:
    canonical = canonical_source(BISECT_RIGHT)
    mutants = _all(BISECT_RIGHT)
    assert len(mutants) == len({m.code for m in mutants}) == 56
    for mutant in mutants:
        ast.parse(mutant.code)
        assert normalise(mutant.code) != normalise(canonical)
        assert normalise(mutant.code) == mutant.code
    assert len({m.introduce_instruction for m in mutants}) == len(mutants)


def test_mutant_differs_from_canonical_only_at_the_mutated_line() -> None:
    canonical = canonical_source(BISECT_RIGHT).splitlines()
    for mutant in _all(BISECT_RIGHT):
        line = int(mutant.location.split(":")[1])
        diff = [
            d
            for d in difflib.ndiff(canonical, mutant.code.splitlines())
            if d[:1] in "+-" and d[:2] != "? "
        ]
        removed = [d[2:] for d in diff if d.startswith("- ")]
        assert removed == [canonical[line - 1]], mutant
        added = [d for d in diff if d.startswith("+ ")]
        assert len(added) == (0 if mutant.op == "delete_stmt" else 1), mutant


def test_instructions_name_function_and_code() -> None:
    rng = random.Random(3)
    mutants = mutate_function(BISECT_RIGHT, rng=rng, max_mutants=8)
    assert [m.op for m in mutants] == [
        "arith",
        "constant",
        "delete_stmt",
        "wrong_var",
        "drop_return",
        "compare",
        "arith",
        "constant",
    ]
    assert mutants[3].introduce_instruction == (
        "use `key` instead of `mid` in `a[mid]` in `bisect_right` on line 17"
    )
    assert mutants[3].fix_instruction == (
        "fix the variable mix-up in `a[key]` of `bisect_right` on line 17: use `mid`"
    )
    assert mutants[4].fix_instruction == "`bisect_right` should return `lo`, not `None`"
    for mutant in mutants:
        assert "`bisect_right`" in mutant.introduce_instruction
        assert "`bisect_right`" in mutant.fix_instruction


def test_compare_instructions_exact() -> None:
    source = "def last(items, n):\n    return items[n] if n < len(items) else None\n"
    compare = [m for m in _all(source, seed=5) if m.op == "compare"]
    assert sorted((m.code.splitlines()[1], m.location) for m in compare) == [
        ("    return items[n] if n <= len(items) else None", "last:2:23"),
        ("    return items[n] if n > len(items) else None", "last:2:23"),
    ]
    texts = {m.code.splitlines()[1].strip(): m for m in compare}
    inclusive = texts["return items[n] if n <= len(items) else None"]
    assert "`n < len(items)`" in inclusive.introduce_instruction
    assert "`n <= len(items)`" in inclusive.fix_instruction


def test_range_bound_mutants() -> None:
    source = "def total(items):\n    s = 0\n    for i in range(len(items)):\n        s += items[i]\n    return s\n"
    ranges = sorted(m.code.splitlines()[2].strip() for m in _all(source) if m.op == "range")
    assert ranges == [
        "for i in range(1, len(items)):",
        "for i in range(len(items) + 1):",
        "for i in range(len(items) - 1):",
    ]


def test_deterministic_under_seed_and_varies_across_seeds() -> None:
    source = textwrap.dedent(inspect.getsource(heapq.nsmallest))
    first = mutate_function(source, rng=random.Random(11), max_mutants=6)
    again = mutate_function(source, rng=random.Random(11), max_mutants=6)
    other = mutate_function(source, rng=random.Random(12), max_mutants=6)
    assert first == again
    assert len(first) == 6
    assert first != other


def test_real_stdlib_module_functions() -> None:
    from codelewm.code.functions import iter_functions

    text = inspect.getsource(heapq)
    total = 0
    for span in iter_functions(text):
        canonical = canonical_source(span.source)
        for mutant in mutate_function(span.source, rng=random.Random(span.qualname)):
            ast.parse(mutant.code)
            assert mutant.code != canonical
            total += 1
    assert total > 100


def test_unparsable_source_is_a_typed_error() -> None:
    with pytest.raises(ParseFailureError):
        mutate_function("def broken(:\n", rng=random.Random(0))


def test_no_sites_no_mutants() -> None:
    assert mutate_function("def f():\n    pass\n", rng=random.Random(0)) == []
