"""`codelewm eval ...`: evaluation reports (P1-P5) and execution-labelled pool packs. Thin layer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from codelewm.artifacts.digest import sha256_file
from codelewm.cli._common import JsonOpt, console, err_console, handle_errors, print_json
from codelewm.errors import InputError
from codelewm.eval.claim import enforce_gate
from codelewm.eval.downstream import DEFAULT_BASELINES, evaluate_downstream
from codelewm.eval.downstream_render import downstream_figures, downstream_markdown
from codelewm.eval.leakage import check_leakage, eval_hashes
from codelewm.eval.pools import read_pool_file
from codelewm.eval.report import write_report
from codelewm.scoring.registry import BASELINES, get_scorer, is_checkpoint

app = typer.Typer(
    help="Evaluation reports that can say no (DESIGN.md protocols P1-P5).", no_args_is_help=True
)

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


@contextmanager
def progress_bar(total: int, label: str, *, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr; `advance(n)` is what the library's progress callback gets."""
    if quiet:
        yield lambda n: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


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
        console.print(f"wrote {out}")
    if gate:
        enforce_gate(report.claim)


@app.command("downstream-rerank")
@handle_errors
def downstream_rerank(
    pools: Annotated[
        Path, typer.Option("--pools", help="A codelewm.rerank_pool.v1 JSONL file with labels.")
    ],
    scorer: ScorerOpt,
    out: OutDirOpt,
    baselines: Annotated[
        str, typer.Option("--baselines", help="all, none, or a comma list.")
    ] = "all",
    device: DeviceOpt = "cpu",
    overwrite: OverwriteOpt = False,
    gate: GateOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """P4: pass@1 of the top candidate on execution-labelled pools, with every baseline and the oracle."""
    names = parse_baselines(baselines)
    pool_list = read_pool_file(pools)
    the_scorer = get_scorer(scorer, device=device)
    items = eval_hashes(c.code for p in pool_list for c in p.candidates)
    leakage = check_leakage(Path(scorer) if is_checkpoint(scorer) else None, items)
    total = len(pool_list) * (len(names) + 2)
    with progress_bar(total, "downstream-rerank", quiet=json_output) as advance:
        report = evaluate_downstream(
            pool_list,
            the_scorer,
            pools_label=str(pools),
            leakage=leakage,
            baselines=names,
            progress=advance,
        )
    config = {
        "command": "eval downstream-rerank",
        "pools": str(pools),
        "pools_sha256": sha256_file(pools),
        "scorer": scorer,
        "baselines": list(names),
    }
    finish(
        report,
        downstream_markdown(report),
        downstream_figures(report),
        out,
        config,
        overwrite=overwrite,
        as_json=json_output,
        gate=gate,
    )
