"""Runnable checks mined from a docstring or an instruction: the examples it already gives.

Nothing here runs code: it only turns text into checks that the sandbox can run later (opt-in
execution, and build-time labelling of training pools). What is mined:

- doctest blocks (`>>> call(...)` with the expected output below), parsed by the standard library's
  `doctest.DocTestParser`; compared the way doctest compares (`ELLIPSIS`, `NORMALIZE_WHITESPACE`);
- example lines `f(x) == y`, `f(x) -> y`, `f(x) => y`, `f(x) ➞ y`, `f(x) → y` (also after a bullet or
  "Example:"), when the left side is a call of the entry point and the right side is a Python
  literal: checked as `f(x) == y`;
- `assert ...` lines that call the entry point (MBPP / HumanEval style).

Each check is one `Example`; `check_program` renders a list of them as a test module that runs every
example on its own and counts the (the `unittest` test kind: one test per example), so a caller gets the fraction passed,
not only pass/fail.
"""

from __future__ import annotations

import ast
import doctest
import json
import re
from dataclasses import dataclass
from typing import Final, Literal

from codelewm.code.functions import defined_functions, docstrings

#: `probe` (code/probes.py) is no check: it only shows what the candidate returns on an input
ExampleKind = Literal["doctest", "arrow", "assert", "probe"]
MAX_EXAMPLES: Final = 50
MAX_EXAMPLE_CHARS: Final = 2_000

_ARROWS: Final = ("==", "->", "=>", "➞", "→")
_LEAD = re.compile(
    r"^\s*(?:[-*•]\s+|\d+[.)]\s+|(?:e\.g\.|for example|example\s*\d*)\s*[:,]?\s*)?", re.IGNORECASE
)


@dataclass(frozen=True)
class Example:
    """One runnable check: `source` is Python; for a doctest, `want` is the expected output."""

    kind: ExampleKind
    source: str
    want: str | None = None
    line: int = 0

    def describe(self) -> str:
        shown = self.source.strip().splitlines()[0] if self.source.strip() else ""
        return f"{shown} -> {self.want.strip()}" if self.want is not None else shown


def mine_examples(text: str, entry_point: str | None = None) -> list[Example]:
    """Every check `text` gives (see the module docstring), in order, at most `MAX_EXAMPLES`.

    With `entry_point`, arrow and assert lines must call it; doctests are kept as written (they may
    set up names first)."""
    found = _doctests(text)
    doctest_lines = {e.line for e in found}
    for number, raw in enumerate(text.splitlines()):
        if number in doctest_lines or raw.lstrip().startswith(("...", ">>>")):
            continue
        example = _assert_line(raw, entry_point, number) or _arrow_line(raw, entry_point, number)
        if example is not None:
            found.append(example)
    found.sort(key=lambda e: e.line)
    unique: dict[tuple[str, str | None], Example] = {}
    for example in found:
        unique.setdefault((example.source, example.want), example)
    return list(unique.values())[:MAX_EXAMPLES]


def examples_for(before: str, instruction: str | None) -> list[Example]:
    """The checks the instruction and the before's docstrings already give (`code.examples`),
    for the functions the before defines (any call when it defines none)."""
    names: list[str | None] = [*defined_functions(before)] or [None]
    found: list[Example] = []
    for text in (instruction or "", *docstrings(before)):
        for name in names:
            found += [e for e in mine_examples(text, name) if e not in found]
    return found


def _doctests(text: str) -> list[Example]:
    try:
        parsed = doctest.DocTestParser().get_examples(text)
    except ValueError:  # inconsistent indentation in the docstring: no doctest to trust
        return []
    return [
        Example(kind="doctest", source=e.source, want=e.want, line=e.lineno)
        for e in parsed
        if len(e.source) <= MAX_EXAMPLE_CHARS
    ]


def _calls(node: ast.expr, entry_point: str | None) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if entry_point is None or name == entry_point:
                return True
    return False


def _assert_line(raw: str, entry_point: str | None, number: int) -> Example | None:
    line = _LEAD.sub("", raw, count=1).strip()
    if not line.startswith("assert ") or len(line) > MAX_EXAMPLE_CHARS:
        return None
    try:
        tree = ast.parse(line)
    except (SyntaxError, ValueError):
        return None
    node = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(node, ast.Assert) or not _calls(node.test, entry_point):
        return None
    return Example(kind="assert", source=ast.unparse(node), line=number)


def _arrow_line(raw: str, entry_point: str | None, number: int) -> Example | None:
    line = _LEAD.sub("", raw, count=1).strip().rstrip(".;,")
    if not line or len(line) > MAX_EXAMPLE_CHARS or "(" not in line:
        return None
    for arrow in _ARROWS:
        position = line.find(arrow)
        while position > 0:
            left, right = line[:position].strip(), line[position + len(arrow) :].strip()
            if entry_point is not None and f"{entry_point}(" in left:  # prose before the call
                left = left[left.rfind(f"{entry_point}(") :]
            example = _checked(left, right, entry_point, number)
            if example is not None:
                return example
            position = line.find(arrow, position + 1)
    return None


def _checked(left: str, right: str, entry_point: str | None, number: int) -> Example | None:
    try:
        call = ast.parse(left, mode="eval").body
        expected = ast.parse(right, mode="eval").body
        ast.literal_eval(expected)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(call, ast.Call) or not _calls(call, entry_point):
        return None
    source = f"assert {ast.unparse(call)} == {ast.unparse(expected)}"
    return Example(kind="arrow", source=source, line=number)


OUTPUT_MARKER: Final = "@@codelewm-output@@"
MAX_OUTPUT_REPR: Final = 200


def probe_of(example: Example) -> str | None:
    """The expression whose value an example checks (`f(x)` of `assert f(x) == y`, a doctest's
    expression), for behaviour clusters; None when there is none."""
    try:
        tree = ast.parse(example.source.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(tree.body) != 1:
        return None
    node = tree.body[0]
    if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare):
        return ast.unparse(node.test.left)
    if isinstance(node, ast.Assert):
        return ast.unparse(node.test)
    if isinstance(node, ast.Expr):
        return ast.unparse(node.value)
    return None


def check_program(examples: list[Example]) -> str:
    """A `unittest`-kind test module with one test per example, run in the candidate's namespace:
    the sandbox's `tests_run` / `failures` / `errors` then say how many examples passed, and an
    example that raises fails only itself. Each test also prints `OUTPUT_MARKER` + JSON
    `[index, repr(value)]` of the example's probe (what the candidate returned on that input, or
    the exception's type), which `outputs_of` reads back for behaviour clusters."""
    payload = json.dumps([[e.kind, e.source, e.want, probe_of(e)] for e in examples])
    return f"""
import doctest as _doctest, json as _json, unittest as _unittest

_NAMESPACE = globals()


def _probe(index, probe):
    if probe is None:
        return
    try:
        shown = repr(eval(compile(probe, "<probe>", "eval"), dict(_NAMESPACE)))[:{MAX_OUTPUT_REPR}]
    except BaseException as exc:  # the behaviour on this input is the exception
        shown = "raised " + type(exc).__name__
    print({OUTPUT_MARKER!r} + _json.dumps([index, shown]), flush=True)


def _example_test(index, kind, source, want, probe):
    def test(self):
        _probe(index, probe)
        if kind == "doctest":
            test = _doctest.DocTest(
                [_doctest.Example(source, want)], dict(_NAMESPACE), "example", None, 0, None
            )
            runner = _doctest.DocTestRunner(
                optionflags=_doctest.ELLIPSIS | _doctest.NORMALIZE_WHITESPACE, verbose=False
            )
            runner.run(test, out=lambda text: None)
            self.assertEqual(runner.failures, 0, source)
        elif kind != "probe":
            exec(compile(source, "<example>", "exec"), dict(_NAMESPACE))
    return test


class CodelewmExamples(_unittest.TestCase):
    pass


for _index, (_kind, _source, _want, _probe_source) in enumerate(_json.loads({payload!r})):
    setattr(
        CodelewmExamples,
        f"test_example_{{_index:03d}}",
        _example_test(_index, _kind, _source, _want, _probe_source),
    )
"""


def outputs_of(stdout: str, n: int) -> tuple[str, ...] | None:
    """What a candidate returned on each example's input (`check_program`'s output lines), as one
    behaviour signature; None when the run printed none (it did not get that far)."""
    found: dict[int, str] = {}
    for line in stdout.splitlines():
        if line.startswith(OUTPUT_MARKER):
            try:
                index, shown = json.loads(line[len(OUTPUT_MARKER) :])
            except (ValueError, TypeError):
                continue
            if isinstance(index, int) and 0 <= index < n and isinstance(shown, str):
                found.setdefault(index, shown)
    if not found:
        return None
    return tuple(found.get(i, "missing") for i in range(n))


def passed_fraction(
    tests_run: int | None, failures: int | None, errors: int | None
) -> float | None:
    """The fraction of examples a `check_program` run passed (None when it ran none)."""
    if not tests_run:
        return None
    return max(0, tests_run - (failures or 0) - (errors or 0)) / tests_run
