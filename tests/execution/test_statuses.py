"""Statuses of well-behaved and ordinary broken candidates, both test styles, double runs, the record."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from codelewm.execution import (
    ExecutionResult,
    ExecutionStatus,
    Limits,
    Policy,
    SandboxJob,
    TestKind,
    run_candidate,
    run_many,
)
from codelewm.records import ExecutionSummary

ADD = "def add(a, b):\n    return a + b\n"
ADD_WRONG = "def add(a, b):\n    return a - b\n"
HUMANEVAL_TESTS = (
    "METADATA = {}\n\n"
    "def check(candidate):\n"
    "    assert candidate(1, 2) == 3\n"
    "    assert candidate(-1, 1) == 0\n"
)
UNITTEST_TESTS = (
    "import unittest\n\n"
    "class TestAdd(unittest.TestCase):\n"
    "    def test_small(self):\n"
    "        self.assertEqual(add(1, 2), 3)\n\n"
    "    def test_zero(self):\n"
    "        self.assertEqual(add(0, 0), 0)\n"
)


def test_correct_candidate_passes(fast: Limits) -> None:
    result = run_candidate(ADD, tests="assert add(2, 3) == 5\nprint('ok')", limits=fast)
    assert result.status is ExecutionStatus.PASSED
    assert result.passed
    assert result.exit_code == 0
    assert result.stdout == "ok\n"
    assert result.violations == []


def test_wrong_candidate_fails(fast: Limits) -> None:
    result = run_candidate(ADD_WRONG, tests="assert add(2, 3) == 5, 'sum'", limits=fast)
    assert result.status is ExecutionStatus.FAILED
    assert result.detail == "AssertionError: sum"


def test_syntax_error_is_error(fast: Limits) -> None:
    result = run_candidate("def add(a, b)\n    return a + b\n", tests="assert True", limits=fast)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail.splitlines()[0] == 'File "<candidate>", line 1'
    assert result.detail.splitlines()[-1] == "SyntaxError: expected ':'"


def test_other_exception_is_error(fast: Limits) -> None:
    result = run_candidate(ADD, tests="add(1, None)", limits=fast)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail.startswith("TypeError: unsupported operand")


def test_humaneval_style_check_is_called_with_the_entry_point(fast: Limits) -> None:
    good = run_candidate(ADD, tests=HUMANEVAL_TESTS, entry_point="add", limits=fast)
    bad = run_candidate(ADD_WRONG, tests=HUMANEVAL_TESTS, entry_point="add", limits=fast)
    missing = run_candidate(ADD, tests=HUMANEVAL_TESTS, entry_point="plus", limits=fast)
    assert good.status is ExecutionStatus.PASSED
    assert bad.status is ExecutionStatus.FAILED
    assert missing.status is ExecutionStatus.ERROR
    assert missing.detail == "entry point 'plus' is not defined"


def test_unittest_style(fast: Limits) -> None:
    kind = TestKind.UNITTEST
    good = run_candidate(ADD, tests=UNITTEST_TESTS, kind=kind, limits=fast)
    bad = run_candidate(ADD_WRONG, tests=UNITTEST_TESTS, kind=kind, limits=fast)
    crash = run_candidate(
        "def add(a, b):\n    raise KeyError(a)\n", tests=UNITTEST_TESTS, kind=kind
    )
    empty = run_candidate(ADD, tests="import unittest\n", kind=kind, limits=fast)
    assert (good.status, good.tests_run, good.failures, good.errors) == ("passed", 2, 0, 0)
    assert (bad.status, bad.tests_run, bad.failures, bad.errors) == ("failed", 2, 1, 0)
    assert (crash.status, crash.tests_run, crash.failures, crash.errors) == ("error", 2, 0, 2)
    assert crash.detail == "KeyError: 1"
    assert (empty.status, empty.detail) == ("error", "no unittest.TestCase tests were found")


def test_unittest_exit_inside_a_test_is_an_error(fast: Limits) -> None:
    tests = "import sys, unittest\nclass T(unittest.TestCase):\n    def test_x(self):\n        sys.exit(0)\n"
    result = run_candidate(ADD, tests=tests, kind=TestKind.UNITTEST, limits=fast)
    assert result.status is ExecutionStatus.ERROR
    assert result.errors == 1


@pytest.mark.parametrize(
    ("program", "detail"),
    [
        ("import sys\nsys.exit(0)\n", "exited before the tests finished (SystemExit: 0)"),
        ("raise SystemExit\n", "exited before the tests finished (SystemExit: None)"),
        ("import os\nos._exit(0)\n", "exited with code 0 before the tests finished"),
        ("import os\nos._exit(3)\n", "exited with code 3 before the tests finished"),
    ],
)
def test_exiting_before_the_tests_is_never_a_pass(fast: Limits, program: str, detail: str) -> None:
    result = run_candidate(ADD + program, tests="assert add(1, 1) == 2", limits=fast)
    assert result.status is ExecutionStatus.ERROR
    assert result.detail == detail


def test_exit_inside_the_tests_is_not_a_pass(fast: Limits) -> None:
    result = run_candidate(ADD, tests="import os\nos._exit(0)\nassert add(1, 1) == 3", limits=fast)
    assert result.status is ExecutionStatus.ERROR


def test_faked_end_of_output_is_not_a_pass(fast: Limits) -> None:
    program = "import os, sys\nprint('passed')\nsys.stdout.flush()\nos._exit(0)\n"
    result = run_candidate(program, tests="assert False", limits=fast)
    assert result.status is ExecutionStatus.ERROR


def test_double_run_flags_nondeterminism(fast: Limits) -> None:
    random = run_candidate("import random\nprint(random.random())", tests="", double_run=True)
    stable = run_candidate("print(sorted({'b', 'a'}), {'x', 'y', 'z'})", tests="", double_run=True)
    single = run_candidate("print(1)", tests="", limits=fast)
    assert (random.status, random.deterministic, random.nondeterminism) == (
        "passed",
        False,
        ["stdout"],
    )
    assert (stable.status, stable.deterministic, stable.nondeterminism) == ("passed", True, [])
    assert single.deterministic is None


def test_run_many_keeps_job_order_and_ids(fast: Limits) -> None:
    jobs = [
        SandboxJob(ADD, "assert add(1, 2) == 3", job_id="good"),
        SandboxJob(ADD_WRONG, "assert add(1, 2) == 3", job_id="bad"),
        SandboxJob("syntax error(", "", job_id="broken"),
    ]
    results = list(run_many(jobs, limits=fast, workers=2))
    assert [(r.job_id, r.status) for r in results] == [
        ("good", ExecutionStatus.PASSED),
        ("bad", ExecutionStatus.FAILED),
        ("broken", ExecutionStatus.ERROR),
    ]


def test_result_is_a_versioned_record(fast: Limits) -> None:
    result = run_candidate(ADD, tests="assert add(1, 1) == 2", limits=fast, job_id="j1")
    payload = json.loads(result.model_dump_json())
    assert payload["schema_version"] == "codelewm.execution_result.v1"
    assert payload["status"] == "passed"
    assert ExecutionResult.model_validate(payload) == result
    assert {"process_group", "rlimits", "tmp_cwd", "scrubbed_env", "audit_hook"} <= set(
        result.isolation
    )
    summary = result.summary()
    assert isinstance(summary, ExecutionSummary)
    assert (summary.status, summary.isolation) == ("passed", result.isolation)


def test_policy_refuses_secret_looking_env_names() -> None:
    with pytest.raises(ValidationError, match="OPENROUTER_API_KEY"):
        Policy(extra_env={"OPENROUTER_API_KEY": "x"})
    assert Policy(extra_env={"MY_FLAG": "1"}).extra_env == {"MY_FLAG": "1"}


def test_site_packages_are_off_by_default(fast: Limits) -> None:
    program = "import numpy\n"
    off = run_candidate(program, tests="", limits=fast)
    on = run_candidate(program, tests="", limits=fast, policy=Policy(site_packages=True))
    assert (off.status, off.detail) == ("error", "ModuleNotFoundError: No module named 'numpy'")
    assert on.status is ExecutionStatus.PASSED


def test_unittest_memory_error_and_violation(fast: Limits) -> None:
    hog = (
        "import unittest\n"
        "class T(unittest.TestCase):\n"
        "    def test_hog(self):\n"
        "        bytearray(1 << 40)\n"
    )
    net = (
        "import socket, unittest\n"
        "class T(unittest.TestCase):\n"
        "    def test_net(self):\n"
        "        socket.create_connection(('127.0.0.1', 9))\n"
    )
    memory = run_candidate("", tests=hog, kind=TestKind.UNITTEST, limits=fast)
    violation = run_candidate("", tests=net, kind=TestKind.UNITTEST, limits=fast)
    assert (memory.status, memory.detail) == ("memory", "a test raised MemoryError")
    assert violation.status is ExecutionStatus.POLICY_VIOLATION
    assert violation.violations == ["socket.getaddrinfo (network is denied)"]


def test_limits_are_validated() -> None:
    with pytest.raises(ValidationError):
        Limits(wall_s=0)
    with pytest.raises(ValidationError):
        Limits(unknown=1)  # type: ignore[call-arg]
