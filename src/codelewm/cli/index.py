"""`codelewm index build | query`: "past edits like this one" over a dataset's transitions. Thin layer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from codelewm.cli._common import JsonOpt, console, handle_errors, print_json
from codelewm.cli.score import InstructionFileOpt, InstructionOpt, read_instruction
from codelewm.code.candidates import load_candidate_file
from codelewm.errors import CheckpointError, InputError
from codelewm.records import IndexQueryRecord, Split
from codelewm.scoring.load import check_device, resolve_checkpoint
from codelewm.scoring.reranker import read_before

if TYPE_CHECKING:
    from codelewm.scoring.world_model import WorldModelScorer

app = typer.Typer(
    help="A nearest-neighbour index of training transitions in the model's latent space.",
    no_args_is_help=True,
)
DeviceOpt = Annotated[str, typer.Option("--device", help="Torch device: cpu or cuda.")]


def _world_model(checkpoint: Path, device: str) -> WorldModelScorer:
    from codelewm.scoring.world_model import WorldModelScorer

    check_device(device)
    if not checkpoint.exists():
        raise CheckpointError(f"checkpoint directory {str(checkpoint)!r} does not exist")
    return WorldModelScorer.from_checkpoint(checkpoint, device=device)


@app.command("build")
@handle_errors
def build(
    data: Annotated[Path, typer.Option("--data", help="Dataset directory (dataset build).")],
    out: Annotated[Path, typer.Option("--out", help="Index directory to write.")],
    checkpoint: Annotated[
        Path | None, typer.Option("--checkpoint", help="Checkpoint (default: the shipped model).")
    ] = None,
    split: Annotated[str, typer.Option("--split", help="train, val or test.")] = "train",
    limit: Annotated[
        int | None, typer.Option("--limit", help="Index only the first N transitions.")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace OUT.")] = False,
    device: DeviceOpt = "cpu",
    json_output: JsonOpt = False,
) -> None:
    """Embed every transition (before -> after) of a dataset split; write an index artifact."""
    from codelewm.scoring.index import build_index, load_index

    if split not in ("train", "val", "test"):
        raise InputError(f"--split must be train, val or test, not {split!r}")
    ckpt = resolve_checkpoint(checkpoint)
    scorer = _world_model(ckpt, device)
    path = build_index(
        scorer,
        checkpoint=ckpt,
        dataset=data,
        out=out,
        split=cast(Split, split),
        limit=limit,
        overwrite=overwrite,
        command=["codelewm", *sys.argv[1:]],
    )
    index = load_index(path)
    summary = {
        "index": str(path),
        "index_id": index.index_id,
        "entries": len(index.entries),
        "dim": int(index.embeddings.shape[1]),
        "checkpoint_id": index.checkpoint_id,
    }
    if json_output:
        print_json(summary)
    else:
        console.print(
            f"indexed {summary['entries']} transitions ({summary['dim']}-d) -> {path} "
            f"[dim]{summary['index_id']}[/]"
        )


@app.command("query")
@handle_errors
def query(
    index_dir: Annotated[Path, typer.Option("--index", help="Index directory (index build).")],
    before: Annotated[Path, typer.Option("--before", help="The file being edited.")],
    instruction: InstructionOpt = None,
    instruction_file: InstructionFileOpt = None,
    candidate: Annotated[
        Path | None,
        typer.Option("--candidate", help="Query with this candidate's edit (.py/.patch/.diff)."),
    ] = None,
    k: Annotated[int, typer.Option("-k", "--k", help="How many past edits.")] = 5,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="The index's checkpoint (default: where it was built)."),
    ] = None,
    device: DeviceOpt = "cpu",
    json_output: JsonOpt = False,
) -> None:
    """Past edits like this one: the k transitions nearest to the predicted (or given) edit."""
    from codelewm.scoring.index import load_index, query_index

    text = read_instruction(instruction, instruction_file)
    before_text = read_before(before)
    after = _candidate_after(candidate, before_text, before) if candidate is not None else None
    index = load_index(index_dir)
    ckpt = checkpoint or index.checkpoint_path
    if ckpt is None or not ckpt.exists():
        where = f"was at {ckpt}, which no longer exists" if ckpt else "is not recorded"
        raise CheckpointError(
            f"the index's checkpoint ({index.checkpoint_id}) {where}",
            remediation="Pass --checkpoint DIR: the checkpoint the index was built with.",
        )
    scorer = _world_model(ckpt, device)
    record = query_index(index, scorer, before=before_text, instruction=text, candidate=after, k=k)
    if json_output:
        print_json(record)
    else:
        _print(record)


def _candidate_after(path: Path, before_text: str, before: Path) -> str:
    loaded = load_candidate_file(path, before=before_text, before_path=str(before))
    if loaded.error is not None or loaded.after is None:
        message = loaded.error.message if loaded.error else "no after-state"
        raise InputError(f"candidate {str(path)!r} is not usable: {message}")
    return loaded.after


def _print(record: IndexQueryRecord) -> None:
    table = Table(title=f"Past edits like this one ({record.query} query)")
    for column in ("#", "similarity", "instruction", "path :: symbol", "source"):
        table.add_column(column)
    for hit in record.hits:
        table.add_row(
            str(hit.rank),
            f"{hit.similarity:.3f}",
            hit.instruction or "(none)",
            f"{hit.path} :: {hit.symbol}",
            f"{hit.source}/{hit.group}",
        )
    console.print(table)
    for hit in record.hits[:3]:
        syntax = Syntax(hit.diff or "(no change)", "diff", theme="ansi_dark")
        console.print(Panel(syntax, title=f"#{hit.rank} {hit.transition_id}"))
    for warning in record.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
