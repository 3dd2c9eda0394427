"""The `codelewm` command tree. Thin: builds objects, calls the library, prints."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from codelewm import __version__
from codelewm.cli import dataset as dataset_cli
from codelewm.cli import eval as eval_cli
from codelewm.cli import index as index_cli
from codelewm.cli import llm as llm_cli
from codelewm.cli import llm_demo, manifest, openrouter, schemas, secret_scan
from codelewm.cli import model as model_cli
from codelewm.cli import score as score_cli
from codelewm.cli import serve as serve_cli
from codelewm.cli import train as train_cli
from codelewm.cli._common import emit_error, interrupted
from codelewm.errors import ExitCode, InputError

app = typer.Typer(
    name="codelewm",
    help="A world model of Python code edits: score and rerank candidate patches without running them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(schemas.app, name="schemas")
app.add_typer(dataset_cli.app, name="dataset")
app.add_typer(manifest.app, name="manifest")
app.add_typer(eval_cli.app, name="eval")
app.command("secret-scan")(secret_scan.secret_scan)
app.add_typer(model_cli.app, name="model")
app.command("train")(train_cli.train)
app.command("score")(score_cli.score)
app.command("rerank")(score_cli.rerank)
app.add_typer(index_cli.app, name="index")
app.command("serve")(serve_cli.serve)
app.add_typer(llm_cli.app, name="llm")
app.command("llm-demo")(llm_demo.llm_demo)
app.add_typer(openrouter.app, name="openrouter")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"codelewm {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Exit codes: 0 ok, 2 bad input or config, 3 source unavailable, 4 parse/filter failure,
    5 checkpoint refused or incompatible, 6 evaluation gate failed, 70 internal error."""


def main() -> None:
    """The console entry point. With `--json`, a usage error (unknown option, missing argument,
    bad value) is a `codelewm.error.v1` object on stdout too, like every other error."""
    if "--json" not in sys.argv[1:]:
        app()
        return
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        emit_error(interrupted(), as_json=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except typer.TyperException as exc:  # click's UsageError and kin (typer vendors click)
        shown = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        error = InputError(
            f"usage: {shown}", remediation="See `codelewm COMMAND --help` for the options."
        )
        emit_error(error, as_json=True)
        sys.exit(int(getattr(exc, "exit_code", ExitCode.BAD_INPUT)) or int(ExitCode.BAD_INPUT))
    sys.exit(code if isinstance(code, int) else 0)
