"""The capsule: the primary function plus the context a reader needs, under a character budget.

Context = the module's imports, the enclosing class header(s) and the signatures of sibling
functions (the other methods of the class, or the other top-level functions), rendered as code:

    import os
    from typing import Any

    class Store(Base):
        def get(self, key: str) -> Any: ...

When `context + max(before, after)` exceeds the budget, truncation is structured and recorded in the
record's `truncated` list, never a silent tail cut: drop siblings from the farthest one in
(`"siblings"`), then the imports (`"imports"`), then trim the function bodies to a window around the
edit (`"body"`; the trimmed lines become one `# ... N lines trimmed` comment, so such code may not parse).
A budget in characters is about four times one in tokens.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field

from codelewm.code.functions import FunctionNode, signature_of

DEFAULT_BUDGET_CHARS = 6_000


@dataclass(frozen=True)
class Capsule:
    before: str
    after: str
    context: str
    truncated: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Parts:
    imports: list[str]
    headers: list[str]  # enclosing class headers, outermost first
    siblings: list[FunctionNode]  # nearest first


def make_capsule(
    module: ast.Module,
    qualname: str,
    before: str,
    after: str,
    *,
    budget_chars: int = DEFAULT_BUDGET_CHARS,
) -> Capsule:
    """Capsule of function `qualname` of `module` (the parsed before-file)."""
    parts = _collect(module, qualname)
    truncated: list[str] = []
    body = max(len(before), len(after))
    imports = parts.imports
    if imports and len(_render(parts, [], imports)) + body > budget_chars:
        imports = []
        truncated.append("imports")
    siblings = _fitting_siblings(parts, imports, budget_chars - body)
    if len(siblings) < len(parts.siblings):
        truncated.insert(0, "siblings")
    context = _render(parts, siblings, imports)
    room = budget_chars - len(context)
    if body > room:
        before, after = trim_around_edit(before, after, max_chars=max(room, 200))
        truncated.append("body")
    return Capsule(before, after, context, truncated)


def _fitting_siblings(parts: _Parts, imports: list[str], room: int) -> list[str]:
    """Signatures of the nearest siblings while the context stays within `room` characters."""
    size = len(_render(parts, [], imports))
    indent = "    " * len(parts.headers)
    chosen: list[str] = []
    for node in parts.siblings:
        signature = signature_of(node)
        size += len(indent) + len(signature) + len(" ...\n")
        if size > room:
            break
        chosen.append(signature)
    return chosen


def _collect(module: ast.Module, qualname: str) -> _Parts:
    imports = [
        ast.unparse(node) for node in module.body if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    headers: list[str] = []
    body: list[ast.stmt] = module.body
    names = qualname.split(".")
    for name in names[:-1]:
        cls = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == name), None)
        if cls is None:
            break
        headers.append(_class_header(cls))
        body = cls.body
    target = names[-1]
    index = _index_of(body, target)
    others = [
        (i, node)
        for i, node in enumerate(body)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name != target
    ]
    others.sort(key=lambda pair: abs(pair[0] - index))
    return _Parts(imports, headers, [node for _, node in others])


def _class_header(cls: ast.ClassDef) -> str:
    args = [ast.unparse(b) for b in cls.bases] + [ast.unparse(k) for k in cls.keywords]
    return f"class {cls.name}({', '.join(args)}):" if args else f"class {cls.name}:"


def _index_of(body: list[ast.stmt], name: str) -> int:
    for i, node in enumerate(body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return i
    return 0


def _render(parts: _Parts, siblings: list[str], imports: list[str]) -> str:
    lines = list(imports)
    if imports:
        lines.append("")
    indent = ""
    for header in parts.headers:
        lines.append(indent + header)
        indent += "    "
    lines.extend(f"{indent}{sig} ..." for sig in siblings)
    return "\n".join(lines).strip("\n") + ("\n" if lines else "")


def trim_around_edit(before: str, after: str, *, max_chars: int) -> tuple[str, str]:
    """Keep the first line and a window around the changed lines of both sides."""
    b_lines, a_lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, b_lines, a_lines, autojunk=False)
    changed = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changed:
        return _trim_lines(b_lines, 1, 1, max_chars), _trim_lines(a_lines, 1, 1, max_chars)
    b_lo, b_hi = changed[0][1], changed[-1][2]
    a_lo, a_hi = changed[0][3], changed[-1][4]
    return _trim_lines(b_lines, b_lo, b_hi, max_chars), _trim_lines(a_lines, a_lo, a_hi, max_chars)


def _trim_lines(lines: list[str], lo: int, hi: int, max_chars: int) -> str:
    """Lines[0] + the window [lo, hi) grown symmetrically while it fits `max_chars`."""
    start, end = max(lo, 1), max(hi, lo + 1, 1)
    size = sum(len(line) for line in lines[:1] + lines[start:end])
    while True:
        grown = False
        if start > 1 and size + len(lines[start - 1]) <= max_chars:
            start -= 1
            size += len(lines[start])
            grown = True
        if end < len(lines) and size + len(lines[end]) <= max_chars:
            size += len(lines[end])
            end += 1
            grown = True
        if not grown:
            break
    out = lines[:1]
    if start > 1:
        out.append(f"    # ... {start - 1} lines trimmed\n")
    out.extend(lines[start:end])
    if end < len(lines):
        out.append(f"    # ... {len(lines) - end} lines trimmed\n")
    return "".join(out)
