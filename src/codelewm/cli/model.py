"""`codelewm model inspect CKPT [--json]`: parameter counts, tensor statistics, config and lineage."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from codelewm.cli._common import JsonOpt, console, err_console, handle_errors, print_json
from codelewm.errors import InputError

if TYPE_CHECKING:
    from codelewm.train.inspect import CheckpointReport

app = typer.Typer(help="World-model checkpoints.", no_args_is_help=True)


@app.command("inspect")
@handle_errors
def inspect(
    checkpoint: Annotated[
        Path, typer.Argument(help="Checkpoint directory written by `codelewm train`.")
    ],
    json_output: JsonOpt = False,
) -> None:
    """Verify the checkpoint (trust gate: manifest, sha256 of every file, safetensors only), then show
    parameters per module, per-tensor statistics, the model config and the parent artifacts."""
    from codelewm.train.inspect import inspect_checkpoint  # torch: imported only when used

    report = inspect_checkpoint(checkpoint)
    if json_output:
        print_json(report)
    else:
        _print(report)


@app.command("calibrate")
@handle_errors
def calibrate(
    checkpoint: Annotated[Path, typer.Argument(help="Checkpoint directory to calibrate.")],
    dataset: Annotated[
        Path, typer.Option("--dataset", help="Dataset directory (non-evaluation data).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the calibrated checkpoint.")],
    split: Annotated[str, typer.Option("--split", help="train or val (never test).")] = "val",
    pools: Annotated[
        str,
        typer.Option(
            "--pools",
            help="labelled: the split's sandbox-labelled pools, fused listwise calibrator (v2); "
            "mutants: true after vs its seeded mutants, v1 features",
        ),
    ] = "labelled",
    max_pools: Annotated[int, typer.Option("--max-pools")] = 400,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    extra_pools: Annotated[
        list[Path] | None,
        typer.Option(
            "--extra-pools",
            help="A training-side labelled pool file (e.g. `eval downstream-pack --kind "
            "dataframebench --split train`) whose pools join the split's; repeatable. Refused "
            "when any pool is evaluation data (by its source or by normalised hash).",
        ),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Fit final_score's logistic calibrator (energy z-score, action gain, consensus, parses) on pools of
    (true after vs its seeded mutants) from a dataset split, and write a calibrated checkpoint copy."""
    if split not in ("train", "val"):
        raise InputError(f"--split {split!r}: calibrate on train or val, never on test")
    from codelewm.scoring.calibrate import calibrate_checkpoint  # torch: imported only when used

    if pools not in ("labelled", "mutants"):
        raise InputError(f"--pools {pools!r}: use labelled or mutants")
    from codelewm.eval.pools import read_pool_file

    extra = [(path.name, read_pool_file(path)) for path in extra_pools or []]
    calibrator = calibrate_checkpoint(
        checkpoint,
        dataset,
        out,
        split="val" if split == "val" else "train",
        pools_kind="labelled" if pools == "labelled" else "mutants",
        max_pools=max_pools,
        seed=seed,
        extra_pools=extra,
    )
    payload = {
        "out": str(out),
        "features": list(calibrator.feature_names),
        "weights": list(calibrator.weights),
        "bias": calibrator.bias,
        "fitted_on": calibrator.fitted_on,
    }
    if json_output:
        print_json(payload)
    else:
        console.print(payload)


@app.command("calibrate-execution")
@handle_errors
def calibrate_execution(
    checkpoint: Annotated[
        Path, typer.Argument(help="Checkpoint directory (its static calibrators stay).")
    ],
    dataset: Annotated[
        Path,
        typer.Option(
            "--dataset", help="Dataset with sandbox-labelled pools (non-evaluation data)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the checkpoint copy.")],
    split: Annotated[
        list[str] | None,
        typer.Option("--split", help="train and/or val (never test); default: both"),
    ] = None,
    visible: Annotated[
        int, typer.Option("--visible", min=1, help="examples each fit pool shows its candidates")
    ] = 1,
    workers: Annotated[int, typer.Option("--workers", min=1)] = 2,
    exercism: Annotated[
        Path | None,
        typer.Option(
            "--exercism",
            help="exercism_python.jsonl: show each exercism pool the first assertEqual of its tests "
            "as its one example (their instructions give none)",
        ),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Fit the execution-aware score of `--execute examples` (static final score, examples passed,
    behaviour clusters) on a split's sandbox-labelled pools and write a checkpoint copy with it.
    RUNS CODE in the sandbox: every candidate of the training-side pools runs its visible examples."""
    chosen = split or ["train", "val"]
    if any(s not in ("train", "val") for s in chosen):
        raise InputError(f"--split {chosen!r}: calibrate on train or val, never on test")
    from codelewm.eval.execution_fusion import calibrate_execution_checkpoint

    err_console.print(
        "[bold yellow]CODE IS EXECUTED[/]: the candidates of the labelled training-side pools run "
        "their examples in the sandbox",
        highlight=False,
    )
    report = calibrate_execution_checkpoint(
        checkpoint,
        dataset,
        out,
        splits=["val" if s == "val" else "train" for s in dict.fromkeys(chosen)],
        visible=visible,
        workers=workers,
        exercism=exercism,
    )
    if json_output:
        print_json(report)
    else:
        console.print(report.model_dump())


def _print(report: CheckpointReport) -> None:
    console.print(
        f"[bold]{report.checkpoint_id}[/]  manifest sha256 {report.manifest_sha256[:16]}…  "
        f"created {report.created_at}  git {report.source_git_sha[:12]}",
        highlight=False,
    )
    params = Table(title="parameters", title_justify="left")
    params.add_column("module")
    params.add_column("count", justify="right")
    for name, count in report.parameters.items():
        params.add_row(name, f"{count:,}")
    params.add_row("[bold]total[/]", f"[bold]{report.total_parameters:,}[/]")
    console.print(params)
    stats = Table(title="tensors", title_justify="left")
    for column in ("name", "shape", "mean", "std", "min", "max"):
        stats.add_column(column, justify="left" if column in ("name", "shape") else "right")
    for t in report.tensors:
        stats.add_row(
            t.name,
            "×".join(map(str, t.shape)),
            f"{t.mean:.4f}",
            f"{t.std:.4f}",
            f"{t.min:.4f}",
            f"{t.max:.4f}",
        )
    console.print(stats)
    console.print("[bold]model config[/]", report.config.get("model", {}))
    console.print("[bold]metadata[/]", report.metadata)
    if report.parents:
        for parent in report.parents:
            console.print(
                f"parent: {parent.artifact_kind} {parent.artifact_id} ({parent.path})",
                highlight=False,
            )
    else:
        console.print("parents: none recorded")
    if report.calibrator is not None:
        console.print("[bold]calibrator[/]", report.calibrator)
