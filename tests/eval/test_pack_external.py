"""External pools: validated, unlabelled candidates labelled by their pool's tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codelewm.cli.app import app
from codelewm.eval.packs import PoolTests, label_external
from codelewm.eval.pools import read_pool_file, write_pool_file
from codelewm.execution import ExecutionStatus, SandboxJob
from codelewm.records import PoolCandidate, RerankPool

BEFORE = "def inc(x):\n    return x\n"
PATCH = "--- a.py\n+++ a.py\n@@ -1,2 +1,2 @@\n def inc(x):\n-    return x\n+    return x + 1\n"


def _pool() -> RerankPool:
    return RerankPool(
        pool_id="p",
        before=BEFORE,
        instruction="add one",
        candidates=[
            PoolCandidate(candidate_id="p#patch", code=PATCH),
            PoolCandidate(candidate_id="p#same", code=BEFORE),
            PoolCandidate(candidate_id="p#known", code="x", passed=False),
        ],
    )


def test_patches_are_applied_and_only_unlabelled_candidates_run() -> None:
    ran: list[str] = []

    def label(jobs: Sequence[SandboxJob]) -> list[ExecutionStatus]:
        ran.extend(job.program for job in jobs)
        return [
            ExecutionStatus.PASSED if "x + 1" in job.program else ExecutionStatus.FAILED
            for job in jobs
        ]

    tests = {"p": PoolTests(pool_id="p", tests="assert inc(1) == 2\n")}
    (pool,), stats = label_external([_pool()], tests, label)
    assert [(c.candidate_id, c.passed) for c in pool.candidates] == [
        ("p#patch", True),
        ("p#same", False),
        ("p#known", False),
    ]
    assert ran == ["def inc(x):\n    return x + 1\n", BEFORE]
    assert stats.sandbox_runs == 2


def test_cli_labels_an_external_file_in_the_sandbox(tmp_path: Path) -> None:
    pools, tests, out = tmp_path / "in.jsonl", tmp_path / "tests.jsonl", tmp_path / "out.jsonl"
    write_pool_file(pools, [_pool()])
    tests.write_text(json.dumps({"pool_id": "p", "tests": "assert inc(1) == 2\n"}) + "\n")
    args = [
        "eval",
        "downstream-pack",
        "--kind",
        "external",
        "--pools",
        str(pools),
        "--tests",
        str(tests),
        "--out",
        str(out),
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (pool,) = read_pool_file(out)
    assert [c.passed for c in pool.candidates] == [True, False, False]
    assert json.loads(result.stdout)["stats"]["sandbox_runs"] == 2


def test_a_missing_devset_file_says_where_the_pools_ship(tmp_path: Path) -> None:
    from codelewm.errors import SourceUnavailableError
    from codelewm.eval.packs import DEVSET_FILE, devset_pools

    with pytest.raises(SourceUnavailableError) as caught:
        devset_pools(tmp_path / "missing.jsonl")
    assert str(DEVSET_FILE) in caught.value.remediation
    assert "downstream-pack" not in caught.value.remediation  # not the command that was just run
