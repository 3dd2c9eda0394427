"""Static validity on real snippets: undefined names, clean code, syntax errors, hostile shapes."""

from __future__ import annotations

import inspect
import textwrap
import warnings
from pathlib import Path

from codelewm.code.validity import MAX_CHECK_CHARS, check_validity, static_check
from codelewm.records import Validity

CLEAN = """\
import os
from collections import Counter


class Tally:
    def __init__(self, items):
        self.counts = Counter(items)

    def top(self, n=1):
        return [k for k, _ in self.counts.most_common(n)]


def walk(root):
    global seen
    seen = set()
    for dirpath, _dirs, files in os.walk(root):
        seen.update(os.path.join(dirpath, f) for f in files)
    return sorted(seen), __name__, len(seen)
"""


def test_clean_code_has_no_undefined_names() -> None:
    assert check_validity(CLEAN) == Validity(parses=True, applies=True, undefined_names=[])
    assert static_check(CLEAN).reason is None


def test_real_stdlib_function_with_its_module_is_clean() -> None:
    source = inspect.getsource(textwrap)
    assert check_validity(source).undefined_names == []


def test_undefined_names_once_each_in_order_of_first_use() -> None:
    code = "def f(xs):\n    total = helper(xs)\n    return totl + helper(xs) + math.pi\n"
    assert check_validity(code) == Validity(
        parses=True, applies=True, undefined_names=["helper", "totl", "math"]
    )


def test_a_real_function_lifted_out_of_its_module_misses_its_globals() -> None:
    source = textwrap.dedent(inspect.getsource(textwrap.dedent))
    assert check_validity(source).undefined_names == [
        "_whitespace_only_re",
        "_leading_whitespace_re",
        "re",
    ]


def test_syntax_error_does_not_parse() -> None:
    check = static_check("def f(:\n    return 1\n")
    assert check.validity == Validity(parses=False, applies=True)
    assert check.reason == "SyntaxError: invalid syntax (line 1, column 7)"


def test_null_bytes_do_not_parse() -> None:
    check = static_check("x = 1\x00\n")
    assert check.validity.parses is False
    assert check.reason is not None and "null bytes" in check.reason


def test_nesting_too_deep_for_the_parser() -> None:
    check = static_check("x = " + "+".join(["a"] * 5000))
    assert check.validity.parses is False
    assert check.reason == "RecursionError: nested too deeply to parse"
    check = static_check("x = " + "-" * 100_000 + "1")
    assert check.validity.parses is False
    assert check.reason == "MemoryError: nested too deeply to parse"


def test_nesting_too_deep_for_pyflakes_keeps_parses() -> None:
    check = static_check("x = " + "+".join(["a"] * 600))
    assert check.validity == Validity(parses=True, applies=True, undefined_names=[])
    assert check.reason == "undefined-name check skipped: RecursionError (nested too deeply)"


def test_huge_input_is_not_parsed() -> None:
    check = static_check("#" * (MAX_CHECK_CHARS + 1))
    assert check.validity.parses is False
    assert check.reason == "2,000,001 characters, over the limit of 2,000,000"


def test_nothing_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('x')\nimport os\nos.system('touch {marker}')\n"
    assert check_validity(code).parses is True
    assert not marker.exists()


def test_parser_warnings_do_not_escape() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_validity('x = "\\d"\n') == Validity(parses=True, applies=True)
