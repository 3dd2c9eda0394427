"""A small same-before dataset from real stdlib functions and seeded mutations, in data/layout.py format.

Tests only (never HumanEval/MBPP/dataframebench). Each pool: one canonical stdlib function as the before,
its seeded mutants as afters, each reached by its templated `introduce_instruction`.
"""

from __future__ import annotations

import hashlib
import inspect
import random
import textwrap
from pathlib import Path
from types import ModuleType

from codelewm.code.functions import iter_functions
from codelewm.code.mutations import canonical_source, mutate_function
from codelewm.errors import ParseFailureError
from codelewm.records import Split, TransitionRecord


def stdlib_functions(
    modules: list[ModuleType], *, max_lines: int = 40
) -> list[tuple[str, str, str]]:
    """(module name, qualname, canonical source) of short functions."""
    out = []
    for module in modules:
        try:
            source = inspect.getsource(module)
        except (OSError, TypeError):  # a C module: no source
            continue
        for span in iter_functions(source):
            if 4 <= span.source.count("\n") <= max_lines:
                try:
                    out.append((module.__name__, span.qualname, canonical_source(span.source)))
                except ParseFailureError:
                    continue
    return out


def build_dataset(
    root: Path,
    modules: list[ModuleType],
    *,
    seed: int = 0,
    mutants: int = 4,
    val_share: float = 0.25,
    max_functions: int | None = None,
) -> dict[str, int]:
    """Write transitions/{train,val}.jsonl; split by module name (the group)."""
    rng = random.Random(seed)
    functions = stdlib_functions(modules)[:max_functions]
    groups = sorted({m for m, _, _ in functions})
    val_groups = set(random.Random(seed).sample(groups, max(1, int(len(groups) * val_share))))
    lines: dict[Split, list[str]] = {"train": [], "val": [], "test": []}
    for module, qualname, before in functions:
        split: Split = "val" if module in val_groups and len(groups) > 1 else "train"
        for mutation in mutate_function(before, rng=rng, max_mutants=mutants):
            digest = hashlib.sha256(f"{module}{qualname}{mutation.code}".encode()).hexdigest()[:16]
            record = TransitionRecord(
                transition_id=digest,
                source="mutations",
                group=module,
                split=split,
                path=f"{module.replace('.', '/')}.py",
                symbol=qualname,
                before=before,
                after=mutation.code,
                instruction=mutation.introduce_instruction,
                instruction_kind="template",
            )
            lines[split].append(record.model_dump_json())
    (root / "transitions").mkdir(parents=True, exist_ok=True)
    for split, rows in lines.items():
        (root / "transitions" / f"{split}.jsonl").write_text("".join(r + "\n" for r in rows))
    return {split: len(rows) for split, rows in lines.items()}


def dedent(code: str) -> str:
    return textwrap.dedent(code).lstrip()
