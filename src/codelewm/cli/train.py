"""`codelewm train --config configs/train/X.toml [--out DIR] [--resume | --overwrite]` (also under
torchrun). An existing run in DIR is refused without one of the two (train/run_dir.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from codelewm.cli._common import JsonOpt, console, handle_errors, print_json

if TYPE_CHECKING:  # torch is imported only when a command runs, so `codelewm --help` stays fast
    from codelewm.train import loop
    from codelewm.train.config import TrainConfig


@handle_errors
def train(
    config: Annotated[Path, typer.Option("--config", help="Training config (TOML).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Run directory (default: runs/<config name>).")
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue exactly from OUT/state/ after an interruption."),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace an existing run in OUT (refused without it)."),
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Train the world model. Writes OUT/best/ and OUT/last/ (checkpoints), OUT/state/ (exact resume)
    and OUT/tb/ (TensorBoard); an existing run in OUT needs --resume or --overwrite. Runs unchanged
    under `torchrun --nproc_per_node N` (DDP)."""
    from codelewm.train import loop
    from codelewm.train.config import load_train_config

    cfg = load_train_config(config)
    out_dir = out or Path("runs") / config.stem
    main = os.environ.get("RANK", "0") == "0"  # torchrun: only rank 0 reports
    if json_output or not main:
        result = loop.run_training(cfg, out_dir=out_dir, resume=resume, overwrite=overwrite)
    else:
        result = _train_with_progress(cfg, out_dir, resume, overwrite)
    summary = {
        "out_dir": str(result.out_dir),
        "steps": result.steps,
        "best_val_r1": result.best_metric,
        "last_eval": result.last_eval,
        "examples_seen": result.examples_seen,
        "wall_s": round(result.wall_s, 2),
        "examples_per_s": round(result.examples_per_s, 2),
        "stopped_early": result.stopped_early,
        "warnings": result.warnings,
    }
    if not main:
        return
    if json_output:
        print_json(summary)
    else:
        console.print(summary)


def _train_with_progress(
    cfg: TrainConfig, out_dir: Path, resume: bool, overwrite: bool
) -> loop.TrainResult:
    from codelewm.train import loop

    bar = Progress(
        TextColumn("[bold]train"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    task = bar.add_task("train", total=cfg.optim.max_steps, info="")
    last_eval = ""

    def report(p: loop.Progress) -> None:
        nonlocal last_eval
        if p.kind == "warning":
            bar.console.print(f"[bold yellow]warning:[/] {escape(p.message)}")
            return
        if p.kind == "eval":
            last_eval = f"val R@1 {p.metrics.get('val_r1', 0):.3f} (null {p.metrics.get('val_r1_null', 0):.3f})"
        info = f"loss {p.metrics.get('loss', 0):.3f} {p.metrics.get('examples_per_s', 0):.0f} ex/s {last_eval}"
        bar.update(task, completed=p.step, info=info)

    with bar:
        return loop.run_training(
            cfg, out_dir=out_dir, resume=resume, overwrite=overwrite, progress=report
        )
