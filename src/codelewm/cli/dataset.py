"""`codelewm dataset build | pack | stats`: transition datasets from real code (thin layer)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from codelewm.cli._common import JsonOpt, console, err_console, handle_errors, print_json
from codelewm.data.build import (
    BuildConfig,
    BuildOptions,
    BuildProgress,
    build_dataset,
    load_build_config,
    parse_build_config,
)
from codelewm.data.parquet_hdf5 import pack_dataset
from codelewm.data.registry import source_class
from codelewm.data.reports import BuildStats
from codelewm.data.runner import Shard, UnitDone
from codelewm.errors import ConfigError, InputError

app = typer.Typer(help="Build, pack and inspect transition datasets.", no_args_is_help=True)

PathsOpt = Annotated[list[Path] | None, typer.Option("--code", help="Code root (repeatable).")]


@app.command("build")
@handle_errors
def build(
    out: Annotated[Path, typer.Option("--out", help="Dataset directory to write.")],
    source: Annotated[
        str | None,
        typer.Option("--source", help="git | ruff | mutations | stubs | releases | jsonl"),
    ] = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="TOML build config ([[sources]] tables).")
    ] = None,
    repo: Annotated[Path | None, typer.Option("--repo", help="git: repository path.")] = None,
    code: PathsOpt = None,
    input_file: Annotated[Path | None, typer.Option("--input", help="jsonl: records file.")] = None,
    package: Annotated[
        list[str] | None, typer.Option("--package", help="releases: package (repeatable).")
    ] = None,
    versions: Annotated[int | None, typer.Option("--versions", help="releases: count.")] = None,
    license_id: Annotated[
        str | None,
        typer.Option("--license", help="git/ruff: the code's license when its files do not say."),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    shard: Annotated[
        str | None, typer.Option("--shard", help="i/n: build only this shard of the units.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Split seed (overrides).")] = None,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Unit cache (default: beside --out).")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Run sources -> license gate -> filters -> dedup -> group split -> pools; write DIR whole."""
    flags = {
        "repo": repo,
        "code": code,
        "input": input_file,
        "package": package,
        "versions": versions,
        "license": license_id,
    }
    config = _config(source, config_file, flags, seed)
    options = BuildOptions(
        out=out,
        workers=workers,
        shard=Shard.parse(shard) if shard else None,
        cache_dir=cache_dir,
        overwrite=overwrite,
        command=["codelewm", *sys.argv[1:]],
    )
    if json_output:
        stats = build_dataset(config, options)
        print_json(stats)
        return
    with _progress() as progress:
        task = progress.add_task("units", total=None, records=0, rate=0.0)

        def on_done(event: UnitDone) -> None:
            state = progress.tasks[task]
            records = state.fields["records"] + max(event.records, 0)
            rate = records / state.elapsed if state.elapsed else 0.0
            progress.update(task, advance=1, records=records, rate=rate)

        stats = build_dataset(
            config,
            options,
            BuildProgress(on_plan=lambda n: progress.update(task, total=n), on_done=on_done),
        )
    _print_stats(out, stats)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[records]} records ({task.fields[rate]:.0f}/s)"),
        TimeElapsedColumn(),
        console=err_console,
    )


def _config(
    source: str | None, config_file: Path | None, flags: dict[str, Any], seed: int | None
) -> BuildConfig:
    overrides = {} if seed is None else {"seed": seed}
    given = {k: v for k, v in flags.items() if v not in (None, [])}
    if config_file is not None:
        if source is not None or given:
            raise InputError("give either --config or --source with its flags, not both")
        return load_build_config(config_file, overrides=overrides)
    if source is None:
        raise InputError("give --source NAME (with its flags) or --config FILE")
    fields = source_class(source).config_model.model_fields
    raw: dict[str, Any] = {"kind": source}
    for name, value in given.items():
        if name not in fields:
            raise ConfigError(f"--{name} does not apply to --source {source}")
        annotation = str(fields[name].annotation)
        is_list = isinstance(value, list)
        wants_list = annotation.startswith(("list", "typing.List")) or "list[" in annotation
        raw[name] = value[0] if is_list and not wants_list and len(value) == 1 else value
        if isinstance(raw[name], list):
            raw[name] = [str(v) for v in raw[name]]
        elif isinstance(raw[name], Path):
            raw[name] = str(raw[name])
    return parse_build_config({"sources": [raw], **overrides}, origin="command line")


def _print_stats(out: Path, stats: BuildStats) -> None:
    table = Table(title=f"dataset {out}")
    table.add_column("source")
    for split in ("train", "val", "test"):
        table.add_column(split, justify="right")
    for source, counts in sorted(stats.transitions_by_source.items()):
        table.add_row(source, *(str(counts[s]) for s in ("train", "val", "test")))
    table.add_row(
        "[bold]transitions", *(str(stats.transitions[s]) for s in ("train", "val", "test"))
    )
    table.add_row("[bold]pools", *(str(stats.pools[s]) for s in ("train", "val", "test")))
    table.add_row("groups", *(str(stats.groups[s]) for s in ("train", "val", "test")))
    console.print(table)
    console.print(
        f"{stats.units_total} units ({stats.units_cached} cached), {stats.wall_s:.1f} s, "
        f"{stats.transitions_per_s:.0f} transitions/s; reports: filter_report.json, "
        "leakage_report.json, stats.json",
        highlight=False,
    )
    for warning in stats.warnings:
        err_console.print(Text(f"warning: {warning}", style="yellow"))


@app.command("pack")
@handle_errors
def pack(
    dataset: Annotated[Path, typer.Argument(help="A dataset directory (from `dataset build`).")],
    out: Annotated[Path, typer.Option("--out", help="Pack directory to write.")],
    rows_per_shard: Annotated[int, typer.Option("--rows-per-shard", min=1)] = 50_000,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Write Parquet shards and an HDF5 array file, with a manifest whose parent is DATASET."""
    stats = pack_dataset(
        dataset,
        out,
        rows_per_shard=rows_per_shard,
        overwrite=overwrite,
        command=["codelewm", *sys.argv[1:]],
    )
    if json_output:
        print_json(stats)
        return
    console.print(
        f"packed {dataset} -> {out}: {len(stats.files)} files", highlight=False, markup=False
    )
    console.print(
        f"transitions {stats.transitions}  pools {stats.pools}", highlight=False, markup=False
    )


@app.command("stats")
@handle_errors
def stats(
    dataset: Annotated[Path, typer.Argument(help="A dataset directory.")],
    json_output: JsonOpt = False,
) -> None:
    """Show a dataset's stats.json and filter report totals."""
    try:
        payload = {
            name: json.loads((dataset / f"{name}.json").read_text(encoding="utf-8"))
            for name in ("stats", "filter_report")
        }
    except (OSError, ValueError) as exc:
        raise InputError(f"{dataset} is not a built dataset: {exc}") from exc
    if json_output:
        print_json(payload)
        return
    _print_stats(dataset, BuildStats.model_validate(payload["stats"]))
    totals = payload["filter_report"].get("totals", {})
    console.print(
        "passed over: " + ", ".join(f"{k} {v}" for k, v in totals.items()), highlight=False
    )
