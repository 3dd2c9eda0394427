"""Resource limits and policy of one sandbox run: explicit, validated, echoed in every result."""

from __future__ import annotations

import math
import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

_SECRET_NAME = re.compile(
    r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE", re.IGNORECASE
)


class TestKind(StrEnum):
    """How the tests are run after the candidate.

    `script`: the tests are plain Python run in the candidate's namespace (bare `assert`s); with an
    `entry_point` they must define `check(candidate)`, which is then called with that function
    (human-eval style). `unittest`: every `unittest.TestCase` in the namespace is run
    (dataframebench style).
    """

    __test__ = False  # not a pytest test class

    SCRIPT = "script"
    UNITTEST = "unittest"


class Limits(BaseModel):
    """Per-run resource limits (rlimits are set in the child before the candidate runs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wall_s: float = Field(default=10.0, gt=0, description="wall-clock limit; then SIGTERM, SIGKILL")
    cpu_s: int = Field(default=5, ge=1, description="RLIMIT_CPU soft limit (hard = soft + 1)")
    memory_mb: int = Field(default=1024, ge=64, description="RLIMIT_AS (address space)")
    file_size_mb: int = Field(default=16, ge=1, description="RLIMIT_FSIZE")
    disk_mb: int = Field(
        default=64, ge=1, description="size of the run's private tmpfs /tmp (where it applies)"
    )
    max_processes: int = Field(
        default=16, ge=1, description="processes and threads the candidate may add (RLIMIT_NPROC)"
    )
    open_files: int = Field(default=256, ge=16, description="RLIMIT_NOFILE")
    max_output_bytes: int = Field(
        default=64 * 1024, ge=1024, description="kept per stream (stdout, stderr)"
    )
    grace_s: float = Field(default=0.5, ge=0, description="time between SIGTERM and SIGKILL")

    def scaled_to(
        self, reference_s: float, *, factor: float = 4.0, minimum_s: float = 1.0
    ) -> Limits:
        """These limits with wall and CPU time scaled to a reference solution's run time
        (as evalplus does): `max(minimum_s, factor * reference_s)`."""
        wall_s = max(minimum_s, factor * reference_s)
        return self.model_copy(update={"wall_s": wall_s, "cpu_s": max(1, math.ceil(wall_s))})


class Policy(BaseModel):
    """What the candidate may do. The defaults suit labelling untrusted candidates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site_packages: bool = Field(
        default=False, description="let the child import installed packages (e.g. pandas)"
    )
    allow_subprocess: bool = Field(
        default=False,
        description="let the candidate fork or spawn processes (still capped by max_processes)",
    )
    audit_hook: bool = Field(
        default=True,
        description="install the in-process audit hook (switch off only to test OS layers)",
    )
    python: str | None = Field(
        default=None,
        description="interpreter for the child (Python >= 3.11: it gets -P); None = the running one",
    )
    required_isolation: frozenset[str] = Field(
        default_factory=frozenset,
        description="isolation layers that must apply (e.g. {'netns', 'uid_drop'}); else refuse to run",
    )
    extra_env: dict[str, str] = Field(
        default_factory=dict, description="added to the allowlisted environment; no secret names"
    )

    @field_validator("extra_env")
    @classmethod
    def _no_secret_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(name for name in value if _SECRET_NAME.search(name))
        if bad:
            raise ValueError(f"environment names that look like secrets are refused: {bad}")
        return value
