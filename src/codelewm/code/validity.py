"""Static validity of a candidate after-state: does it parse, which names are undefined. Nothing runs.

`ast.parse` compiles nothing and pyflakes only walks the tree, so untrusted code is never executed.
Hostile shapes are contained: NUL bytes, inputs over `MAX_CHECK_CHARS`, and nesting deep enough to
exhaust the parser (RecursionError, MemoryError) give `parses=False` with a reason; a tree that
parses but is too deep for pyflakes keeps `parses=True` with no names and says the check was skipped.
"""

from __future__ import annotations

import ast
import functools
import warnings
from dataclasses import dataclass
from typing import Final

from pyflakes import checker, messages

from codelewm.records import Validity

MAX_CHECK_CHARS: Final = 2_000_000


@dataclass(frozen=True)
class StaticCheck:
    """The validity and, when it is not the whole story, why."""

    validity: Validity
    reason: str | None = None  # why it does not parse, or why the name check was skipped


def check_validity(code: str, *, filename: str = "<candidate>") -> Validity:
    """`Validity` of a full after-state (`applies=True`; a patch that did not apply has no code)."""
    return static_check(code, filename=filename).validity


def static_check(code: str, *, filename: str = "<candidate>") -> StaticCheck:
    """Parse `code` and collect its undefined names (pyflakes `UndefinedName`, first use order).

    Memoised by (code, filename): one rerank asks for a candidate's validity when it loads it, for the
    validity baseline and for the result; pyflakes is the slowest part of the harness. Each caller gets
    its own copy of the (mutable) `Validity`.
    """
    found = _static_check(code, filename)
    return StaticCheck(found.validity.model_copy(deep=True), found.reason)


@functools.lru_cache(maxsize=2048)
def _static_check(code: str, filename: str) -> StaticCheck:
    if len(code) > MAX_CHECK_CHARS:
        return _unparsable(f"{len(code):,} characters, over the limit of {MAX_CHECK_CHARS:,}")
    try:
        with warnings.catch_warnings():  # e.g. invalid escapes: about the candidate, not for stderr
            warnings.simplefilter("ignore")
            tree = ast.parse(code, filename=filename)
    except SyntaxError as exc:
        return _unparsable(f"SyntaxError: {exc.msg} (line {exc.lineno}, column {exc.offset})")
    except ValueError as exc:  # Python 3.11 reports NUL bytes as ValueError
        return _unparsable(f"ValueError: {exc}")
    except (RecursionError, MemoryError) as exc:
        return _unparsable(f"{type(exc).__name__}: nested too deeply to parse")
    try:
        names = undefined_names(tree, filename=filename)
    except (RecursionError, MemoryError) as exc:
        return StaticCheck(
            Validity(parses=True, applies=True),
            reason=f"undefined-name check skipped: {type(exc).__name__} (nested too deeply)",
        )
    return StaticCheck(Validity(parses=True, applies=True, undefined_names=names))


def undefined_names(tree: ast.Module, *, filename: str = "<candidate>") -> list[str]:
    """Names pyflakes reports as undefined, each once, in the order of their first use."""
    found = checker.Checker(tree, filename=filename, withDoctest=False)  # not PYFLAKES_DOCTEST
    reports = sorted(
        (m for m in found.messages if isinstance(m, messages.UndefinedName)),
        key=lambda m: (m.lineno, m.col),
    )
    return list(dict.fromkeys(str(m.message_args[0]) for m in reports))


def _unparsable(reason: str) -> StaticCheck:
    return StaticCheck(Validity(parses=False, applies=True), reason=reason)
