"""`--source doctests [--code PATH...]`: sandbox-labelled pools from functions whose docstrings carry
runnable `>>>` examples (the stdlib when `code` is empty, or unpacked wheels).

For each top-level function of a module file with doctest examples: before = its stub (signature +
docstring, as the stubs source makes it), instruction = "Implement `NAME`: <the docstring's text
before its examples>" (instruction_kind "docstring"), after / reference = the real function, checks =
its own doctest examples (`code.examples.mine_examples` rendered by `check_program`, one unittest
test per example). A pool (`data/labelled.py`: mutants, truncated body, removed edge case, constant
return, a sibling function's body) is labelled by running each member in the module's own context:

- the context is the module's source with the function replaced by a stub that forwards to whatever
  the name is bound to at call time, run under the module's real `__name__`, `__package__` and
  `__file__`, the member appended after it; so the original function is never defined, and the
  module's other functions (and tables that captured the function at import) call the member;
- before the examples run, `sys.modules[<module>]` is the run's namespace, so an example that
  imports the module (`from statistics import mean`) gets the member, not the original;
- for a root other than the stdlib, the root is put first on `sys.path` inside the run, so the
  module's imports of its own package, absolute and relative, resolve to the unpacked files (the
  sandbox must see the root: a root under /tmp is masked by bwrap's private /tmp, and its modules
  then end as `import_fails_in_sandbox`). `relative_imports = false` skips modules with relative
  imports instead (`relative_import`).

Examples without expected output (`>>> x = f(3)`) are setup: they run in order at module level
before the checks. Examples that expect an exception are dropped (`exception_examples`: the check
program cannot express them). The reference is run once against all checks first; a check that fails
against the function's own implementation is dropped and counted in `false_checks` (stale or
order-dependent docstrings); a function left with no check is skipped (`no_passing_example`).

Bounds: `max_functions_per_module` functions per file (in file order; the rest `over_module_cap`),
`max_examples` checks per function. Units: one module file each (`<group>#<k>`). Skip reasons, per
function with doctests: `method` (methods are not labelled), `not_top_level`, `relative_import`, `eval_overlap`, `function_too_long`, `exception_examples`
(examples, not functions), `no_checked_example`, `examples_do_not_call_function`,
`setup_example_fails`, `import_fails_in_sandbox` / `module_fails_in_sandbox` (the context raised),
`no_passing_example`, and label_pool's `reference_fails_its_checks` / `no_failing_member`.
"""

from __future__ import annotations

import ast
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from codelewm.code.capsule import DEFAULT_BUDGET_CHARS, make_capsule
from codelewm.code.examples import Example, check_program, mine_examples
from codelewm.data.eval_guard import is_eval_code
from codelewm.data.labelled import (
    LABEL_LIMITS,
    LabelStats,
    LabelTask,
    Recipe,
    candidate_programs,
    label_pool,
    sandbox_labeller,
)
from codelewm.data.sources.base import SourceConfig
from codelewm.data.sources.code_functions import (
    FunctionInput,
    FunctionUnits,
    function_node,
    roots_provenance,
)
from codelewm.data.sources.files import CodeFile, read_code, stdlib_root
from codelewm.data.sources.stubs import stub_of
from codelewm.data.transition import new_transition
from codelewm.execution import ExecutionStatus, SandboxJob, TestKind, run_many
from codelewm.records import RerankPool, TransitionRecord

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
DEFAULT_EXCLUDE: tuple[str, ...] = (
    "test/*",
    "*/test/*",
    "*/tests/*",
    "*/testing/*",
    "idlelib/*",
    "lib2to3/*",
    "tkinter/*",
    "turtledemo/*",
    "ensurepip/*",
    "pydoc_data/*",
    "__phello__/*",
)
_FAILED_TEST = re.compile(r"^(?:FAIL|ERROR): test_example_(\d+)\b", re.MULTILINE)
_TRACEBACK = ("Traceback (most recent call last)", "Traceback (innermost last)")
_EXAMPLES_HEADING = re.compile(r"(?:examples?|for example|usage)\s*:*\s*$", re.IGNORECASE)


class DoctestsConfig(SourceConfig):
    kind: Literal["doctests"] = "doctests"
    code: list[Path] = Field(default_factory=list, description="roots; empty = the stdlib")
    exclude: list[str] = Field(
        default_factory=lambda: list(DEFAULT_EXCLUDE), description="fnmatch patterns on paths"
    )
    seed: int = 0
    function_fraction: float = Field(default=1.0, gt=0.0, le=1.0)
    max_functions_per_module: int = Field(default=8, ge=1)
    max_examples: int = Field(default=10, ge=1, description="checks per function")
    max_function_chars: int = 4_000
    max_instruction_chars: int = Field(default=600, ge=40)
    max_file_bytes: int = 1_000_000
    relative_imports: bool = Field(
        default=True,
        description="run modules with relative imports (against their package under the root); "
        "False skips them as `relative_import`",
    )
    mutants: int = Field(default=4, ge=0)
    sibling_bodies: int = Field(default=1, ge=0)
    capsule_budget_chars: int = DEFAULT_BUDGET_CHARS

    @property
    def files_per_unit(self) -> int:
        return 1


@dataclass(frozen=True)
class _Doctested:
    """A function whose docstring gives checks: `setup` examples run first, `checks` are tested."""

    item: FunctionInput
    node: FunctionNode
    setup: list[Example]
    checks: list[Example]


class DoctestsSource:
    name: ClassVar[str] = "doctests"
    config_model: ClassVar[type[SourceConfig]] = DoctestsConfig
    instruction_kind: ClassVar[Literal["docstring"]] = "docstring"

    def __init__(self, config: DoctestsConfig) -> None:
        self.config = config
        self.skipped: Counter[str] = Counter()
        self.label_stats = LabelStats()
        self._functions = FunctionUnits.from_config(config, self.skipped)
        self._pools: dict[str, list[RerankPool]] = {}

    def units(self) -> list[str]:
        return self._functions.units()

    def provenance(self) -> dict[str, object]:
        return roots_provenance(self.config.code)

    def iter_transitions(self, unit: str) -> Iterator[TransitionRecord]:
        items = list(self._functions.functions(unit))
        self._pools[unit] = []
        picked = [d for d in (self._doctested(item) for item in items) if d is not None]
        cap = self.config.max_functions_per_module
        self.skipped["over_module_cap"] += max(0, len(picked) - cap)
        picked = picked[:cap]
        if not picked:
            return
        file, module = picked[0].item.file, picked[0].item.module
        if not self.config.relative_imports and _has_relative_import(module):
            self.skipped["relative_import"] += len(picked)
            return
        text = read_code(file, Counter(), max_bytes=self.config.max_file_bytes)
        if text is None:
            return
        donors = [(i.canonical, i.span.qualname) for i in items if i.span.class_name is None]
        for doctested in picked:
            found = self._labelled(doctested, text, donors)
            if found is not None:
                record, pool = found
                self._pools[unit].append(pool)
                yield record

    def iter_decoy_pools(self, unit: str) -> Iterator[RerankPool]:
        yield from self._pools.pop(unit, [])

    def _doctested(self, item: FunctionInput) -> _Doctested | None:
        """The function with its setup and checks, or None (a reason counted when it has any)."""
        docstring = item.span.docstring or ""
        if ">>>" not in docstring:
            self.skipped["no_doctest"] += 1
            return None
        node = function_node(item.canonical)
        reason = self._reason(item, node)
        if reason is not None or node is None:
            self.skipped[reason or "not_top_level"] += 1
            return None
        examples = [e for e in mine_examples(docstring, node.name) if e.kind == "doctest"]
        raising = [e for e in examples if (e.want or "").startswith(_TRACEBACK)]
        self.skipped["exception_examples"] += len(raising)
        setup = [e for e in examples if not e.want]
        checks = [e for e in examples if e.want and e not in raising][: self.config.max_examples]
        if not checks:
            self.skipped["no_checked_example"] += 1
            return None
        if not any(_mentions(e.source, node.name) for e in [*setup, *checks]):
            self.skipped["examples_do_not_call_function"] += 1
            return None
        return _Doctested(item, node, setup, checks)

    def _reason(self, item: FunctionInput, node: FunctionNode | None) -> str | None:
        if item.span.class_name is not None:
            return "method"
        if node is None or _top_level(item.module, node.name, item.span.start_line) is None:
            return "not_top_level"
        if len(item.canonical) > self.config.max_function_chars:
            return "function_too_long"
        if is_eval_code(item.canonical):
            return "eval_overlap"
        return None

    def _labelled(
        self, doctested: _Doctested, text: str, donors: Sequence[tuple[str, str]]
    ) -> tuple[TransitionRecord, RerankPool] | None:
        item, node = doctested.item, doctested.node
        span = item.span
        context = module_context(item.file, text, node.name, span.start_line, span.end_line)
        if context is None:
            self.skipped["unparseable_context"] += 1
            return None
        module_name = dotted_name(item.file.rel)
        checks = self._screened(doctested, context, module_name)
        if checks is None:
            return None
        before = stub_of(node)
        capsule = make_capsule(
            item.module,
            item.span.qualname,
            before,
            item.canonical,
            budget_chars=self.config.capsule_budget_chars,
        )
        record = new_transition(
            source="doctests",
            group=item.file.group,
            path=item.file.rel,
            symbol=node.name,
            before=before,
            after=item.canonical,
            instruction=self._instruction(node),
            instruction_kind=self.instruction_kind,
            context=capsule.context,
            truncated=capsule.truncated,
            license=item.file.license,
            meta={"labelled_by": "sandbox", "checks": len(checks)},
        )
        task = LabelTask(
            task_id=f"doctests/{item.file.rel}::{node.name}",
            before=before,
            instruction=record.instruction or "",
            reference=item.canonical,
            tests=check_tests(checks, doctested.setup, module_name),
            kind=TestKind.UNITTEST,
            symbol=node.name,
            context=context,
        )
        recipe = Recipe(mutants=self.config.mutants, sibling_bodies=self.config.sibling_bodies)
        others = [d for d in donors if d[1] != node.name]
        members = candidate_programs(task, recipe, rng=item.rng, donors=others)
        pool = label_pool(
            task, members, sandbox_labeller(), self.label_stats, self.skipped, transition=record
        )
        return None if pool is None else (record, pool)

    def _screened(
        self, doctested: _Doctested, context: str, module_name: str
    ) -> list[Example] | None:
        """The checks the function's own implementation passes (the rest are `false_checks`), or
        None with the reason counted."""
        checks = doctested.checks
        job = SandboxJob(
            context + doctested.item.canonical,
            check_tests(checks, doctested.setup, module_name),
            TestKind.UNITTEST,
            None,
            f"screen:{doctested.item.file.rel}::{doctested.node.name}",
        )
        result = next(run_many([job], limits=LABEL_LIMITS, workers=1))
        self.label_stats.runs += 1
        if result.status is ExecutionStatus.PASSED:
            return checks
        failed = {int(i) for i in _FAILED_TEST.findall(result.stderr)}
        counted = (result.failures or 0) + (result.errors or 0)
        if not result.tests_run or len(failed) != counted:
            self.skipped[_failure_reason(result.detail, result.stderr)] += 1
            return None
        self.skipped["false_checks"] += len(failed)
        kept = [e for i, e in enumerate(checks) if i not in failed]
        if not kept:
            self.skipped["no_passing_example"] += 1
            return None
        return kept

    def _instruction(self, node: FunctionNode) -> str:
        docstring = ast.get_docstring(node, clean=True) or ""
        lines: list[str] = []
        for line in docstring.splitlines():
            if line.lstrip().startswith(">>>"):
                break
            lines.append(line)
        while lines and (not lines[-1].strip() or _EXAMPLES_HEADING.fullmatch(lines[-1].strip())):
            lines.pop()
        text = " ".join(" ".join(lines).split())
        return f"Implement `{node.name}`: {text}"[: self.config.max_instruction_chars].rstrip()


def dotted_name(rel: str) -> str:
    """`json/decoder.py` -> `json.decoder`; `email/__init__.py` -> `email`."""
    parts = rel.removesuffix(".py").split("/")
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def package_name(rel: str) -> str:
    """The package a module's relative imports resolve against: `json/decoder.py` -> `json`,
    `email/__init__.py` -> `email`, `heapq.py` -> ``."""
    parts = rel.removesuffix(".py").split("/")
    return ".".join(parts[:-1])  # a package's `__init__` resolves against itself, like a module


def _root_of(file: CodeFile) -> Path:
    root = file.path
    for _ in file.rel.split("/"):
        root = root.parent
    return root


def module_context(
    file: CodeFile, text: str, name: str, start_line: int, end_line: int
) -> str | None:
    """The module's source with function `name` (lines `start_line..end_line`) replaced by a
    forwarding stub, run under the module's name, package and file, the root first on `sys.path`
    unless it is the stdlib; None when the result does not parse.

    The stub calls whatever `name` is bound to when it is called: module code that captured the
    function at import (`reader=read_uint1` in a table) reaches the member appended after the
    module, never the original; a call at import time recurses and fails the run."""
    lines = io.StringIO(text, newline="").readlines()  # ast's line breaks, not str.splitlines's
    lines[start_line - 1 : end_line] = [
        f"def {name}(*args, **kwargs):  # forwards to the member defined after the module\n",
        f"    return globals()[{name!r}](*args, **kwargs)\n",
    ]
    rest = "".join(lines)
    try:
        tree = ast.parse(rest)
    except (SyntaxError, ValueError):
        return None
    future_end = 0  # `from __future__` imports must stay first
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            future_end = stmt.end_lineno or stmt.lineno
    root = _root_of(file)
    prelude = [
        "import sys as _codelewm_sys\n",
        f"__name__ = {dotted_name(file.rel)!r}\n",
        f"__file__ = {str(file.path)!r}\n",
        f"__package__ = {package_name(file.rel)!r}\n",
    ]
    if root.resolve() != stdlib_root():
        prelude.append(f"_codelewm_sys.path.insert(0, {str(root)!r})\n")
    prelude.extend(_REEXECUTION_PRELUDES.get(file.rel.split("/", 1)[0], ()))
    head, tail = lines[:future_end], lines[future_end:]
    if head and not head[-1].endswith("\n"):
        head[-1] += "\n"
    program = "".join([*head, *prelude, *tail])
    return program if program.endswith("\n") else program + "\n"


# Packages whose import-time registries refuse a module's second execution: the context re-runs a
# module the package has already imported (its `__init__` imports it), so every decorated function
# registers twice. networkx's `_dispatchable` raises KeyError on a name it holds; the prelude imports
# the package first (its own registrations happen once, against the original files), then gives the
# dispatcher a registry that accepts the module's second registration of a name (the later one wins,
# as a plain rebinding would). Without it ~370 networkx functions end as `module_fails_in_sandbox`.
_REEXECUTION_PRELUDES: dict[str, tuple[str, ...]] = {
    "networkx": (
        "import networkx as _codelewm_nx\n",
        "class _CodelewmRegistry(dict):\n",
        "    def __contains__(self, key):\n",
        "        return False\n",
        "_codelewm_nx.utils.backends._registered_algorithms = _CodelewmRegistry(\n",
        "    _codelewm_nx.utils.backends._registered_algorithms\n",
        ")\n",
    ),
}


def check_tests(checks: list[Example], setup: list[Example], module_name: str) -> str:
    """The test module: `check_program` of the checks, then the module name bound to the run's
    namespace (imports of the module get the candidate) and the setup examples, in order."""
    lines = [
        check_program(checks),
        f"_codelewm_sys.modules[{module_name!r}] = _codelewm_sys.modules['__candidate__']\n",
        *(e.source if e.source.endswith("\n") else e.source + "\n" for e in setup),
    ]
    return "".join(lines)


def _failure_reason(detail: str, stderr: str) -> str:
    """Why a run stopped before the checks: a setup example (its frames are `<tests>`), an import
    of the module, or other module code."""
    if '"<tests>"' in stderr:
        return "setup_example_fails"
    if "ImportError" in detail or "ModuleNotFoundError" in detail:
        return "import_fails_in_sandbox"
    return "module_fails_in_sandbox"


def _mentions(source: str, name: str) -> bool:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return name in source
    return any(
        (isinstance(n, ast.Name) and n.id == name)
        or (isinstance(n, ast.Attribute) and n.attr == name)
        for n in ast.walk(tree)
    )


def _has_relative_import(module: ast.Module) -> bool:
    return any(isinstance(n, ast.ImportFrom) and n.level > 0 for n in ast.walk(module))


def _top_level(module: ast.Module, name: str, start_line: int) -> FunctionNode | None:
    """The module-level def of `name` that starts (first decorator included) at `start_line`."""
    for stmt in module.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
            first = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)])
            if first == start_line:
                return stmt
    return None
