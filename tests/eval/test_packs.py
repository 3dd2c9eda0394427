"""WS-D pack building with a fake labeller (the sandbox has its own tests), and task sources."""

from __future__ import annotations

import ast
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from codelewm.errors import InputError
from codelewm.eval.packs import (
    PackStats,
    Task,
    build_pools,
    dataframebench_tasks,
    dataframebench_train_tasks,
    mbpp_entry_point,
    mbpp_stub,
    task_text,
)
from codelewm.execution import ExecutionStatus, SandboxJob, TestKind

SOURCE = """def clamp(x, lo, hi):
    '''Clamp x into [lo, hi].'''
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x
"""
TASK = Task(
    task_id="t/1",
    before="def clamp(x, lo, hi):\n    '''Clamp.'''\n",
    instruction="Clamp.",
    references=(SOURCE,),
    tests="",
)


def _all_but_reference_fail(jobs: Sequence[SandboxJob]) -> list[ExecutionStatus]:
    canonical = ast.unparse(ast.parse(SOURCE))
    return [
        ExecutionStatus.PASSED if job.program == canonical else ExecutionStatus.FAILED
        for job in jobs
    ]


def test_pool_has_the_canonical_reference_and_five_failing_mutants() -> None:
    pools, stats = build_pools([TASK], _all_but_reference_fail, seed=17)
    (pool,) = pools
    assert len(pool.candidates) == 6
    assert [c.passed for c in pool.candidates].count(True) == 1
    for candidate in pool.candidates:  # every candidate is ast.unparse output: no formatting cue
        assert candidate.code == ast.unparse(ast.parse(candidate.code))
    assert [c.candidate_id for c in pool.candidates] == sorted(
        c.candidate_id for c in pool.candidates
    )
    assert stats.kept == 1 and stats.pool_sizes == {"6": 1}
    assert stats.sandbox_runs == 1 + 6  # the reference, then one chunk of mutants sufficed


def test_tasks_are_dropped_with_reasons() -> None:
    def everything_passes(jobs: Sequence[SandboxJob]) -> list[ExecutionStatus]:
        return [ExecutionStatus.PASSED] * len(jobs)

    def everything_fails(jobs: Sequence[SandboxJob]) -> list[ExecutionStatus]:
        return [ExecutionStatus.FAILED] * len(jobs)

    pools, stats = build_pools([TASK], everything_passes)
    assert pools == [] and stats.dropped == {"fewer than 3 failing mutants": 1}
    pools, stats = build_pools([TASK], everything_fails)
    assert pools == [] and stats.dropped == {"reference fails its tests: failed": 1}
    assert isinstance(stats, PackStats)


def test_task_text_stops_at_examples() -> None:
    doc = "Return the sum.\nOf two numbers.\n>>> add(1, 2)\n3\n"
    assert task_text(doc) == "Return the sum. Of two numbers."
    assert task_text("Sort it.\n\nFor example:\nsort([2, 1]) == [1, 2]") == "Sort it."


def test_mbpp_stub_and_entry_point() -> None:
    code = "import math\ndef helper(a):\n    return a\ndef area(r):\n    return math.pi * r * r\n"
    tests = ["assert math.isclose(area(1), 3.14159, rel_tol=1e-3)"]
    assert mbpp_entry_point(code, tests) == "area"
    assert mbpp_stub(code, "area", "Find the area.") == 'def area(r):\n    """Find the area."""\n'


def test_dataframebench_tasks_read_from_the_wheel(tmp_path: Path) -> None:
    record = {
        "task_id": "DFB/T0001",
        "entry_point": "task_func",
        "prompt_parts": {
            "statement": "Count  rows.",
            "stub": "{library_import}\ndef task_func(df):\n    '''Count.'''\n",
        },
        "ground_truth": {
            "pandas": "def task_func(df):\n    return len(df)\n",
            "polars": "def task_func(df):\n    return df.height\n",
            "pandas_source": "x",
        },
        "test_code": "import unittest\n",
    }
    wheel = tmp_path / "dataframebench-0.1.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("dataframebench/data/val.jsonl", json.dumps(record) + "\n")
        archive.writestr("dataframebench/data/test.jsonl", "")
    (task,) = dataframebench_tasks(wheel)
    assert task.before == "def task_func(df):\n    '''Count.'''\n"
    assert task.instruction == "Count rows."
    assert len(task.references) == 2 and task.kind is TestKind.UNITTEST


def test_errors_are_confirmed_and_flaky_mutants_are_kept_out() -> None:
    canonical = ast.unparse(ast.parse(SOURCE))
    seen: dict[str, int] = {}
    order: list[str] = []

    def hiccup(jobs: Sequence[SandboxJob]) -> list[ExecutionStatus]:
        """The reference passes; every mutant errors on its first run; on the re-run the first
        mutant passes (a hiccup, so flaky) and the others error again (a real failure)."""
        out = []
        for job in jobs:
            seen[job.program] = seen.get(job.program, 0) + 1
            if job.program not in order:
                order.append(job.program)
            rerun_of_first_mutant = seen[job.program] == 2 and job.program == order[1]
            passes = job.program == canonical or rerun_of_first_mutant
            out.append(ExecutionStatus.PASSED if passes else ExecutionStatus.ERROR)
        return out

    pools, stats = build_pools([TASK], hiccup, seed=17)
    (pool,) = pools
    assert stats.flaky == 1
    assert len(pool.candidates) == 6  # 1 reference + 5 confirmed failures (the flaky one left out)
    assert [c.passed for c in pool.candidates].count(True) == 1


def test_dataframebench_train_is_packed_alone_and_without_evaluation_tasks(tmp_path: Path) -> None:
    def record(task_id: str, body: str) -> str:
        polars = f"def task_func(df):\n    return df.height or {task_id!r}\n"
        truth = {"pandas": f"def task_func(df):\n    return {body}\n", "polars": polars}
        stub = f"def task_func(df):\n    {task_id!r}\n"
        return json.dumps(
            {
                "task_id": task_id,
                "prompt_parts": {"statement": "S.", "stub": stub},
                "ground_truth": truth,
                "test_code": "import unittest\n",
            }
        )

    wheel = tmp_path / "dataframebench-0.1.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("dataframebench/data/val.jsonl", record("DFB/V1", "len(df)") + "\n")
        archive.writestr("dataframebench/data/test.jsonl", "")
        train = [record("DFB/T1", "df.shape[0]"), record("DFB/T2", "len(  df )")]
        archive.writestr("dataframebench/data/train.jsonl", "\n".join(train) + "\n")
    # T2's pandas reference is V1's once normalised: a val task never reaches calibration
    kept, dropped = dataframebench_train_tasks(wheel)
    assert [t.task_id for t in kept] == ["dataframebench/DFB/T1"] and dropped == 1
    assert kept[0].source["split"] == "train"
    with pytest.raises(InputError, match="never in one pool file"):
        dataframebench_tasks(wheel, ("train", "val"))
