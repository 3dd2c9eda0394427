"""Sandbox-labelled training pools (`data/labelled.py`) from task files with tests.

- `--source exercism --input exercism_python.jsonl`: before = the exercise's stub, instruction = its
  instructions (markdown headings dropped, at most `max_instruction_chars`), reference = its example
  solution, checks = its unittest tests with the import of the solution module removed (the
  candidate runs in the same namespace). Exercises with helper test files are skipped
  (`needs_helper_files`). Group `exercism/<slug>`.
- `--source quixbugs --input quixbugs_python.jsonl`: before = the real buggy program, instruction =
  "Fix the bug in `<name>`: <its task description>", reference = the correct program, the real
  buggy program is a pool member (`real_bug`); checks = its JSON test cases as asserts (programs
  without JSON cases or with graph nodes are skipped: `no_json_cases`). Group `quixbugs/<name>`.

Each task yields one transition (before -> reference) and, through `iter_decoy_pools`, its labelled
pool. Donor bodies for `sibling_body` members come from the other tasks of the same file. Tasks
whose reference matches an evaluation benchmark by normalised hash are skipped (`eval_overlap`).
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from codelewm.code.mutations import canonical_source
from codelewm.data.eval_guard import is_eval_code
from codelewm.data.labelled import (
    LabelStats,
    LabelTask,
    Recipe,
    candidate_programs,
    label_pool,
    sandbox_labeller,
)
from codelewm.data.sources.base import SourceConfig
from codelewm.data.transition import new_transition
from codelewm.errors import ParseFailureError, SourceUnavailableError
from codelewm.execution import TestKind
from codelewm.records import RerankPool, TransitionRecord

TASKS_PER_UNIT = 5
_HEADING = re.compile(r"^\s*#+\s.*$", re.MULTILINE)


class LabelledConfig(SourceConfig):
    input: Path
    mutants: int = Field(default=4, ge=0)
    sibling_bodies: int = Field(default=1, ge=0)
    max_instruction_chars: int = Field(default=600, ge=40)
    license: str = "MIT"


class ExercismConfig(LabelledConfig):
    kind: Literal["exercism"] = "exercism"


class QuixbugsConfig(LabelledConfig):
    kind: Literal["quixbugs"] = "quixbugs"


def _records(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SourceUnavailableError(
            f"cannot read {path}: {exc}",
            remediation="Point `input` at the task file (see ../shared/data/TRAINING_DATA.md).",
        ) from exc
    return [json.loads(line) for line in lines if line.strip()]


def _top_functions(program: str) -> list[str]:
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError):
        return []
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]


def _strip_import(tests: str, module: str) -> str:
    """The tests without `from <module> import ...` / `import <module>` (any line span)."""
    tree = ast.parse(tests)
    lines = tests.splitlines(keepends=True)
    drop: set[int] = set()
    for node in tree.body:
        is_from = isinstance(node, ast.ImportFrom) and node.module == module
        is_plain = isinstance(node, ast.Import) and any(a.name == module for a in node.names)
        if is_from or is_plain:
            drop.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
    return "".join(line for i, line in enumerate(lines) if i not in drop)


def _seed(task_id: str) -> int:
    return int.from_bytes(hashlib.sha256(task_id.encode()).digest()[:8], "little")


class _LabelledSource:
    """Shared driver: tasks -> (transition, labelled pool); subclasses read their file."""

    name: ClassVar[str]
    config_model: ClassVar[type[SourceConfig]]
    instruction_kind: ClassVar[Literal["task"]] = "task"

    def __init__(self, config: LabelledConfig) -> None:
        self.config = config
        self.skipped: Counter[str] = Counter()
        self._pools: list[RerankPool] = []
        self.label_stats = LabelStats()

    @cached_property
    def tasks(self) -> list[LabelTask]:
        return self._tasks()

    def _tasks(self) -> list[LabelTask]:
        raise NotImplementedError

    def units(self) -> list[str]:
        n = len(self.tasks)
        return [f"{start // TASKS_PER_UNIT:05d}" for start in range(0, n, TASKS_PER_UNIT)]

    def provenance(self) -> dict[str, Any]:
        data = self.config.input.read_bytes()
        return {"input": self.config.input.name, "sha256": hashlib.sha256(data).hexdigest()}

    def _donors(self, task: LabelTask) -> list[tuple[str, str]]:
        return [
            (other.reference, name)
            for other in self.tasks
            if other.task_id != task.task_id
            for name in _top_functions(other.reference)
        ]

    def iter_transitions(self, unit: str) -> Iterator[TransitionRecord]:
        start = int(unit) * TASKS_PER_UNIT
        self._pools = []
        label = sandbox_labeller()
        recipe = Recipe(mutants=self.config.mutants, sibling_bodies=self.config.sibling_bodies)
        for task in self.tasks[start : start + TASKS_PER_UNIT]:
            if is_eval_code(task.reference):
                self.skipped["eval_overlap"] += 1
                continue
            try:
                reference = canonical_source(task.reference)
                members = candidate_programs(
                    task, recipe, rng=random.Random(_seed(task.task_id)), donors=self._donors(task)
                )
            except ParseFailureError:
                self.skipped["unparseable_reference"] += 1
                continue
            record = new_transition(
                source=self.name,  # type: ignore[arg-type]
                group=task.task_id,
                path=task.task_id,
                symbol=task.symbol,
                before=task.before,
                after=reference,
                instruction=task.instruction,
                instruction_kind=self.instruction_kind,
                license=self.config.license,
                meta={"labelled_by": "sandbox"},
            )
            pool = label_pool(
                task, members, label, self.label_stats, self.skipped, transition=record
            )
            if pool is None:
                continue
            self._pools.append(pool)
            yield record

    def iter_decoy_pools(self, unit: str) -> Iterator[RerankPool]:
        yield from self._pools

    def _instruction(self, text: str) -> str:
        flat = " ".join(_HEADING.sub("", text).split())
        return flat[: self.config.max_instruction_chars]


class ExercismSource(_LabelledSource):
    name: ClassVar[str] = "exercism"
    config_model: ClassVar[type[SourceConfig]] = ExercismConfig

    def _tasks(self) -> list[LabelTask]:
        tasks = []
        for rec in _records(self.config.input):
            if rec.get("extra_test_files"):
                self.skipped["needs_helper_files"] += 1
                continue
            entry = list(rec.get("entry_points") or [])
            functions = _top_functions(rec["reference"])
            symbol = next((name for name in entry if name in functions), None)
            if symbol is None:
                self.skipped["no_top_level_function"] += 1
                continue
            try:
                tests = _strip_import(rec["tests"], rec["test_module_name"])
            except (SyntaxError, ValueError):
                self.skipped["unparseable_tests"] += 1
                continue
            tasks.append(
                LabelTask(
                    task_id=f"exercism/{rec['slug']}",
                    before=rec["stub"],
                    instruction=self._instruction(rec["instructions"]),
                    reference=rec["reference"],
                    tests=tests,
                    kind=TestKind.UNITTEST,
                    symbol=symbol,
                )
            )
        return tasks


_DESCRIPTION = re.compile(r'\n"""(.*?)"""\s*$', re.DOTALL)


class QuixbugsSource(_LabelledSource):
    name: ClassVar[str] = "quixbugs"
    config_model: ClassVar[type[SourceConfig]] = QuixbugsConfig

    def _tasks(self) -> list[LabelTask]:
        tasks = []
        for rec in _records(self.config.input):
            cases = (rec.get("tests") or {}).get("json")
            if not cases or rec.get("uses_node"):
                self.skipped["no_json_cases"] += 1
                continue
            name = rec["name"]
            checks = []
            for line in str(cases).splitlines():
                if line.strip():
                    args, want = json.loads(line)
                    args = args if isinstance(args, list) else [args]
                    checks.append(
                        f"assert _result({name}(*{args!r})) == _result({want!r}), {line.strip()!r}"
                    )
            helper = (
                "def _result(value):\n"
                "    if hasattr(value, '__next__'):\n"
                "        value = list(value)\n"
                "    if isinstance(value, tuple):\n"
                "        value = list(value)\n"
                "    return value\n"
            )
            description = rec.get("description") or ""
            if not description:
                found = _DESCRIPTION.search(rec["buggy"])
                description = found.group(1) if found else ""
            tasks.append(
                LabelTask(
                    task_id=f"quixbugs/{name}",
                    before=rec["buggy"],
                    instruction=self._instruction(f"Fix the bug in `{name}`: {description}"),
                    reference=rec["correct"],
                    tests=helper + "\n".join(checks) + "\n",
                    kind=TestKind.SCRIPT,
                    symbol=name,
                    extra=(("real_bug", rec["buggy"]),),
                )
            )
        return tasks
