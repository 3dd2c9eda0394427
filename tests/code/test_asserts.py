"""The CodeT extractor keeps only `assert f(<literals>) == <literal>` out of realistic LLM answers."""

from __future__ import annotations

from codelewm.code.asserts import check_assert, extract_asserts

FENCED = """Sure! Here are some tests for `moving_average`:

```python
import pytest

assert moving_average([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]
assert moving_average([1,2,3], 3) == [2.0], "one window"
assert median([1, 2, 3]) == 2
assert moving_average(values, 2) == [1.0]
assert moving_average([1], 1) == sorted([1])
assert moving_average([1], 1)
assert moving_average(
    [4, 4], 1
) == [4.0, 4.0]
```

These cover the last full window.
"""


def test_a_fenced_answer_keeps_only_the_entry_points_literal_asserts() -> None:
    found = extract_asserts(FENCED, "moving_average")
    assert found.fenced is True
    assert found.tests == [
        "assert moving_average([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]",
        "assert moving_average([1, 2, 3], 3) == [2.0]",  # normalized, message dropped
        "assert moving_average([4, 4], 1) == [4.0, 4.0]",  # a statement over three lines
    ]
    assert dict(found.discarded) == {
        "not_an_assert": 1,  # the import
        "wrong_entry_point": 1,  # median
        "non_literal_argument": 1,  # `values`
        "non_literal_expected": 1,  # sorted([1])
        "not_an_equality": 1,  # a bare truth test
    }


def test_prose_without_a_fence_gives_its_assert_lines_and_nothing_else() -> None:
    text = (
        "I would test it like this:\n"
        "assert moving_average([0, 0], 1) == [0.0, 0.0]\n"
        "assert len(moving_average([1, 2, 3], 2)) == 2\n"
        "assertions like these check the window.\n"
        "The function returns a list.\n"
    )
    found = extract_asserts(text, "moving_average")
    assert found.fenced is False
    assert found.tests == ["assert moving_average([0, 0], 1) == [0.0, 0.0]"]
    # `len(...)` calls another function; "assertions like ..." starts with `assert` but is prose
    assert dict(found.discarded) == {"wrong_entry_point": 1, "syntax_error": 1}


def test_a_block_with_a_syntax_error_is_read_line_by_line() -> None:
    text = (
        "```python\n"
        "assert moving_average([1, 2, 3], 2 == [1.5, 2.5]\n"
        "assert moving_average([2, 4], 2) == [3.0]\n"
        "# a comment\n"
        "def helper():\n"
        "```\n"
    )
    found = extract_asserts(text, "moving_average")
    assert found.tests == ["assert moving_average([2, 4], 2) == [3.0]"]
    assert dict(found.discarded) == {"syntax_error": 1, "not_an_assert": 1}


def test_a_fence_of_another_language_and_repeats_across_answers() -> None:
    seen: set[str] = set()
    first = extract_asserts("```\nassert f(1) == 2\n```\n", "f", seen=seen)
    assert first.tests == ["assert f(1) == 2"]
    again = extract_asserts(
        "```text\nassert f(3) == 4\n```\n```python\nassert f(1)==2\nassert f(x=-1) == -2\n```",
        "f",
        seen=seen,
    )
    assert again.tests == ["assert f(x=-1) == -2"]  # the ```text fence is not code
    assert dict(again.discarded) == {"duplicate": 1}


def test_a_limit_and_a_wrong_name_everywhere() -> None:
    text = "\n".join(f"assert g({i}) == {i}" for i in range(5))
    assert extract_asserts(text, "f").tests == []
    limited = extract_asserts(text, "g", limit=3)
    assert len(limited.tests) == 3 and dict(limited.discarded) == {"over_limit": 2}


def test_check_assert_refuses_anything_that_could_do_more_than_call_the_entry_point() -> None:
    assert check_assert("assert f(1, 'a', (2, None)) == {'k': [1]}", "f") == (
        "assert f(1, 'a', (2, None)) == {'k': [1]}"
    )
    assert check_assert("assert f(*[1]) == 1", "f") == "non_literal_argument"
    assert check_assert("assert f(__import__('os')) == 1", "f") == "non_literal_argument"
    assert check_assert("assert os.system('x') == 0", "f") == "wrong_entry_point"
    assert check_assert("assert f(1) == 1; import os", "f") == "not_an_assert"
    assert check_assert("assert f(1) != 1", "f") == "not_an_equality"
    assert check_assert("assert 1 == f(1)", "f") == "not_an_equality"
    assert check_assert("assert f(1) == 1 == 1", "f") == "not_an_equality"
    assert check_assert("assert f(" + "1, " * 600 + ") == 1", "f") == "too_long"
