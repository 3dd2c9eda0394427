"""Function-level edits between two versions of one file (git commits, ruff fixes, releases).

A function is edited when it exists on both sides (same qualified name, as `code.functions.
iter_functions` names them: top-level functions and methods; nested functions belong to their
enclosing function) and its source changed. Edits whose AST is unchanged are skipped as
`format_only` (layout or comments); edits whose AST differs only in docstrings as `docstring_only`.
Added and removed functions are counted, not paired. A bulk edit (reformatting, renames across a
file) touches more than `bulk.fraction` of a file's functions; when the file has at least
`bulk.min_functions` functions and `bulk.min_touched` of them changed, every edit of that file is
skipped as `bulk_edit`.

Each side is parsed once and compared by source slices first, so large files with small edits are
cheap (this runs for every changed file of every commit).
"""

from __future__ import annotations

import ast
import textwrap
from collections import Counter
from dataclasses import dataclass
from typing import Any

_Def = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class FunctionEdit:
    qualname: str
    before: str  # dedented source, decorators included
    after: str
    start_line: int  # of the before, 1-based, inclusive (first decorator line)
    end_line: int


@dataclass(frozen=True)
class FileEdits:
    module: ast.Module  # the parsed before-file (for capsules)
    edits: list[FunctionEdit]


@dataclass(frozen=True)
class BulkRule:
    fraction: float = 0.3
    min_functions: int = 4
    min_touched: int = 3


@dataclass(frozen=True)
class _Function:
    node: _Def
    raw: str
    start: int
    end: int


@dataclass(frozen=True)
class ParsedFile:
    """A file parsed once; callers may cache it (e.g. by blob id) and pass it to `file_edits`."""

    module: ast.Module
    functions: dict[str, _Function]


def parse_file(text: str) -> ParsedFile | None:
    """The parsed file, or None when it does not parse."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError):  # ValueError: null bytes
        return None
    return ParsedFile(module, _functions(module, text))


def file_edits(
    before_file: str | ParsedFile | None,
    after_file: str | ParsedFile | None,
    skipped: Counter[str],
    *,
    bulk: BulkRule | None = None,
) -> FileEdits | None:
    """Edited functions of one file, or None (counted) when a side does not parse (None = did not)."""
    parsed = parse_file(before_file) if isinstance(before_file, str) else before_file
    if parsed is None:
        skipped["unparseable_before_file"] += 1
        return None
    parsed_after = parse_file(after_file) if isinstance(after_file, str) else after_file
    if parsed_after is None:
        skipped["unparseable_after_file"] += 1
        return None
    module, before, after = parsed.module, parsed.functions, parsed_after.functions
    _count(skipped, "function_added", len(after.keys() - before.keys()))
    _count(skipped, "function_removed", len(before.keys() - after.keys()))
    touched = [name for name in before if name in after and before[name].raw != after[name].raw]
    if bulk is not None and _is_bulk(len(before), len(touched), bulk):
        _count(skipped, "bulk_edit", len(touched))
        return FileEdits(module, [])
    edits = []
    for name in touched:
        old, new = before[name], after[name]
        reason = _trivial_reason(old.node, new.node)
        if reason is not None:
            skipped[reason] += 1
            continue
        before_src, after_src = textwrap.dedent(old.raw), textwrap.dedent(new.raw)
        edits.append(FunctionEdit(name, before_src, after_src, old.start, old.end))
    return FileEdits(module, edits)


def _functions(module: ast.Module, text: str) -> dict[str, _Function]:
    """qualname -> function; a name defined twice keeps its last definition (as Python does)."""
    lines = text.splitlines(keepends=True)
    found: dict[str, _Function] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                end = node.end_lineno or node.lineno
                raw = "".join(lines[start - 1 : end])
                found[f"{prefix}{node.name}"] = _Function(node, raw, start, end)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(module.body, "")
    return found


def _is_bulk(n_functions: int, n_touched: int, rule: BulkRule) -> bool:
    return (
        n_functions >= rule.min_functions
        and n_touched >= rule.min_touched
        and n_touched > rule.fraction * n_functions
    )


def _trivial_reason(before: _Def, after: _Def) -> str | None:
    """`format_only` / `docstring_only` for edits that change no code, else None."""
    if same_code(before, after):
        return "format_only"
    if same_code(before, after, ignore_docstrings=True):
        return "docstring_only"
    return None


def same_code(a: ast.AST, b: ast.AST, *, ignore_docstrings: bool = False) -> bool:
    """Whether two trees are equal as code (what `ast.dump` compares, positions ignored), optionally
    ignoring every docstring; stops at the first difference."""
    if type(a) is not type(b):
        return False
    strip = ignore_docstrings and isinstance(
        a, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    )
    for name in a._fields:
        x: Any = getattr(a, name, None)
        y: Any = getattr(b, name, None)
        if strip and name == "body":
            x, y = _without_docstring(x), _without_docstring(y)
        if isinstance(x, list):
            if not isinstance(y, list) or len(x) != len(y):
                return False
            if not all(_same_value(u, v, ignore_docstrings) for u, v in zip(x, y, strict=True)):
                return False
        elif not _same_value(x, y, ignore_docstrings):
            return False
    return True


def _same_value(x: object, y: object, ignore_docstrings: bool) -> bool:
    if isinstance(x, ast.AST):
        return isinstance(y, ast.AST) and same_code(x, y, ignore_docstrings=ignore_docstrings)
    return type(x) is type(y) and x == y


def _without_docstring(body: list[ast.stmt] | None) -> list[ast.stmt]:
    body = body or []
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1:]
    return body


def _count(skipped: Counter[str], reason: str, n: int) -> None:
    if n:
        skipped[reason] += n
