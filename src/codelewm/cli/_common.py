"""What every command shares: the `--json` option, error mapping to exit codes, output helpers."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from codelewm.artifacts.redact import redact
from codelewm.errors import CodeLeWMError, ExitCode, InputError, InterruptedByUser
from codelewm.records import ErrorRecord

P = ParamSpec("P")
R = TypeVar("R")

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Machine-readable JSON on stdout, nothing else there.")
]

console = Console()
err_console = Console(stderr=True)


def error_record(exc: CodeLeWMError) -> ErrorRecord:
    cause = exc.__cause__ or exc.__context__
    return ErrorRecord(
        error_type=exc.error_type,
        message=redact(exc.message),
        remediation=redact(exc.remediation),
        caused_by=redact(f"{type(cause).__name__}: {cause}") if cause is not None else None,
        exit_code=int(exc.exit_code),
    )


def emit_error(exc: CodeLeWMError, *, as_json: bool) -> None:
    record = error_record(exc)
    if as_json:
        sys.stdout.write(record.model_dump_json(indent=2) + "\n")
    else:
        err_console.print(
            f"[bold red]error[/] ({record.error_type}): {escape(record.message)}  "
            f"[dim]hint: {escape(record.remediation)}[/]",
            highlight=False,
            soft_wrap=True,
        )


def interrupted() -> InterruptedByUser:
    return InterruptedByUser("interrupted (SIGINT) before the command finished")


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a command body; map typed errors to exit codes, anything else to 70."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        as_json = bool(kwargs.get("json_output", False))
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except CodeLeWMError as exc:
            emit_error(exc, as_json=as_json)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            emit_error(interrupted(), as_json=as_json)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except Exception as exc:
            error = _typed(exc)
            emit_error(error, as_json=as_json)
            raise typer.Exit(int(error.exit_code)) from None

    return wrapper


def _typed(exc: Exception) -> CodeLeWMError:
    """An OSError on a named path (too long, not a directory, no permission, ...) is bad input, exit
    2: the paths come from the command line. Anything else is a bug, exit 70."""
    if isinstance(exc, OSError) and exc.filename is not None:
        name = str(exc.filename)
        shown = repr(name if len(name) <= 120 else name[:120] + "...")
        error: CodeLeWMError = InputError(
            f"{shown}: {exc.strerror or exc}",
            remediation="Check the paths given: their length, what they name and the permissions.",
        )
    else:
        error = CodeLeWMError(f"internal error: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def print_json(payload: BaseModel | dict[str, Any] | list[Any]) -> None:
    """Write one JSON document to stdout (redacted)."""
    if isinstance(payload, BaseModel):
        text = payload.model_dump_json(indent=2)
    else:
        text = json.dumps(payload, indent=2, sort_keys=False, default=str)
    sys.stdout.write(redact(text) + "\n")
