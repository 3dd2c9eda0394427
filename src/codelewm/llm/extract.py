"""From a raw completion to candidate text, under the output policy. Untrusted text in, nothing run.

- Fences: when the completion holds a Markdown fence (```diff, ```python, bare ```), the first fenced
  block is the answer and the prose around it is dropped; otherwise the whole completion is.
- `diff` policy: the answer must be a unified diff against the before; it is later applied in memory
  by `code.candidates.candidate_from_text(kind="patch")`, so prose or code is a malformed diff.
- `function` policy: the answer must be exactly one function definition whose name is a function of
  the before; it replaces that function (same indentation, decorators included) and the candidate is
  the full after-state. A function the before does not have is off-target and refused.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

from codelewm.code.functions import iter_functions
from codelewm.errors import CodeLeWMError, InputError, ParseFailureError
from codelewm.llm.settings import OutputPolicy
from codelewm.records import CandidateKind

_FENCE = re.compile(r"^```[ \t]*([A-Za-z0-9_+\-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


class OffTargetError(InputError):
    """A function answer that names no function of the before."""

    default_remediation = "Answer with a new definition of a function the before file defines."


@dataclass(frozen=True)
class Extracted:
    """What a completion offers as a candidate, or why it offers nothing."""

    text: str  # the answer: a diff, or (function policy) the full after-state when spliced
    kind: CandidateKind
    fenced: bool
    error: CodeLeWMError | None = None


def answer_text(completion: str) -> tuple[str, bool]:
    """The first fenced block (and True), or the whole completion; blank edges trimmed."""
    match = _FENCE.search(completion)
    body = match.group(2) if match else completion
    body = body.strip("\n")
    return (body + "\n" if body.strip() else ""), match is not None


def extract(completion: str, *, policy: OutputPolicy, before: str) -> Extracted:
    """The candidate a completion offers under `policy`."""
    text, fenced = answer_text(completion)
    if policy == "diff":
        return Extracted(text=text, kind="patch", fenced=fenced)
    if not text:
        return Extracted(text="", kind="full", fenced=fenced)
    try:
        return Extracted(text=splice_function(before, text), kind="full", fenced=fenced)
    except (OffTargetError, ParseFailureError) as exc:
        return Extracted(text=text, kind="full", fenced=fenced, error=exc)


def splice_function(before: str, function_code: str) -> str:
    """`before` with the function named by `function_code` replaced by it."""
    code = textwrap.dedent(function_code)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:
        raise ParseFailureError(f"the answer does not parse: {exc}") from None
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if len(defs) != 1 or len(tree.body) != 1:
        raise ParseFailureError(
            f"the answer must be exactly one function definition; it has {len(tree.body)} "
            f"statements and {len(defs)} functions"
        )
    name = defs[0].name
    matches = [s for s in iter_functions(before) if s.qualname.split(".")[-1] == name]
    if len(matches) != 1:
        found = "no function" if not matches else f"{len(matches)} functions"
        raise OffTargetError(f"the before has {found} named {name!r}; the answer is off-target")
    span = matches[0]
    lines = before.splitlines(keepends=True)
    indent = re.match(r"[ \t]*", lines[span.start_line - 1]).group(0)  # type: ignore[union-attr]
    new = textwrap.indent(code.rstrip("\n") + "\n", indent, lambda line: bool(line.strip()))
    return "".join(lines[: span.start_line - 1]) + new + "".join(lines[span.end_line :])
