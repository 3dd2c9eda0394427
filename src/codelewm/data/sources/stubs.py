"""`--source stubs --code PATH...`: docstring-to-implementation transitions from real functions.

For every function with a meaningful docstring (a first paragraph of at least `min_summary_chars`)
and at least `min_statements` statements after it: before = the function with its body replaced by
the docstring and `...`, after = the real function, instruction = "Implement `NAME`: <summary>"
(instruction_kind "docstring"). Both sides are `ast.unparse` output of one tree, so they differ only
in the body, never in formatting.

Each transition also gets a decoy pool (`iter_decoy_pools`, `data/decoys.py`): the true after plus up
to `mutant_decoys` seeded single-point mutants of it and up to `other_body_decoys` bodies of other
functions of the same unit with the same signature shape (parameter counts), renamed to fit (the
other function's parameters become this one's, the docstring and signature stay). A pool is kept when
it has at least `min_decoys` decoys.

Skip reasons: those of `code_functions` and `sources/files`, plus `no_docstring`, `short_docstring`,
`too_few_statements`, `function_too_long`.
"""

from __future__ import annotations

import ast
import copy
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from codelewm.code.capsule import DEFAULT_BUDGET_CHARS, make_capsule
from codelewm.code.mutations import mutate_canonical
from codelewm.data.decoys import decoy_pool
from codelewm.data.sources.base import SourceConfig
from codelewm.data.sources.code_functions import (
    FunctionInput,
    FunctionUnits,
    body_statements,
    function_node,
    roots_provenance,
)
from codelewm.data.transition import new_transition
from codelewm.records import RerankPool, TransitionRecord

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class StubsConfig(SourceConfig):
    kind: Literal["stubs"] = "stubs"
    code: list[Path] = Field(default_factory=list, description="roots; empty = the stdlib")
    exclude: list[str] = Field(default_factory=list, description="fnmatch patterns on paths")
    seed: int = 0
    function_fraction: float = Field(default=1.0, gt=0.0, le=1.0)
    min_summary_chars: int = 20
    max_summary_chars: int = 300
    min_statements: int = Field(default=2, ge=1)
    max_function_chars: int = 4_000
    mutant_decoys: int = Field(default=3, ge=0)
    other_body_decoys: int = Field(default=2, ge=0)
    min_decoys: int = Field(default=2, ge=1)
    files_per_unit: int = Field(default=16, ge=1)
    max_file_bytes: int = 1_000_000
    capsule_budget_chars: int = DEFAULT_BUDGET_CHARS


@dataclass
class _Stub:
    item: FunctionInput
    node: FunctionNode  # the canonical function, parsed
    record: TransitionRecord


class StubsSource:
    name: ClassVar[str] = "stubs"
    config_model: ClassVar[type[SourceConfig]] = StubsConfig

    def __init__(self, config: StubsConfig) -> None:
        self.config = config
        self.skipped: Counter[str] = Counter()
        self._functions = FunctionUnits.from_config(config, self.skipped)
        self._decoy_pools: dict[str, list[RerankPool]] = {}

    def units(self) -> list[str]:
        return self._functions.units()

    def provenance(self) -> dict[str, object]:
        """Python version and pinned wheels behind the code roots (for the dataset manifest)."""
        return roots_provenance(self.config.code)

    def iter_transitions(self, unit: str) -> Iterator[TransitionRecord]:
        stubs: list[_Stub] = []
        for item in self._functions.functions(unit):
            stub = self._stub(item)
            if stub is not None:
                stubs.append(stub)
                yield stub.record
        self._decoy_pools[unit] = [
            pool for pool in (self._pool(stub, stubs) for stub in stubs) if pool is not None
        ]

    def iter_decoy_pools(self, unit: str) -> Iterator[RerankPool]:
        yield from self._decoy_pools.pop(unit, [])

    def _stub(self, item: FunctionInput) -> _Stub | None:
        after = item.canonical
        node = function_node(after)
        if node is None or len(after) > self.config.max_function_chars:
            self.skipped["function_too_long" if node is not None else "too_few_statements"] += 1
            return None
        summary = docstring_summary(node, max_chars=self.config.max_summary_chars)
        reason = self._reason(node, summary)
        if reason is not None:
            self.skipped[reason] += 1
            return None
        before = stub_of(node)
        capsule = make_capsule(
            item.module,
            item.span.qualname,
            before,
            after,
            budget_chars=self.config.capsule_budget_chars,
        )
        if "body" in capsule.truncated:
            self.skipped["function_too_long"] += 1
            return None
        record = new_transition(
            source="stubs",
            group=item.file.group,
            path=item.file.rel,
            symbol=item.span.qualname,
            before=before,
            after=after,
            instruction=f"Implement `{node.name}`: {summary}",
            instruction_kind="docstring",
            context=capsule.context,
            truncated=capsule.truncated,
            license=item.file.license,
        )
        return _Stub(item, node, record)

    def _reason(self, node: FunctionNode, summary: str | None) -> str | None:
        if summary is None:
            return "no_docstring"
        if len(summary) < self.config.min_summary_chars:
            return "short_docstring"
        if len(body_statements(node)) < self.config.min_statements:
            return "too_few_statements"
        return None

    def _pool(self, stub: _Stub, unit_stubs: list[_Stub]) -> RerankPool | None:
        rng = stub.item.rng
        after = stub.record.after
        decoys = [
            ("mutant", m.code)
            for m in mutate_canonical(after, rng=rng, max_mutants=self.config.mutant_decoys)
        ]
        others = other_bodies(
            stub.node,
            [s.node for s in unit_stubs],
            rng=rng,
            limit=self.config.other_body_decoys,
        )
        decoys += [("other_body", code) for code in others]
        pool = decoy_pool(stub.record, decoys)
        return pool if len(pool.candidates) - 1 >= self.config.min_decoys else None


def docstring_summary(node: FunctionNode, *, max_chars: int) -> str | None:
    """The docstring's first paragraph on one line (cut at a sentence end when too long)."""
    docstring = ast.get_docstring(node, clean=True)
    if not docstring:
        return None
    paragraph = re.split(r"\n\s*\n", docstring.strip(), maxsplit=1)[0]
    summary = " ".join(paragraph.split())
    if len(summary) > max_chars:
        cut = summary.rfind(". ", 0, max_chars)
        summary = summary[: cut + 1] if cut > 0 else summary[:max_chars].rstrip()
    return summary


def stub_of(node: FunctionNode) -> str:
    """`ast.unparse` of the function with its body replaced by its docstring and `...`."""
    stub = copy.copy(node)
    docstring = node.body[: len(node.body) - len(body_statements(node))]
    stub.body = [*docstring, ast.Expr(ast.Constant(Ellipsis))]
    return ast.unparse(stub)


def signature_shape(node: FunctionNode) -> tuple[int, bool, int, bool]:
    """(positional parameters, *args?, keyword-only parameters, **kwargs?)."""
    args = node.args
    return (
        len(args.posonlyargs) + len(args.args),
        args.vararg is not None,
        len(args.kwonlyargs),
        args.kwarg is not None,
    )


def _parameter_names(node: FunctionNode) -> list[str]:
    args = node.args
    names = [a.arg for a in [*args.posonlyargs, *args.args]]
    names += [args.vararg.arg] if args.vararg else []
    names += [a.arg for a in args.kwonlyargs]
    names += [args.kwarg.arg] if args.kwarg else []
    return names


def other_bodies(
    node: FunctionNode, pool: list[FunctionNode], *, rng: random.Random, limit: int
) -> list[str]:
    """Up to `limit` other functions' bodies under `node`'s signature and docstring, parameters
    renamed; seeded order, distinct, never `node`'s own body."""
    shape = signature_shape(node)
    own = ast.unparse(ast.Module(body=body_statements(node), type_ignores=[]))
    fits = [other for other in pool if other is not node and signature_shape(other) == shape]
    rng.shuffle(fits)
    bodies: list[str] = []
    for other in fits:
        if len(bodies) >= limit:
            break
        code = _transplant(node, other)
        body = ast.unparse(ast.Module(body=body_statements(other), type_ignores=[]))
        if body != own and code not in bodies:
            bodies.append(code)
    return bodies


def _transplant(node: FunctionNode, other: FunctionNode) -> str:
    """`node`'s signature and docstring over `other`'s body, `other`'s parameters renamed to
    `node`'s. Renames in place and restores (cheaper than copying the body)."""
    mapping = dict(zip(_parameter_names(other), _parameter_names(node), strict=True))
    body = body_statements(other)
    names = [
        (name, name.id)
        for stmt in body
        for name in ast.walk(stmt)
        if isinstance(name, ast.Name) and name.id in mapping
    ]
    docstring = node.body[: len(node.body) - len(body_statements(node))]
    grafted = copy.copy(node)
    grafted.body = [*docstring, *body]
    for name, old in names:
        name.id = mapping[old]
    try:
        return ast.unparse(grafted)
    finally:
        for name, old in names:
            name.id = old
