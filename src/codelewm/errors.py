"""The typed exception hierarchy. Every error says how to fix it; the CLI maps each class to an exit code.

Library code raises these and never prints or exits. `cli/` turns them into a one-line message with a
remediation on stderr, or a `codelewm.error.v1` JSON object with `--json`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented process exit codes (README, docs/USAGE.md)."""

    OK = 0
    BAD_INPUT = 2
    SOURCE_UNAVAILABLE = 3
    PARSE_FAILURE = 4
    CHECKPOINT_REFUSED = 5
    GATE_FAILED = 6
    INTERNAL = 70
    INTERRUPTED = 130


class CodeLeWMError(Exception):
    """Base class: a message plus a remediation hint, mapped to an exit code."""

    exit_code: ExitCode = ExitCode.INTERNAL
    default_remediation: str = (
        "This is a bug in codelewm; please report it with the command you ran."
    )

    def __init__(self, message: str, *, remediation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation or self.default_remediation

    @property
    def error_type(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        return self.message


class InputError(CodeLeWMError):
    """Bad user input: a missing file, a malformed argument, a refused patch."""

    exit_code = ExitCode.BAD_INPUT
    default_remediation = "Check the arguments and input files (see `codelewm COMMAND --help`)."


class ConfigError(InputError):
    """A config file that does not parse or does not validate."""

    default_remediation = (
        "Fix the config file; unknown keys are errors (see configs/ for examples)."
    )


class PatchError(InputError):
    """A unified diff that is refused or does not apply to the before."""

    default_remediation = "Give a unified diff against the before file only (no renames, binaries or paths outside it)."


class MalformedPatchError(PatchError):
    """Text that is not a usable unified diff: empty, no hunks, bad counts, invalid UTF-8."""

    default_remediation = "Give a unified diff (`diff -u` / `git diff` output) with `---`/`+++` headers and `@@` hunks."


class PatchRefusedError(PatchError):
    """A well-formed diff that asks for something refused: paths outside the before, other files,
    renames, copies, mode changes, symlinks, binaries, deletions, or a patch over the size limits."""


class HunkMismatchError(PatchError):
    """A hunk whose context or removed lines are not found in the before."""

    default_remediation = (
        "Regenerate the patch against this exact before (context lines must match; no fuzz)."
    )


class CandidateRefusedError(InputError):
    """A candidate that is kept but not read or not decoded: a symlink, not a regular file, over the
    size limit, or not valid UTF-8."""

    default_remediation = (
        "Give each candidate as a regular UTF-8 file (.py, .patch or .diff) under 1 MiB."
    )


class ArtifactError(InputError):
    """An artifact directory that is missing, tampered with, or would be overwritten."""

    default_remediation = "Re-create the artifact, or pass --overwrite to replace an existing one."


class SecretFoundError(InputError):
    """A credential was found where it must not be written."""

    default_remediation = "Remove the credential from the input (findings show where), then retry."


class SourceUnavailableError(CodeLeWMError):
    """A data source cannot be reached: a missing repository, package or network resource."""

    exit_code = ExitCode.SOURCE_UNAVAILABLE
    default_remediation = (
        "Check that the source exists and is readable (path, package name, pip access)."
    )


class ParseFailureError(CodeLeWMError):
    """Code or data that does not parse, or a filter that rejected everything."""

    exit_code = ExitCode.PARSE_FAILURE
    default_remediation = (
        "Check that the input is valid Python / valid records; see the filter report."
    )


class CheckpointError(CodeLeWMError):
    """A checkpoint that fails the trust gate or is incompatible with this version."""

    exit_code = ExitCode.CHECKPOINT_REFUSED
    default_remediation = (
        "Use a checkpoint directory written by `codelewm train` (manifest.json, model.safetensors, "
        "config.json, tokenizer.json) and do not edit its files."
    )


class GateFailedError(CodeLeWMError):
    """An evaluation gate that was asked for did not pass."""

    exit_code = ExitCode.GATE_FAILED
    default_remediation = "Read the report: it says which condition failed."


class ExecutionError(CodeLeWMError):
    """The sandbox could not run at all (not: a candidate that failed its tests)."""

    exit_code = ExitCode.INTERNAL
    default_remediation = (
        "Check that the Python interpreter can start subprocesses on this machine."
    )


class MissingExtraError(InputError):
    """An optional part of codelewm was asked for but its extra is not installed."""

    default_remediation = "pip install 'codelewm[all]'"


class InterruptedByUser(CodeLeWMError):
    """The run was interrupted (Ctrl-C, SIGINT) before it finished; nothing partial was written."""

    exit_code = ExitCode.INTERRUPTED
    default_remediation = (
        "Run the command again; finished artifacts are kept, partial ones removed."
    )


class DeadlineExceeded(CodeLeWMError):
    """Work ran past the deadline its caller set (`scoring.deadline`): it stopped between two steps.

    The HTTP server answers it 504; nothing else sets a deadline."""

    exit_code = ExitCode.INTERNAL
    default_remediation = "Send fewer or smaller candidates, or allow more time (serve --timeout)."
