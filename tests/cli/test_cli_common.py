"""handle_errors: every exit code, error records, redaction; the root's --version and --help."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import typer
from typer.testing import CliRunner

from codelewm import __version__
from codelewm.cli._common import JsonOpt, handle_errors
from codelewm.cli.app import app
from codelewm.errors import (
    ArtifactError,
    CheckpointError,
    CodeLeWMError,
    GateFailedError,
    InputError,
    ParseFailureError,
    SourceUnavailableError,
)

runner = CliRunner()
KEY = "sk" + "-ant-" + "api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2"


def raising(make: Callable[[], BaseException]) -> typer.Typer:
    demo = typer.Typer()

    @demo.command()
    @handle_errors
    def run(json_output: JsonOpt = False) -> None:
        raise make()

    return demo


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InputError("bad"), 2),
        (ArtifactError("bad"), 2),
        (SourceUnavailableError("bad"), 3),
        (ParseFailureError("bad"), 4),
        (CheckpointError("bad"), 5),
        (GateFailedError("bad"), 6),
    ],
)
def test_typed_errors_map_to_exit_codes(error: CodeLeWMError, code: int) -> None:
    result = runner.invoke(raising(lambda: error), ["--json"])
    assert result.exit_code == code
    record = json.loads(result.stdout)
    assert record == {
        "schema_version": "codelewm.error.v1",
        "error_type": type(error).__name__,
        "message": "bad",
        "remediation": error.remediation,
        "caused_by": None,
        "exit_code": code,
    }


def test_internal_error_is_70_and_redacted() -> None:
    demo = raising(lambda: RuntimeError(f"boom with {KEY}"))
    machine = runner.invoke(demo, ["--json"])
    assert machine.exit_code == 70
    record = json.loads(machine.stdout)
    assert record["error_type"] == "CodeLeWMError"
    assert record["message"].startswith(
        "internal error: RuntimeError: boom with [REDACTED:anthropic_key:"
    )
    assert record["caused_by"].startswith("RuntimeError: boom with [REDACTED:anthropic_key:")
    assert record["exit_code"] == 70
    human = runner.invoke(demo, [])
    assert (human.exit_code, human.stdout) == (70, "")
    assert "error (CodeLeWMError): internal error: RuntimeError" in human.stderr
    assert "This is a bug in codelewm" in human.stderr
    assert KEY not in machine.stdout + human.stdout + human.stderr


def test_version_and_help() -> None:
    version = runner.invoke(app, ["--version"])
    assert (version.exit_code, version.stdout) == (0, f"codelewm {__version__}\n")
    helped = runner.invoke(app, ["--help"], terminal_width=200)
    assert helped.exit_code == 0
    for command in ("manifest", "secret-scan", "schemas"):
        assert command in helped.stdout
    sub = runner.invoke(app, ["manifest", "--help"])
    assert sub.exit_code == 0 and "verify" in sub.stdout
