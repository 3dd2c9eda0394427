"""Find functions in Python source with `ast`: qualified names, exact source segments, signatures.

Torch-free and I/O-free: callers pass text. Used by every data source (function-level before/after),
by the eval pool builders and by the scoring harness.
"""

from __future__ import annotations

import ast
import hashlib
import textwrap
from dataclasses import dataclass

from codelewm.errors import ParseFailureError

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class FunctionSpan:
    """One function or method as it stands in its file."""

    qualname: (
        str  # e.g. "Parser.parse", "outer.<locals>.inner" is reported as its enclosing "outer"
    )
    source: str  # dedented source, decorators included
    start_line: int  # 1-based, first decorator line
    end_line: int  # 1-based, inclusive
    class_name: str | None
    docstring: str | None
    signature: str  # "def name(args) -> ret:" as unparsed by ast


def parse_module(text: str, *, filename: str = "<string>") -> ast.Module:
    """Parse `text` or raise ParseFailureError with the location."""
    try:
        return ast.parse(text, filename=filename)
    except (SyntaxError, ValueError) as exc:  # ValueError: null bytes
        raise ParseFailureError(f"{filename} does not parse: {exc}") from exc


def iter_functions(text: str, *, filename: str = "<string>") -> list[FunctionSpan]:
    """Top-level functions and methods (of top-level and nested classes). Nested functions stay
    inside their enclosing function, which is the unit of edit."""
    tree = parse_module(text, filename=filename)
    lines = text.splitlines(keepends=True)
    spans: list[FunctionSpan] = []

    def visit(body: list[ast.stmt], prefix: str, class_name: str | None) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                spans.append(_span(node, lines, prefix, class_name))
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.", node.name)

    visit(tree.body, "", None)
    return spans


def _span(
    node: FunctionNode, lines: list[str], prefix: str, class_name: str | None
) -> FunctionSpan:
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    end = node.end_lineno or node.lineno
    source = textwrap.dedent("".join(lines[start - 1 : end]))
    return FunctionSpan(
        qualname=f"{prefix}{node.name}",
        source=source,
        start_line=start,
        end_line=end,
        class_name=class_name,
        docstring=ast.get_docstring(node, clean=True),
        signature=signature_of(node),
    )


def signature_of(node: FunctionNode) -> str:
    keyword = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return f"{keyword} {node.name}({ast.unparse(node.args)}){returns}:"


def functions_by_name(text: str, *, filename: str = "<string>") -> dict[str, FunctionSpan]:
    """qualname -> span; a name defined twice keeps its last definition (as Python does)."""
    return {span.qualname: span for span in iter_functions(text, filename=filename)}


def normalise(code: str) -> str:
    """Formatting-free form used for hashing and dedup: `ast.unparse` without docstrings' layout.

    Falls back to whitespace-stripped lines when the code does not parse.
    """
    try:
        return ast.unparse(ast.parse(textwrap.dedent(code)))
    except (SyntaxError, ValueError):
        return "\n".join(line.strip() for line in code.splitlines() if line.strip())


def normalised_hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode("utf-8", "surrogatepass")).hexdigest()


def strip_docstrings(code: str) -> str:
    """`ast.unparse` of `code` with every docstring removed (to spot docstring-only edits)."""
    tree = ast.parse(textwrap.dedent(code))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            body = node.body
            first = body[0] if body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def defined_functions(text: str) -> list[str]:
    """Names of the top-level functions of `text` (empty when it does not parse)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def docstrings(text: str) -> list[str]:
    """The module's docstring and those of its functions and classes (empty when it does not parse)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, FunctionNode | ast.ClassDef))]
    found = [ast.get_docstring(n) for n in nodes]
    return [d for d in found if d]
