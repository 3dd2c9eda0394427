"""Correctness-grounded training pools: a task's reference plus realistic wrong programs, labelled by
running them against the task's own checks in the execution sandbox at build time.

A `LabelTask` is one problem with a reference program that passes its checks (exercism tests,
QuixBugs test cases, a function's own doctest examples). `candidate_programs` derives the pool's other
members from the reference, the way wrong samples of a code model look:

- `mutant:<op>`     seeded single-point mutants (`code.mutations`), drawn round-robin over operators;
- `truncated`       the target function keeps only the first half of its body's statements;
- `no_edge_case`    the first early-exit branch (`if ...: return/raise`, no `else`) is removed;
- `constant_return` the body is replaced by a constant return (`None`, or the first parameter);
- `sibling_body`    another task's function body with its parameters renamed to fit the signature;
- `undefined_name`  one use of a local name replaced by a near-miss spelling nobody defines;
- `cut_off`         the text stops mid-line part-way through the body (a sample that hit its token
                    limit: it does not parse);
- `real_bug`        a real buggy version the task provides (QuixBugs).

Every member but `cut_off` is canonicalised (`ast.unparse`, as mutants are), so formatting cannot
tell them apart; `cut_off` is a prefix of the canonical reference. Labels come only from running: a member that still passes is an equivalent and is labelled
passing (never a negative); one whose two runs disagree is flaky and dropped. A pool is kept when
the reference passes and at least one member fails. Pools are `codelewm.rerank_pool.v1` records
with `labelled_by = "sandbox"` and each candidate's `origin`; they ride the dataset's decoy-pool
files (`pools/<split>.decoys.jsonl`, split with their transition) and `read_labelled_pools` reads
them back. Nothing here is evaluation data: sources check the evaluation guard before labelling.
"""

from __future__ import annotations

import ast
import copy
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codelewm.code.mutations import canonical_source, mutate_function
from codelewm.data.decoys import candidate_id, transition_pool
from codelewm.data.layout import read_decoy_pools
from codelewm.errors import ParseFailureError
from codelewm.execution import ExecutionStatus, Limits, Policy, SandboxJob, TestKind, run_many
from codelewm.records import PoolCandidate, RerankPool, Split, TransitionRecord

LABELLED_BY = "sandbox"
LABEL_LIMITS = Limits(wall_s=6.0, cpu_s=4, memory_mb=1024)
_RETRY = frozenset(
    {ExecutionStatus.ERROR, ExecutionStatus.KILLED, ExecutionStatus.MEMORY, ExecutionStatus.TIMEOUT}
)


@dataclass(frozen=True)
class LabelTask:
    """One problem: the reference passes `tests`; `symbol` is the function the variants change."""

    task_id: str
    before: str
    instruction: str
    reference: str
    tests: str
    kind: TestKind
    symbol: str
    entry_point: str | None = None
    context: str = ""  # source run before the candidate (e.g. the rest of its module)
    extra: tuple[tuple[str, str], ...] = ()  # (origin, program): e.g. the real buggy version


@dataclass(frozen=True)
class Recipe:
    """How many members of each kind a pool gets."""

    mutants: int = 4
    truncated: bool = True
    no_edge_case: bool = True
    constant_return: bool = True
    sibling_bodies: int = 1
    undefined_name: bool = True
    cut_off: bool = True


@dataclass
class LabelStats:
    """Counts of what labelling did (merged into a source's skip counter by the caller)."""

    runs: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    flaky: int = 0


Labeller = Callable[[Sequence[SandboxJob]], list[ExecutionStatus]]


def sandbox_labeller(*, limits: Limits = LABEL_LIMITS, policy: Policy | None = None) -> Labeller:
    """Run each job in the execution sandbox, one at a time (the build parallelises by unit)."""

    def label(jobs: Sequence[SandboxJob]) -> list[ExecutionStatus]:
        return [r.status for r in run_many(jobs, limits=limits, policy=policy, workers=1)]

    return label


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def _body_start(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Index of the first statement after the docstring."""
    first = fn.body[0] if fn.body else None
    is_doc = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    return 1 if is_doc else 0


def _rewrite(
    program: str, symbol: str, edit: Callable[[ast.FunctionDef | ast.AsyncFunctionDef], bool]
) -> str | None:
    """`program` with `edit` applied to function `symbol` in place; None when it does not apply."""
    tree = ast.parse(program)
    fn = _function(tree, symbol)
    if fn is None or not edit(fn):
        return None
    if not fn.body:
        fn.body = [ast.Pass()]
    try:
        return ast.unparse(ast.fix_missing_locations(tree))
    except (ValueError, RecursionError):
        return None


def _truncate(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    start = _body_start(fn)
    body = fn.body[start:]
    if len(body) < 2:
        return False
    fn.body = fn.body[:start] + body[: max(1, len(body) // 2)]
    return True


def _exits(stmts: list[ast.stmt]) -> bool:
    return bool(stmts) and isinstance(stmts[-1], ast.Return | ast.Raise | ast.Continue | ast.Break)


def _drop_edge_case(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for parent in ast.walk(fn):
        for name in ("body", "orelse"):
            stmts = getattr(parent, name, None)
            if not isinstance(stmts, list):
                continue
            for i, stmt in enumerate(stmts):
                edge = isinstance(stmt, ast.If) and not stmt.orelse and _exits(stmt.body)
                if edge and len(stmts) > 1:
                    del stmts[i]
                    return True
    return False


def _constant_return(fn: ast.FunctionDef | ast.AsyncFunctionDef, *, use_arg: bool) -> bool:
    start = _body_start(fn)
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args if a.arg not in ("self", "cls")]
    if use_arg and not params:
        return False
    value: ast.expr = ast.Name(params[0], ast.Load()) if use_arg else ast.Constant(None)
    fn.body = [*fn.body[:start], ast.Return(value)]
    return True


def _undefined_name(fn: ast.FunctionDef | ast.AsyncFunctionDef, rng: random.Random) -> bool:
    """Misspell one load of a parameter or local (`total` -> `totl`): a NameError waiting to run."""
    bound = set(_params(fn)) | {
        n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    loads = [
        n
        for n in ast.walk(fn)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in bound
    ]
    if not loads:
        return False
    node = rng.choice(loads)
    name = node.id
    node.id = name[:-1] if len(name) > 2 else name + "_"
    while node.id in bound:
        node.id += "_"
    return True


def cut_off(program: str, rng: random.Random) -> str | None:
    """A prefix of `program` that ends mid-line in the second half of its text and does not parse
    (a sample that hit its token limit), or None."""
    if len(program) < 40:
        return None
    for _ in range(8):
        at = rng.randrange(len(program) // 2, len(program) - 2)
        text = program[:at].rstrip()
        if text and not text.endswith(":") and not _parses(text):
            return text
    return None


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    return [a.arg for a in fn.args.posonlyargs + fn.args.args]


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.mapping:
            node.id = self.mapping[node.id]
        return node


def sibling_body(program: str, symbol: str, donor: str, donor_symbol: str) -> str | None:
    """`program` with `symbol`'s body replaced by `donor_symbol`'s body from `donor`, the donor's
    parameters renamed to `symbol`'s (same count required); None when that does not fit."""
    try:
        donor_fn = _function(ast.parse(donor), donor_symbol)
    except (SyntaxError, ValueError, RecursionError):
        return None
    if donor_fn is None:
        return None

    def edit(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        ours, theirs = _params(fn), _params(donor_fn)
        if len(ours) != len(theirs) or not ours:
            return False
        body = [copy.deepcopy(s) for s in donor_fn.body[_body_start(donor_fn) :]]
        renamer = _Rename(dict(zip(theirs, ours, strict=True)))
        fn.body = fn.body[: _body_start(fn)] + [renamer.visit(s) for s in body]
        return bool(body)

    return _rewrite(program, symbol, edit)


def candidate_programs(
    task: LabelTask,
    recipe: Recipe,
    *,
    rng: random.Random,
    donors: Sequence[tuple[str, str]] = (),
) -> list[tuple[str, str]]:
    """(origin, canonical program) members other than the reference, distinct from it and each other.
    `donors` are (program, function name) pairs of other tasks for `sibling_body`."""
    reference = canonical_source(task.reference)
    out: list[tuple[str, str]] = []
    seen = {reference}

    def add(origin: str, code: str | None) -> None:
        if code is None:
            return
        try:
            canon = canonical_source(code)
        except ParseFailureError:
            return
        if canon not in seen:
            seen.add(canon)
            out.append((origin, canon))

    for origin, program in task.extra:
        add(origin, program)
    if recipe.truncated:
        add("truncated", _rewrite(reference, task.symbol, _truncate))
    if recipe.no_edge_case:
        add("no_edge_case", _rewrite(reference, task.symbol, _drop_edge_case))
    if recipe.constant_return:
        use_arg = rng.random() < 0.5
        add(
            "constant_return",
            _rewrite(reference, task.symbol, lambda fn: _constant_return(fn, use_arg=use_arg)),
        )
    if recipe.undefined_name:
        add("undefined_name", _rewrite(reference, task.symbol, lambda fn: _undefined_name(fn, rng)))
    if recipe.cut_off:
        text = cut_off(reference, rng)
        if text is not None and text not in seen:
            seen.add(text)
            out.append(("cut_off", text))  # deliberately not canonical: it does not parse
    picks = list(donors)
    rng.shuffle(picks)
    taken = 0
    for donor, donor_symbol in picks:
        if taken >= recipe.sibling_bodies:
            break
        code = sibling_body(reference, task.symbol, donor, donor_symbol)
        if code is not None:
            add("sibling_body", code)
            taken += 1
    try:
        mutants = mutate_function(reference, rng=rng, max_mutants=recipe.mutants)
    except (ParseFailureError, RecursionError, ValueError):
        mutants = []
    for mutant in mutants:
        add(f"mutant:{mutant.op}", mutant.code)
    return out


def _statuses(
    label: Labeller, jobs: list[SandboxJob], stats: LabelStats
) -> list[ExecutionStatus | None]:
    """Statuses; an error/timeout/kill/memory run is repeated and a disagreement is None (flaky)."""
    first = label(jobs) if jobs else []
    stats.runs += len(jobs)
    statuses: list[ExecutionStatus | None] = list(first)
    again = [i for i, s in enumerate(first) if s in _RETRY]
    if again:
        second = label([jobs[i] for i in again])
        stats.runs += len(again)
        for i, status in zip(again, second, strict=True):
            if status != first[i]:
                statuses[i] = None
                stats.flaky += 1
    for outcome in statuses:
        stats.statuses[outcome.value if outcome else "flaky"] += 1
    return statuses


def label_pool(
    task: LabelTask,
    members: list[tuple[str, str]],
    label: Labeller,
    stats: LabelStats,
    skipped: Counter[str],
    *,
    transition: TransitionRecord,
) -> RerankPool | None:
    """The task's labelled pool, or None with the reason counted in `skipped`."""
    reference = canonical_source(task.reference)
    programs = [reference] + [code for _, code in members]

    def job(code: str, index: int) -> SandboxJob:
        return SandboxJob(
            task.context + code, task.tests, task.kind, task.entry_point, f"{task.task_id}#{index}"
        )

    statuses = _statuses(label, [job(c, i) for i, c in enumerate(programs)], stats)
    if statuses[0] is not ExecutionStatus.PASSED:
        skipped["reference_fails_its_checks"] += 1
        return None
    kept = [
        (origin, code, status is ExecutionStatus.PASSED)
        for (origin, code), status in zip(
            [("reference", reference), *members], statuses, strict=True
        )
        if status is not None
    ]
    if all(ok for _, _, ok in kept):
        skipped["no_failing_member"] += 1
        return None
    pool_id = "labelled-" + transition.transition_id
    candidates = [
        PoolCandidate(
            candidate_id=candidate_id(pool_id, code),
            code=code,
            passed=ok,
            origin=origin,
            decoy_kind="true" if origin == "reference" else origin,
        )
        for origin, code, ok in kept
    ]
    return transition_pool(pool_id, transition, candidates, labelled_by=LABELLED_BY)


def read_labelled_pools(root: Path, split: Split) -> Iterator[RerankPool]:
    """The sandbox-labelled pools of a dataset split (decoy pools of other sources are skipped)."""
    for pool in read_decoy_pools(root, split):
        if getattr(pool, "labelled_by", None) == LABELLED_BY:
            yield pool
