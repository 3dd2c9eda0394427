"""`--source mutations --code PATH...`: seeded single-point mutations of real functions.

For every function with at least `min_statements` statements (after its docstring), up to
`mutants_per_function` mutants from `code/mutations.py` (one seeded `random.Random` per function).
Both sides of every record are `ast.unparse` output of the same tree (`canonical_source`), so the
original and a mutant differ only at the mutated node, never in formatting. Each mutant gives two
transitions, instruction_kind "template": introduce (original -> mutant, meta direction="introduce")
and fix (mutant -> original, direction="fix"); meta also carries the operator and location.
The introduce transitions of one function share their before, each with its own instruction and a
distinct after: the build's pool finder (`data/pools.py`) turns every function with >= 3 mutants into
a same-before pool (P1), so this source yields no pools of its own.

Skip reasons: those of `code_functions` and `sources/files`, plus `too_few_statements`,
`function_too_long` (over `max_function_chars`, or its capsule would trim the body), `no_mutants`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from codelewm.code.capsule import DEFAULT_BUDGET_CHARS, make_capsule
from codelewm.code.mutations import Mutation, mutate_canonical
from codelewm.data.sources.base import SourceConfig
from codelewm.data.sources.code_functions import (
    FunctionInput,
    FunctionUnits,
    body_statements,
    function_node,
    roots_provenance,
)
from codelewm.data.transition import new_transition
from codelewm.records import TransitionRecord


class MutationsConfig(SourceConfig):
    kind: Literal["mutations"] = "mutations"
    code: list[Path] = Field(default_factory=list, description="roots; empty = the stdlib")
    exclude: list[str] = Field(default_factory=list, description="fnmatch patterns on paths")
    seed: int = 0
    function_fraction: float = Field(default=1.0, gt=0.0, le=1.0)
    mutants_per_function: int = Field(default=4, ge=1)
    min_statements: int = Field(default=2, ge=1)
    max_function_chars: int = 4_000
    files_per_unit: int = Field(default=16, ge=1)
    max_file_bytes: int = 1_000_000
    capsule_budget_chars: int = DEFAULT_BUDGET_CHARS


class MutationsSource:
    name: ClassVar[str] = "mutations"
    config_model: ClassVar[type[SourceConfig]] = MutationsConfig

    def __init__(self, config: MutationsConfig) -> None:
        self.config = config
        self.skipped: Counter[str] = Counter()
        self._functions = FunctionUnits.from_config(config, self.skipped)

    def units(self) -> list[str]:
        return self._functions.units()

    def provenance(self) -> dict[str, object]:
        """Python version and pinned wheels behind the code roots (for the dataset manifest)."""
        return roots_provenance(self.config.code)

    def iter_transitions(self, unit: str) -> Iterator[TransitionRecord]:
        for item in self._functions.functions(unit):
            yield from self._function_transitions(item)

    def _function_transitions(self, item: FunctionInput) -> Iterator[TransitionRecord]:
        original = self._original(item)
        if original is None:
            return
        mutants = mutate_canonical(
            original, rng=item.rng, max_mutants=self.config.mutants_per_function
        )
        if not mutants:
            self.skipped["no_mutants"] += 1
            return
        longest = max((m.code for m in mutants), key=len)
        capsule = make_capsule(
            item.module,
            item.span.qualname,
            original,
            longest,
            budget_chars=self.config.capsule_budget_chars,
        )
        if "body" in capsule.truncated:
            self.skipped["function_too_long"] += 1
            return
        for mutant in mutants:
            forward = self._record(item, original, mutant, "introduce", capsule.context)
            backward = self._record(item, original, mutant, "fix", capsule.context)
            forward.truncated.extend(capsule.truncated)
            backward.truncated.extend(capsule.truncated)
            yield forward
            yield backward

    def _original(self, item: FunctionInput) -> str | None:
        """The canonical function, or None (counted) when it is too small or too long."""
        original = item.canonical
        if len(original) > self.config.max_function_chars:
            self.skipped["function_too_long"] += 1
            return None
        node = function_node(original)
        if node is None or len(body_statements(node)) < self.config.min_statements:
            self.skipped["too_few_statements"] += 1
            return None
        return original

    def _record(
        self,
        item: FunctionInput,
        original: str,
        mutant: Mutation,
        direction: Literal["introduce", "fix"],
        context: str,
    ) -> TransitionRecord:
        forward = direction == "introduce"
        return new_transition(
            source="mutations",
            group=item.file.group,
            path=item.file.rel,
            symbol=item.span.qualname,
            before=original if forward else mutant.code,
            after=mutant.code if forward else original,
            instruction=mutant.introduce_instruction if forward else mutant.fix_instruction,
            instruction_kind="template",
            context=context,
            license=item.file.license,
            meta={"direction": direction, "op": mutant.op, "location": mutant.location},
        )
