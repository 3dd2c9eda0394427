"""The execution sandbox: run untrusted candidates against tests, for labelling and opt-in test runs.

Torch-free and never imported by `scoring/`. See `sandbox.py` for what it protects against and what
it does not.
"""

from __future__ import annotations

from codelewm.execution.config import Limits, Policy, TestKind
from codelewm.execution.result import ExecutionResult, ExecutionStatus
from codelewm.execution.sandbox import SandboxJob, run_candidate, run_job, run_many

__all__ = [
    "ExecutionResult",
    "ExecutionStatus",
    "Limits",
    "Policy",
    "SandboxJob",
    "TestKind",
    "run_candidate",
    "run_job",
    "run_many",
]
