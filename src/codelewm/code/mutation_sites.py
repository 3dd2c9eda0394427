"""Where a single-point mutation can go: one `Site` per possible edit of a parsed function.

`collect_sites(tree)` walks the tree (skipping annotations, decorators, imports, docstrings and
f-strings) and asks every operator's site maker for the edits it offers at each node. A site is
"set `owner.field = new`"; `code/mutations.py` applies it, unparses the tree and restores it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Site:
    """A candidate edit: set `owner.field = new` (restored after unparsing)."""

    op: str
    owner: ast.AST
    field: str
    new: Any
    anchor: ast.AST  # node whose position names the location
    context: ast.AST  # node shown in the instruction (before and after the edit)
    func: str
    facts: dict[str, str]


def snippet(node: ast.AST) -> str:
    """One-line text of a node: statements with a body show their header only."""
    if isinstance(node, ast.If | ast.While):
        keyword = "if" if isinstance(node, ast.If) else "while"
        return f"{keyword} {ast.unparse(node.test)}"
    if isinstance(node, ast.For):
        return f"for {ast.unparse(node.target)} in {ast.unparse(node.iter)}"
    text = ast.unparse(node)
    return text.splitlines()[0] if text else text


# --- site collection --------------------------------------------------------------------------

_SKIP_FIELDS = {"annotation", "returns", "decorator_list", "type_comment", "type_params"}


def _children(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    for field, value in ast.iter_fields(node):
        if field in _SKIP_FIELDS:
            continue
        if isinstance(value, ast.AST):
            yield field, value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    yield field, item


def _walk(
    node: ast.AST, func: str, parents: list[ast.AST]
) -> Iterator[tuple[ast.AST, str, list[ast.AST]]]:
    """Pre-order walk that skips annotations, decorators, imports, docstrings and f-strings, and
    knows the innermost enclosing function."""
    if isinstance(node, ast.Import | ast.ImportFrom | ast.JoinedStr) or _is_docstring(node):
        return
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        func = node.name
    yield node, func, parents
    for _field, child in _children(node):
        yield from _walk(child, func, [*parents, node])


def _is_docstring(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def collect_sites(tree: ast.Module) -> list[Site]:
    scopes = _scope_names(tree)
    sites: list[Site] = []
    for node, func, parents in _walk(tree, "<module>", []):
        for maker in _SITE_MAKERS:
            sites.extend(maker(node, func, parents, scopes))
    return sites


SiteMaker = Callable[[ast.AST, str, list[ast.AST], dict[str, dict[str, list[int]]]], list[Site]]


def _context(node: ast.AST, parents: list[ast.AST]) -> ast.AST:
    """The smallest expression around `node` worth quoting (a bare name or number is not)."""
    if not isinstance(node, ast.Constant | ast.Name):
        return node
    for parent in reversed(parents):
        if isinstance(parent, ast.expr) and _short_one_liner(parent):
            return parent
        if isinstance(parent, ast.stmt):
            return parent
        break
    return node


def _short_one_liner(node: ast.expr) -> bool:
    """Whether the node spans at most 60 characters of one line (positions of the parsed code)."""
    end_line, end_col = node.end_lineno, node.end_col_offset
    return end_line == node.lineno and end_col is not None and end_col - node.col_offset <= 60


_COMPARE_SWAPS: dict[type[ast.cmpop], tuple[type[ast.cmpop], ...]] = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.GtE),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
}


def _compare_sites(node: ast.AST, func: str, parents: list[ast.AST], _s: Any) -> list[Site]:
    if not isinstance(node, ast.Compare):
        return []
    sites = []
    for index, op in enumerate(node.ops):
        for new_type in _COMPARE_SWAPS.get(type(op), ()):
            ops = list(node.ops)
            ops[index] = new_type()
            facts = {"old_op": _CMP_TEXT[type(op)], "new_op": _CMP_TEXT[new_type]}
            sites.append(Site("compare", node, "ops", ops, node, node, func, facts))
    return sites


_CMP_TEXT: dict[type[ast.cmpop], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}

_ARITH_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitOr,
}

_ARITH_TEXT: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
}


def _is_stringy(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)
    )


def _arith_sites(node: ast.AST, func: str, parents: list[ast.AST], _s: Any) -> list[Site]:
    if isinstance(node, ast.BinOp):
        if _is_stringy(node.left) or _is_stringy(node.right):
            return []  # string concatenation and %-formatting are not arithmetic
        context: ast.AST = node
    elif isinstance(node, ast.AugAssign):
        if _is_stringy(node.value):
            return []
        context = node
    else:
        return []
    new_type = _ARITH_SWAPS.get(type(node.op))
    if new_type is None:
        return []
    facts = {"old_op": _ARITH_TEXT[type(node.op)], "new_op": _ARITH_TEXT[new_type]}
    return [Site("arith", node, "op", new_type(), node, context, func, facts)]


def _boolop_sites(node: ast.AST, func: str, parents: list[ast.AST], _s: Any) -> list[Site]:
    if not isinstance(node, ast.BoolOp):
        return []
    new: ast.boolop = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    old_text, new_text = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
    parent = parents[-1] if parents else None
    guard = isinstance(parent, ast.If | ast.While) and parent.test is node
    context = parent if guard and parent is not None else node
    facts = {"old_op": old_text, "new_op": new_text, "guard": "yes" if guard else ""}
    return [Site("boolop", node, "op", new, node, context, func, facts)]


def _constant_sites(node: ast.AST, func: str, parents: list[ast.AST], _s: Any) -> list[Site]:
    if not isinstance(node, ast.Constant) or type(node.value) is not int:
        return []
    if parents and isinstance(parents[-1], ast.UnaryOp):
        return []  # `-1` is already a different literal; keep the sign out of it
    sites = []
    for delta in (1, -1):
        value = node.value + delta
        if value < 0:
            continue
        facts = {"old_value": str(node.value), "new_value": str(value), "delta": str(delta)}
        sites.append(
            Site("constant", node, "value", value, node, _context(node, parents), func, facts)
        )
    return sites


def _range_sites(node: ast.AST, func: str, parents: list[ast.AST], _s: Any) -> list[Site]:
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
        and 1 <= len(node.args) <= 3
        and not node.keywords
        and not any(isinstance(a, ast.Starred) for a in node.args)
    ):
        return []
    parent = parents[-1] if parents else None
    loop = ast.unparse(parent.target) if isinstance(parent, ast.For) and parent.iter is node else ""
    stop_index = 0 if len(node.args) == 1 else 1
    sites = []
    for delta in (1, -1):
        args = list(node.args)
        args[stop_index] = _shift(args[stop_index], delta)
        facts = {"bound": "upper", "delta": str(delta), "loop": loop}
        sites.append(Site("range", node, "args", args, node, node, func, facts))
    if len(node.args) == 1:
        args = [ast.Constant(1), node.args[0]]
        facts = {"bound": "lower", "delta": "1", "loop": loop}
        sites.append(Site("range", node, "args", args, node, node, func, facts))
    elif len(node.args) >= 2:
        args = list(node.args)
        args[0] = _shift(args[0], 1)
        facts = {"bound": "lower", "delta": "1", "loop": loop}
        sites.append(Site("range", node, "args", args, node, node, func, facts))
    return sites


def _shift(expr: ast.expr, delta: int) -> ast.expr:
    """`expr + delta`, folding into a literal or an existing `+ 1` / `- 1`."""
    if isinstance(expr, ast.Constant) and type(expr.value) is int and expr.value + delta >= 0:
        return ast.Constant(expr.value + delta)
    if (
        isinstance(expr, ast.BinOp)
        and isinstance(expr.right, ast.Constant)
        and expr.right.value == 1
        and isinstance(expr.op, ast.Add if delta < 0 else ast.Sub)
    ):
        return expr.left
    op: ast.operator = ast.Add() if delta > 0 else ast.Sub()
    return ast.BinOp(expr, op, ast.Constant(abs(delta)))


def _not_sites(node: ast.AST, func: str, parents: list[ast.AST], _s: Any) -> list[Site]:
    if not (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)) or not parents:
        return []
    owner = parents[-1]
    for field, value in ast.iter_fields(owner):
        if value is node:
            context = owner if isinstance(owner, ast.If | ast.While) else node
            return [Site("not", owner, field, node.operand, node, context, func, {})]
        if isinstance(value, list) and any(item is node for item in value):
            new = [node.operand if item is node else item for item in value]
            context = owner if isinstance(owner, ast.expr) and len(snippet(owner)) <= 60 else node
            return [Site("not", owner, field, new, node, context, func, {})]
    return []


def _swap_sites(node: ast.AST, func: str, parents: list[ast.AST], _s: Any) -> list[Site]:
    if not isinstance(node, ast.Call) or len(node.args) < 2:
        return []
    args = node.args
    if any(isinstance(a, ast.Starred) for a in args[:2]):
        return []
    first, second = ast.unparse(args[0]), ast.unparse(args[1])
    if first == second:
        return []
    swapped = [args[1], args[0], *args[2:]]
    facts = {"first": first, "second": second, "callee": ast.unparse(node.func)}
    return [Site("swap_args", node, "args", swapped, node, node, func, facts)]


_DELETABLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return, ast.Raise, ast.Delete)


def _delete_sites(node: ast.AST, func: str, parents: list[ast.AST], _s: Any) -> list[Site]:
    if isinstance(node, ast.Module):
        return []
    sites = []
    for field in ("body", "orelse", "finalbody"):
        body = getattr(node, field, None)
        if not isinstance(body, list):
            continue
        real = [s for s in body if not _is_docstring(s)]
        if len(real) < 2:
            continue
        for stmt in real:
            if isinstance(stmt, _DELETABLE):
                rest = [s for s in body if s is not stmt]
                facts = {"previous": _previous(body, stmt)}
                sites.append(Site("delete_stmt", node, field, rest, stmt, stmt, func, facts))
    return sites


def _previous(body: list[ast.stmt], stmt: ast.stmt) -> str:
    index = next(i for i, s in enumerate(body) if s is stmt)
    return snippet(body[index - 1]) if index > 0 and not _is_docstring(body[index - 1]) else ""


def _wrong_var_sites(
    node: ast.AST, func: str, parents: list[ast.AST], scopes: dict[str, dict[str, list[int]]]
) -> list[Site]:
    """Replace a local name by the other local name used closest to it (by line), skipping names
    already in the quoted expression (`a[mid]` -> `a[x]`, not `a[a]`)."""
    if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
        return []
    uses = scopes.get(func, {})
    if node.id not in uses:
        return []
    context = _context(node, parents)
    present = {n.id for n in ast.walk(context) if isinstance(n, ast.Name)}
    bound_before = min(uses[node.id])
    others = [
        (min(abs(line - node.lineno) for line in lines), name)
        for name, lines in uses.items()
        if name not in present and min(lines) <= max(node.lineno, bound_before)
    ]
    if not others:
        return []
    _, replacement = min(others)
    facts = {"old_name": node.id, "new_name": replacement}
    return [Site("wrong_var", node, "id", replacement, node, context, func, facts)]


def _scope_names(tree: ast.Module) -> dict[str, dict[str, list[int]]]:
    """function name -> local name (parameters and assigned names) -> lines where it occurs."""
    scopes: dict[str, dict[str, list[int]]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        local = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]}
        local -= {"self", "cls"}
        names = [n for n in ast.walk(node) if isinstance(n, ast.Name)]
        local |= {n.id for n in names if isinstance(n.ctx, ast.Store)}
        uses: dict[str, list[int]] = {name: [node.lineno] for name in sorted(local)}
        for name in names:
            if name.id in uses:
                uses[name.id].append(name.lineno)
        scopes[node.name] = uses
    return scopes


def _return_sites(node: ast.AST, func: str, parents: list[ast.AST], _s: Any) -> list[Site]:
    if not isinstance(node, ast.Return) or node.value is None:
        return []
    if isinstance(node.value, ast.Constant) and node.value.value is None:
        return []
    facts = {"value": snippet(node.value)}
    return [Site("drop_return", node, "value", None, node, node, func, facts)]


_SITE_MAKERS: tuple[SiteMaker, ...] = (
    _compare_sites,
    _arith_sites,
    _boolop_sites,
    _constant_sites,
    _range_sites,
    _not_sites,
    _swap_sites,
    _delete_sites,
    _wrong_var_sites,
    _return_sites,
)
