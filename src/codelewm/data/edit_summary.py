"""Abstract descriptions of a function edit, built from AST differences — never from inserted code.

Release pairs carry no per-change text, so their action is a description such as
"modify `parse`: add a condition; add a keyword argument to a call; 3 lines changed". Each AST node
kind that matters to a reader has a tag; the description says which tags were added or removed (by
count) or changed (same count, different code), in a fixed order, plus signature changes and the
number of changed lines. Only the function's own name is quoted.
"""

from __future__ import annotations

import ast
import textwrap
from collections import Counter

from codelewm.data.filters import changed_lines

# (node types, singular phrase); order = the order of clauses in a description.
_TAGS: tuple[tuple[tuple[type[ast.AST], ...], str], ...] = (
    ((ast.If, ast.IfExp), "condition"),
    ((ast.For, ast.AsyncFor, ast.While), "loop"),
    ((ast.Try,), "try block"),
    ((ast.ExceptHandler,), "exception handler"),
    ((ast.Raise,), "raise"),
    ((ast.keyword,), "keyword argument"),
    ((ast.With, ast.AsyncWith), "with block"),
    ((ast.Assert,), "assertion"),
    ((ast.Call,), "call"),
    ((ast.Assign, ast.AugAssign, ast.AnnAssign), "assignment"),
    ((ast.Return,), "return"),
    ((ast.Compare,), "comparison"),
    ((ast.BoolOp,), "boolean operator"),
    ((ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp), "comprehension"),
    ((ast.Lambda,), "lambda"),
    ((ast.Yield, ast.YieldFrom), "yield"),
    ((ast.Await,), "await"),
    ((ast.Import, ast.ImportFrom), "import"),
    ((ast.JoinedStr,), "f-string"),
)
_MAX_CLAUSES = 4


def _function(code: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    try:
        tree = ast.parse(textwrap.dedent(code))
    except (SyntaxError, ValueError):
        return None
    node = tree.body[0] if tree.body else None
    return node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None


def _tagged(node: ast.AST) -> dict[str, list[str]]:
    """tag -> unparsed code of every node with that tag (docstring-free body and signature)."""
    found: dict[str, list[str]] = {}
    for sub in ast.walk(node):
        for types, tag in _TAGS:
            if isinstance(sub, types):
                found.setdefault(tag, []).append(_text(sub))
    return found


def _text(node: ast.AST) -> str:
    """The code that identifies a node: a compound statement by its header only, so an edit inside
    a block is not also reported as a change of the block."""
    if isinstance(node, ast.If | ast.While):
        return ast.unparse(node.test)
    if isinstance(node, ast.For | ast.AsyncFor):
        return f"{ast.unparse(node.target)} in {ast.unparse(node.iter)}"
    if isinstance(node, ast.With | ast.AsyncWith):
        return ", ".join(ast.unparse(item) for item in node.items)
    if isinstance(node, ast.Try):
        return str(len(node.handlers))
    if isinstance(node, ast.ExceptHandler):
        return ast.unparse(node.type) if node.type is not None else ""
    return ast.unparse(node)


def _body(node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Module:
    body = node.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    return ast.Module(body=body, type_ignores=[])


def _one(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _plural(word: str) -> str:
    if word.endswith("s"):
        return word + "es"
    return word + "s"


def _tag_clauses(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    clauses = []
    for _, tag in _TAGS:
        old, new = before.get(tag, []), after.get(tag, [])
        delta = len(new) - len(old)
        if delta > 0:
            clauses.append(f"add {_one(tag)}" if delta == 1 else f"add {delta} {_plural(tag)}")
        elif delta < 0:
            clauses.append(
                f"remove {_one(tag)}" if delta == -1 else f"remove {-delta} {_plural(tag)}"
            )
        elif Counter(old) != Counter(new):
            changed = sum((Counter(new) - Counter(old)).values())
            clauses.append(
                f"change {_one(tag)}" if changed == 1 else f"change {changed} {_plural(tag)}"
            )
    return clauses


def _signature_clauses(
    before: ast.FunctionDef | ast.AsyncFunctionDef, after: ast.FunctionDef | ast.AsyncFunctionDef
) -> list[str]:
    clauses = []
    old_args = [
        a.arg for a in [*before.args.posonlyargs, *before.args.args, *before.args.kwonlyargs]
    ]
    new_args = [a.arg for a in [*after.args.posonlyargs, *after.args.args, *after.args.kwonlyargs]]
    added, removed = len(set(new_args) - set(old_args)), len(set(old_args) - set(new_args))
    if added:
        clauses.append("add a parameter" if added == 1 else f"add {added} parameters")
    if removed:
        clauses.append("remove a parameter" if removed == 1 else f"remove {removed} parameters")
    if not added and not removed and ast.dump(before.args) != ast.dump(after.args):
        clauses.append("change the parameters")
    if ast.dump(before.returns or ast.Pass()) != ast.dump(after.returns or ast.Pass()):
        clauses.append("change the return annotation")
    if [ast.dump(d) for d in before.decorator_list] != [ast.dump(d) for d in after.decorator_list]:
        clauses.append("change the decorators")
    if ast.get_docstring(before) != ast.get_docstring(after):
        clauses.append("update the docstring")
    return clauses


def describe_edit(before: str, after: str, *, name: str) -> str:
    """ "modify `name`: <up to 4 clauses>; N lines changed" for one function's edit."""
    old, new = _function(before), _function(after)
    clauses: list[str] = []
    if old is not None and new is not None:
        clauses = _signature_clauses(old, new) + _tag_clauses(
            _tagged(_body(old)), _tagged(_body(new))
        )
    if not clauses:
        clauses = ["change an expression"]
    lines = changed_lines(before, after)
    tail = f"{lines} line changed" if lines == 1 else f"{lines} lines changed"
    return f"modify `{name}`: " + "; ".join([*clauses[:_MAX_CLAUSES], tail])
