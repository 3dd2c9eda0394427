"""Examples mined from real docstrings and instructions, and run in the sandbox as checks."""

from __future__ import annotations

import fractions
import inspect
import statistics
import textwrap

import pytest

from codelewm.code.examples import check_program, mine_examples, passed_fraction
from codelewm.execution import Limits, TestKind, run_candidate


def test_doctests_of_a_stdlib_function() -> None:
    found = mine_examples(inspect.getdoc(statistics.median) or "", "median")
    assert [(e.kind, e.source.strip(), (e.want or "").strip()) for e in found] == [
        ("doctest", "median([1, 3, 5])", "3"),
        ("doctest", "median([1, 3, 5, 7])", "4.0"),
    ]


def test_a_doctest_that_sets_names_up_is_kept_whole() -> None:
    found = mine_examples(inspect.getdoc(fractions.Fraction.limit_denominator) or "")
    assert found and all(e.kind == "doctest" for e in found)
    assert any("Fraction(" in e.source for e in found)


@pytest.mark.parametrize(
    ("line", "source"),
    [
        ("add(2, 3) -> 5", "assert add(2, 3) == 5"),
        ("  - add(2, 3) ➞ 5.", "assert add(2, 3) == 5"),
        ("Example: add(1, 1) == 2", "assert add(1, 1) == 2"),
        ("1. add(0, 0) → 0", "assert add(0, 0) == 0"),
        ("add([1], [2]) => [1, 2]", "assert add([1], [2]) == [1, 2]"),
        ("assert add(1, 2) == 3", "assert add(1, 2) == 3"),
        ("so that add(1, 2) -> 3", "assert add(1, 2) == 3"),
        ("Sum two numbers; add(4, 4) == 8.", "assert add(4, 4) == 8"),
    ],
)
def test_example_lines(line: str, source: str) -> None:
    assert [e.source for e in mine_examples(line, "add")] == [source]


@pytest.mark.parametrize(
    "line",
    [
        "other(2) -> 5",  # not the entry point
        "add(2, 3) -> five",  # the right side is not a literal
        "the result -> 5",
        "assert x == 3",  # does not call the entry point
        "add(2, 3 -> 5",
    ],
)
def test_what_is_not_an_example(line: str) -> None:
    assert mine_examples(line, "add") == []


def test_an_mbpp_style_instruction() -> None:
    text = textwrap.dedent(
        """\
        Write a function to find the shared elements from the given two lists.
        assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))
        """
    )
    (example,) = mine_examples(text, "similar_elements")
    assert example.kind == "assert"


MEDIAN_WRONG = """\
def median(data):
    data = sorted(data)
    n = len(data)
    if n % 2 == 1:
        return data[n // 2]
    return data[n // 2 - 1]
"""


def test_checks_run_in_the_sandbox_and_count_each_example() -> None:
    examples = mine_examples(inspect.getdoc(statistics.median) or "", "median")
    tests = check_program(examples)
    wrong = run_candidate(
        MEDIAN_WRONG, tests=tests, kind=TestKind.UNITTEST, limits=Limits(wall_s=20)
    )
    assert wrong.status == "failed"
    assert passed_fraction(wrong.tests_run, wrong.failures, wrong.errors) == 0.5
    real = run_candidate(
        "from statistics import median\n",
        tests=tests,
        kind=TestKind.UNITTEST,
        limits=Limits(wall_s=20),
    )
    assert real.status == "passed" and real.tests_run == 2


def test_an_example_that_raises_fails_only_itself() -> None:
    examples = mine_examples("f(1) -> 1\nf(0) -> 0\n", "f")
    program = "def f(x):\n    return 1 // x\n"
    result = run_candidate(
        program, tests=check_program(examples), kind=TestKind.UNITTEST, limits=Limits(wall_s=20)
    )
    assert (
        result.tests_run,
        passed_fraction(result.tests_run, result.failures, result.errors),
    ) == (
        2,
        0.5,
    )
