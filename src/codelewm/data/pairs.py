"""Function-level edits between two versions of one file (git commits, ruff fixes, releases).

A function is edited when it exists on both sides (same qualified name; nested functions belong to
their enclosing function) and its source changed. Changes that leave
`normalise(strip_docstrings(code))` equal are skipped as `docstring_only` (the docstring changed) or
`format_only` (only layout changed). Added and removed functions are counted, not paired. A bulk edit
(reformatting, renames across a file) touches more than `bulk_fraction` of a file's functions; when
the file has at least `bulk_min_functions` functions and `bulk_min_touched` of them changed, every
edit of that file is skipped as `bulk_edit`.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass

from codelewm.code.functions import FunctionSpan, functions_by_name, normalise, strip_docstrings
from codelewm.errors import ParseFailureError


@dataclass(frozen=True)
class FunctionEdit:
    qualname: str
    before: str
    after: str


@dataclass(frozen=True)
class FileEdits:
    module: ast.Module  # the parsed before-file (for capsules)
    edits: list[FunctionEdit]


@dataclass(frozen=True)
class BulkRule:
    fraction: float = 0.3
    min_functions: int = 4
    min_touched: int = 3


def file_edits(
    before_text: str,
    after_text: str,
    skipped: Counter[str],
    *,
    bulk: BulkRule | None = None,
) -> FileEdits | None:
    """Edited functions of one file, or None (counted) when a side does not parse."""
    try:
        module = ast.parse(before_text)
        before = functions_by_name(before_text)
    except (SyntaxError, ValueError, ParseFailureError):
        skipped["unparseable_before_file"] += 1
        return None
    try:
        after = functions_by_name(after_text)
    except ParseFailureError:
        skipped["unparseable_after_file"] += 1
        return None
    _count(skipped, "function_added", len(after.keys() - before.keys()))
    _count(skipped, "function_removed", len(before.keys() - after.keys()))
    touched = [name for name in before if name in after and _changed(before[name], after[name])]
    if bulk is not None and _is_bulk(len(before), len(touched), bulk):
        _count(skipped, "bulk_edit", len(touched))
        return FileEdits(module, [])
    edits = []
    for name in touched:
        reason = _trivial_reason(before[name].source, after[name].source)
        if reason is not None:
            skipped[reason] += 1
            continue
        edits.append(FunctionEdit(name, before[name].source, after[name].source))
    return FileEdits(module, edits)


def _changed(before: FunctionSpan, after: FunctionSpan) -> bool:
    return before.source != after.source


def _is_bulk(n_functions: int, n_touched: int, rule: BulkRule) -> bool:
    return (
        n_functions >= rule.min_functions
        and n_touched >= rule.min_touched
        and n_touched > rule.fraction * n_functions
    )


def _trivial_reason(before: str, after: str) -> str | None:
    """`docstring_only` / `format_only` for edits that change no code, else None."""
    try:
        if normalise(strip_docstrings(before)) != normalise(strip_docstrings(after)):
            return None
    except (SyntaxError, ValueError):
        return None
    return "format_only" if normalise(before) == normalise(after) else "docstring_only"


def _count(skipped: Counter[str], reason: str, n: int) -> None:
    if n:
        skipped[reason] += n
