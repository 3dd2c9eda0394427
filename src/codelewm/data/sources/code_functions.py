"""Functions of real code files, unit by unit: the shared input of the mutations and stubs sources.

Files come from `sources/files.discover_files` (groups, licenses, vendored/generated skips); files under
benchmark-named paths (`eval_guard.is_eval_path`) are skipped as `eval_path`, and functions whose
normalised hash matches a benchmark function as `eval_overlap`. A unit is a run of at most
`files_per_unit` files of one group (`<group>#<k>`), so a unit's output depends only on the config and
its id. Each function gets its own `random.Random` seeded by (seed, group, path, qualname), so a
function's mutants do not depend on what else is in the build; `function_fraction` < 1 keeps a
stable hash-selected share of the functions (`sampled_out`). A function whose dedented source does
not parse on its own (`unparseable_function`) or whose `ast.unparse` form is not a fixed point
(`unstable_unparse`) is skipped: both sides of every record must be comparable unparse output.
"""

from __future__ import annotations

import ast
import hashlib
import platform
import random
import textwrap
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from codelewm.code.functions import FunctionSpan, iter_functions
from codelewm.data.eval_guard import eval_hashes, is_eval_path
from codelewm.data.fetch import read_provenance
from codelewm.data.sources.files import CodeFile, discover_files, read_code, stdlib_root
from codelewm.errors import ParseFailureError


@dataclass(frozen=True)
class FunctionInput:
    """One function of one file, with what a record needs from its file."""

    file: CodeFile
    module: ast.Module  # the parsed file, for capsules
    span: FunctionSpan
    canonical: str  # `ast.unparse` form of the function, a fixed point of parse + unparse
    rng: random.Random


class FunctionCorpusConfig(Protocol):
    """The config fields of a source built on `FunctionUnits` (mutations, stubs)."""

    @property
    def code(self) -> Sequence[Path]: ...
    @property
    def exclude(self) -> Sequence[str]: ...
    @property
    def files_per_unit(self) -> int: ...
    @property
    def max_file_bytes(self) -> int: ...
    @property
    def seed(self) -> int: ...
    @property
    def function_fraction(self) -> float: ...


class FunctionUnits:
    """Discovers files lazily and yields the functions of one unit."""

    @classmethod
    def from_config(cls, config: FunctionCorpusConfig, skipped: Counter[str]) -> FunctionUnits:
        return cls(
            roots=config.code,
            exclude=config.exclude,
            files_per_unit=config.files_per_unit,
            max_file_bytes=config.max_file_bytes,
            seed=config.seed,
            skipped=skipped,
            function_fraction=config.function_fraction,
        )

    def __init__(
        self,
        *,
        roots: Sequence[Path],
        exclude: Sequence[str],
        files_per_unit: int,
        max_file_bytes: int,
        seed: int,
        skipped: Counter[str],
        function_fraction: float = 1.0,
    ) -> None:
        self.roots = list(roots) or [stdlib_root()]
        self.exclude = list(exclude)
        self.files_per_unit = files_per_unit
        self.max_file_bytes = max_file_bytes
        self.seed = seed
        self.skipped = skipped
        self.function_fraction = function_fraction
        self._units: dict[str, list[CodeFile]] | None = None

    def units(self) -> list[str]:
        return sorted(self._by_unit())

    def files(self, unit: str) -> list[CodeFile]:
        return self._by_unit().get(unit, [])

    def _by_unit(self) -> dict[str, list[CodeFile]]:
        if self._units is None:
            discovered = discover_files(self.roots, self.skipped, exclude=self.exclude)
            by_group: dict[str, list[CodeFile]] = {}
            for file in discovered:
                if is_eval_path(file.rel) or is_eval_path(file.group):
                    self.skipped["eval_path"] += 1
                    continue
                by_group.setdefault(file.group, []).append(file)
            self._units = {}
            size = max(1, self.files_per_unit)
            for group, files in by_group.items():
                for start in range(0, len(files), size):
                    self._units[f"{group}#{start // size:04d}"] = files[start : start + size]
        return self._units

    def functions(self, unit: str) -> Iterator[FunctionInput]:
        """Every function of the unit's files that parse and are not benchmark code."""
        guard = eval_hashes()
        for file in self.files(unit):
            text = read_code(file, self.skipped, max_bytes=self.max_file_bytes)
            if text is None:
                continue
            try:
                module = ast.parse(text)
                spans = iter_functions(text, filename=file.rel)
            except (SyntaxError, ValueError, ParseFailureError):
                self.skipped["unparseable_file"] += 1
                continue
            for span in spans:
                key = f"{self.seed}\x1f{file.group}\x1f{file.rel}\x1f{span.qualname}"
                if not _selected(key, self.function_fraction):
                    self.skipped["sampled_out"] += 1
                    continue
                canonical = self._canonical(span)
                if canonical is None:
                    continue
                if _sha256(canonical) in guard:
                    self.skipped["eval_overlap"] += 1
                    continue
                yield FunctionInput(file, module, span, canonical, random.Random(key))

    def _canonical(self, span: FunctionSpan) -> str | None:
        try:
            tree = ast.parse(textwrap.dedent(span.source))
        except (SyntaxError, ValueError):
            self.skipped["unparseable_function"] += 1
            return None
        canonical = ast.unparse(tree)
        if ast.unparse(ast.parse(canonical)) != canonical:
            self.skipped["unstable_unparse"] += 1
            return None
        return canonical


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _selected(key: str, fraction: float) -> bool:
    if fraction >= 1.0:
        return True
    bucket = int.from_bytes(hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()[:8])
    return bucket < fraction * 2**64


def roots_provenance(roots: Sequence[Path]) -> dict[str, object]:
    """What the code roots hold: the Python version for the stdlib, the pinned wheels of a tree
    that `fetch.materialise` wrote, the bare path otherwise."""
    described: list[dict[str, object]] = []
    for root in list(roots) or [stdlib_root()]:
        resolved = root.resolve()
        entry: dict[str, object] = {"path": str(root)}
        if resolved == stdlib_root():
            entry["stdlib"] = f"{platform.python_implementation()} {platform.python_version()}"
        wheels = read_provenance(resolved)
        if wheels:
            entry["wheels"] = [w.model_dump(mode="json") for w in wheels]
        described.append(entry)
    return {"roots": described}


def body_statements(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    """The function's statements after its docstring."""
    body = node.body
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1:]
    return body


def function_node(code: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The single function that `code` (one unparsed function) defines."""
    tree = ast.parse(code)
    node = tree.body[0] if len(tree.body) == 1 else None
    return node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None
