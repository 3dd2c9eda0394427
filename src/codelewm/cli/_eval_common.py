"""Options and helpers shared by the `codelewm eval` commands: progress bars, report output, gates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from codelewm.cli._common import console, err_console, print_json
from codelewm.errors import InputError
from codelewm.eval.claim import enforce_gate
from codelewm.eval.downstream import DEFAULT_BASELINES
from codelewm.eval.report import write_report
from codelewm.scoring.registry import BASELINES

if TYPE_CHECKING:
    from codelewm.eval.protocols import StartProgress

ScorerOpt = Annotated[
    str,
    typer.Option(
        "--scorer", help="A checkpoint directory or a baseline name (random, lexical, ...)."
    ),
]
OutDirOpt = Annotated[Path, typer.Option("--out", help="Report directory to write (an artifact).")]
OverwriteOpt = Annotated[
    bool, typer.Option("--overwrite", help="Replace an existing report directory.")
]
GateOpt = Annotated[bool, typer.Option("--gate", help="Exit 6 when the claim is not allowed.")]
DeviceOpt = Annotated[str, typer.Option("--device", help="Torch device for a checkpoint scorer.")]


_COLUMNS = (
    TextColumn("{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
)


@contextmanager
def progress_bar(total: int, label: str, *, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr; `advance(n)` is what the library's progress callback gets."""
    with started_progress(label, quiet=quiet) as start:
        yield start(total)


@contextmanager
def started_progress(label: str, *, quiet: bool) -> Iterator[StartProgress]:
    """A rich progress bar on stderr for a runner of `eval/protocols.py`: the bar appears when the
    runner calls `start(total)`, which returns its `advance(n)`."""
    if quiet:
        yield lambda total: lambda n: None
        return
    # Started on the first `start` and stopped only if started: an error raised before the bar
    # appears prints no blank line.
    bar = Progress(*_COLUMNS, console=err_console, transient=True)

    def start(total: int) -> Callable[[int], None]:
        bar.start()
        task = bar.add_task(label, total=total)
        return lambda n: bar.advance(task, n)

    try:
        yield start
    finally:
        if bar.live.is_started:
            bar.stop()


def parse_baselines(value: str) -> tuple[str, ...]:
    if value == "all":
        return DEFAULT_BASELINES
    if value == "none":
        return ()
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    unknown = [n for n in names if n not in BASELINES]
    if unknown:
        raise InputError(
            f"unknown baselines: {', '.join(unknown)}",
            remediation=f"Use all, none or some of: {', '.join(BASELINES)}.",
        )
    return names


def finish(
    report: Any,
    markdown: str,
    figures: dict[str, Any],
    out: Path,
    config: dict[str, Any],
    *,
    overwrite: bool,
    as_json: bool,
    gate: bool,
) -> None:
    """Write the artifact, print the report, then apply the gate."""
    write_report(
        out, report=report, markdown=markdown, figures=figures, config=config, overwrite=overwrite
    )
    if as_json:
        print_json(report)
    else:
        console.print(markdown, highlight=False, soft_wrap=True)
        console.print(f"wrote {out}", markup=False)
    if gate:
        enforce_gate(report.claim)
