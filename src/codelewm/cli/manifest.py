"""`codelewm manifest verify PATH [--parent PATH ...]`: check an artifact directory against its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from codelewm.artifacts.verify import verify_artifact
from codelewm.cli._common import JsonOpt, console, handle_errors, print_json
from codelewm.errors import ExitCode
from codelewm.records import VerifyReport

app = typer.Typer(help="Artifact manifests (manifest.json).", no_args_is_help=True)


@app.command("verify")
@handle_errors
def verify(
    path: Annotated[Path, typer.Argument(help="Artifact directory (holds manifest.json).")],
    parent: Annotated[
        list[Path] | None,
        typer.Option(
            "--parent", help="A parent artifact directory to check against the declared parents."
        ),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Check every listed file (exists, size, sha256), unlisted files, symlinks, paths that escape
    the root, the artifact id and config digest, and the given parents. Exit 2 on any problem."""
    report = verify_artifact(path, parent or [])
    if json_output:
        print_json(report)
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(int(ExitCode.BAD_INPUT))


def _print_report(report: VerifyReport) -> None:
    if report.ok:
        console.print(
            f"[bold green]ok[/] {escape(str(report.path))}: {escape(str(report.artifact_id))} "
            f"({report.files_checked} files, parents checked: {len(report.parents_checked)})",
            highlight=False,
            soft_wrap=True,
        )
    else:
        table = Table(
            title=f"{escape(str(report.path))}: {len(report.problems)} problem(s)",
            title_justify="left",
        )
        table.add_column("path", overflow="fold")
        table.add_column("problem", style="bold red")
        table.add_column("detail", overflow="fold")
        for problem in report.problems:
            table.add_row(*map(escape, (problem.path, problem.kind, problem.detail)))
        console.print(table)
    if report.parents_unchecked:
        console.print(
            f"[yellow]unchecked parents[/] (give --parent to check): {escape(', '.join(report.parents_unchecked))}",
            highlight=False,
            soft_wrap=True,
        )
