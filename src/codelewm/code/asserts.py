"""Assert-style tests out of an LLM's answer (CodeT): `assert f(<literals>) == <literal>`, nothing else.

Untrusted text in, nothing run. An answer's candidate lines are the lines of its Markdown fences
(```python or bare ```) when it has any, else every line that starts with `assert` (the prose around
is not a test and is not counted). A fenced block is parsed whole when it parses, so a statement
split over lines is read as one; a block that does not parse is read line by line. Each statement is
kept only when it is exactly `assert <entry_point>(<literal args>) == <literal>` (an optional
assert message is dropped); everything else is discarded and counted by `DiscardReason`. Kept tests
are normalized with `ast.unparse`, so the same test written twice is a duplicate.

Literal arguments and a literal expected value keep a test self-contained: it names no helper, no
import and no other function, so it can only call the entry point.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

DiscardReason = Literal[
    "syntax_error",
    "not_an_assert",
    "not_an_equality",
    "wrong_entry_point",
    "non_literal_argument",
    "non_literal_expected",
    "too_long",
    "duplicate",
    "over_limit",
]
MAX_TEST_CHARS: Final = 1_000
MAX_TESTS: Final = 100

_FENCE = re.compile(
    r"^[ \t]*```[ \t]*([A-Za-z0-9_+\-]*)[ \t]*\n(.*?)^[ \t]*```[ \t]*$", re.M | re.S
)
_CODE_FENCES: Final = frozenset({"", "python", "py", "python3", "pycon"})
_REASONS: Final = frozenset(get_args(DiscardReason))


@dataclass
class AssertExtraction:
    """The tests an answer offers and why the rest were discarded."""

    tests: list[str] = field(default_factory=list)
    discarded: Counter[str] = field(default_factory=Counter)
    fenced: bool = False


def check_assert(source: str, entry_point: str) -> str | DiscardReason:
    """The normalized test when `source` is one `assert entry_point(...) == literal`, else why not."""
    if len(source) > MAX_TEST_CHARS:
        return "too_long"
    try:
        tree = ast.parse(source.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "syntax_error"
    if len(tree.body) != 1:
        return "not_an_assert"
    return _checked_statement(tree.body[0], entry_point)


def extract_asserts(
    text: str, entry_point: str, *, seen: set[str] | None = None, limit: int = MAX_TESTS
) -> AssertExtraction:
    """The tests of one answer (see the module doc); `seen` carries tests already kept by earlier
    answers of the same task, so a repeat counts as `duplicate` (it is updated in place)."""
    kept = seen if seen is not None else set()
    out = AssertExtraction()
    blocks = [body for lang, body in _FENCE.findall(text) if lang.lower() in _CODE_FENCES]
    out.fenced = bool(_FENCE.search(text))
    results: list[str] = []
    if out.fenced:
        for block in blocks:
            results += _block_results(block, entry_point)
    else:
        results = [
            _line_result(line, entry_point)
            for line in text.splitlines()
            if line.strip().startswith("assert")
        ]
    for result in results:
        if result in _REASONS:
            out.discarded[result] += 1
        elif result in kept:
            out.discarded["duplicate"] += 1
        elif len(kept) >= limit:
            out.discarded["over_limit"] += 1
        else:
            kept.add(result)
            out.tests.append(result)
    return out


def _block_results(block: str, entry_point: str) -> list[str]:
    try:
        tree = ast.parse(block)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [
            _line_result(line, entry_point)
            for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
    out = []
    for node in tree.body:
        segment = ast.get_source_segment(block, node) or ""
        if len(segment) > MAX_TEST_CHARS:
            out.append("too_long")
        else:
            out.append(_checked_statement(node, entry_point))
    return out


def _line_result(line: str, entry_point: str) -> str:
    stripped = line.strip()
    if not stripped.startswith("assert"):
        return "not_an_assert"
    return check_assert(stripped, entry_point)


def _checked_statement(node: ast.stmt, entry_point: str) -> str | DiscardReason:
    if not isinstance(node, ast.Assert):
        return "not_an_assert"
    test = node.test
    if not (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and isinstance(test.left, ast.Call)
    ):
        return "not_an_equality"
    call = test.left
    if not (isinstance(call.func, ast.Name) and call.func.id == entry_point):
        return "wrong_entry_point"
    arguments = [*call.args, *(k.value for k in call.keywords)]
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return "non_literal_argument"
    if not all(_literal(a) for a in arguments):
        return "non_literal_argument"
    if not _literal(test.comparators[0]):
        return "non_literal_expected"
    return ast.unparse(ast.Assert(test=test, msg=None))


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


__all__ = [
    "MAX_TESTS",
    "MAX_TEST_CHARS",
    "AssertExtraction",
    "DiscardReason",
    "check_assert",
    "extract_asserts",
]
