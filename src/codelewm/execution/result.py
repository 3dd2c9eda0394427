"""The typed result of one sandbox run (`codelewm.execution_result.v1`) and its status enum."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from codelewm.execution.config import Limits, Policy
from codelewm.records import ExecutionSummary, Record


class ExecutionStatus(StrEnum):
    """How a run ended; the first matching rule wins.

    - `policy_violation`: the audit hook denied an operation (even if the candidate caught the
      `PermissionError`, and even if the run then timed out).
    - `timeout`: the wall-clock limit was hit (the group was terminated, then killed), or the
      process died of the CPU limit (SIGXCPU, or SIGKILL at the hard CPU limit is reported as
      `killed`: the kernel does not say why it sent SIGKILL).
    - `passed`: the harness ran the candidate, then the tests, reported success, and exited 0.
      A candidate that calls `sys.exit(0)` or `os._exit(0)` before the tests finish is `error`.
    - `failed`: an `AssertionError`, or unittest failures (and no unittest errors).
    - `memory`: a `MemoryError` (RLIMIT_AS reached).
    - `error`: any other exception (syntax errors included), an early exit, a missing entry point,
      no unittest tests found, or an exit without a result.
    - `killed`: ended by any other signal (SIGKILL from outside, SIGSEGV, ...).
    """

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    KILLED = "killed"
    POLICY_VIOLATION = "policy_violation"


class ExecutionResult(Record):
    """One run of one candidate against its tests (`codelewm.execution_result.v1`)."""

    schema_version: Literal["codelewm.execution_result.v1"] = "codelewm.execution_result.v1"
    job_id: str | None = None
    status: ExecutionStatus
    detail: str = Field(default="", description="exception or reason, redacted")
    isolation: list[str] = Field(description="isolation layers that applied to this run")
    caveats: list[str] = Field(default_factory=list, description="known weaknesses of this run")
    duration_s: float
    exit_code: int | None = Field(default=None, description="negative: killed by that signal")
    signal: str | None = None
    tests_run: int | None = None
    failures: int | None = None
    errors: int | None = None
    violations: list[str] = Field(default_factory=list)
    stdout: str = Field(default="", description="first max_output_bytes, decoded and redacted")
    stderr: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    stdout_sha256: str = Field(description="sha256 of the whole stdout stream, before truncation")
    deterministic: bool | None = Field(
        default=None, description="None: no double run; else both runs agreed on status and stdout"
    )
    nondeterminism: list[str] = Field(default_factory=list, description="what differed")
    limits: Limits
    policy: Policy

    @property
    def passed(self) -> bool:
        return self.status is ExecutionStatus.PASSED

    def summary(self, checks: str = "tests") -> ExecutionSummary:
        passed = None
        if self.tests_run:
            passed = max(0, self.tests_run - (self.failures or 0) - (self.errors or 0))
        fraction = passed / self.tests_run if passed is not None and self.tests_run else None
        if fraction is None:
            fraction = 1.0 if self.passed else 0.0
        return ExecutionSummary(
            status=self.status.value,
            isolation=list(self.isolation),
            duration_s=self.duration_s,
            checks=checks,
            tests_run=self.tests_run,
            tests_passed=passed,
            passed_fraction=fraction,
        )
