"""Static validity without execution: the code parses and pyflakes finds no undefined name.

This is the definition behind the dev pools' "static validity" baseline (shared/data/README.md).
Nothing here runs candidate code; `scoring` never imports the sandbox.
"""

from __future__ import annotations

import ast
import warnings

from pyflakes import checker, messages


def undefined_names(code: str) -> list[str] | None:
    """Names pyflakes reports undefined, or None when the code does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes in candidates
            tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    found = checker.Checker(tree, filename="<candidate>")
    return sorted(
        {
            str(message.message_args[0])
            for message in found.messages
            if isinstance(message, messages.UndefinedName)
        }
    )


def is_statically_valid(code: str) -> bool:
    """Parses, and no undefined names."""
    names = undefined_names(code)
    return names is not None and not names
