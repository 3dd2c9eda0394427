"""`codelewm secret-scan PATH...`: find credentials in files and artifact directories.

Exit 2 on any finding. Files that could not be scanned (binary, non-UTF-8, symlinks, other suffixes)
are always listed; they fail the run only with `--strict`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from codelewm.artifacts.secrets import scan_paths
from codelewm.cli._common import JsonOpt, console, handle_errors, print_json
from codelewm.errors import ExitCode
from codelewm.records import SecretScanReport


@handle_errors
def secret_scan(
    paths: Annotated[list[Path], typer.Argument(help="Files and directories to scan.")],
    all_files: Annotated[
        bool,
        typer.Option(
            "--all-files", help="In directories, scan every file, not only text artifact suffixes."
        ),
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 2) when any file could not be scanned.")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Scan for API keys, tokens, private keys and assigned passwords; secrets are never printed,
    only a sha256 prefix and their length. Exit 2 on any finding (or, with --strict, on any file not
    scanned)."""
    report = scan_paths(paths, all_files=all_files, strict=strict)
    if json_output:
        print_json(report)
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(int(ExitCode.BAD_INPUT))


def _print_report(report: SecretScanReport) -> None:
    if report.findings:
        table = Table(title=f"{len(report.findings)} secret(s) found", title_justify="left")
        for column in ("path", "line", "kind", "detector", "redaction"):
            table.add_column(column, overflow="fold")
        for f in report.findings:
            table.add_row(*map(escape, (f.path, str(f.line), f.kind, f.detector, f.redaction)))
        console.print(table)
    if report.not_scanned:
        table = Table(title=f"{len(report.not_scanned)} not scanned", title_justify="left")
        for column in ("path", "reason", "detail"):
            table.add_column(column, overflow="fold")
        for s in report.not_scanned:
            table.add_row(*map(escape, (s.path, s.reason, s.detail)))
        console.print(table)
    verdict = "[bold green]ok[/]" if report.ok else "[bold red]failed[/]"
    console.print(
        f"{verdict}: {report.files_scanned} file(s) scanned, {len(report.findings)} finding(s), "
        f"{len(report.not_scanned)} not scanned" + (" (strict)" if report.strict else ""),
        highlight=False,
        soft_wrap=True,
    )
