"""`codelewm eval ...`: evaluation reports (P1-P5) and execution-labelled pool packs. Thin layer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from codelewm.artifacts.digest import sha256_file
from codelewm.cli._common import JsonOpt, err_console, handle_errors
from codelewm.cli._eval_common import (
    DeviceOpt,
    GateOpt,
    OutDirOpt,
    OverwriteOpt,
    ScorerOpt,
    finish,
    parse_baselines,
    progress_bar,
)
from codelewm.cli.eval_data import action_use, latent, retrieval, scorer_quality, surprise
from codelewm.cli.eval_pack import downstream_pack
from codelewm.errors import InputError
from codelewm.eval.downstream import evaluate_downstream
from codelewm.eval.downstream_render import downstream_figures, downstream_markdown
from codelewm.eval.leakage import check_leakage, eval_hashes
from codelewm.eval.pools import read_pool_file
from codelewm.scoring.registry import checkpoint_path, get_scorer

app = typer.Typer(
    help="Evaluation reports that can say no (protocols P1-P5: docs/PROTOCOLS.md).",
    no_args_is_help=True,
)


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
    execute: Annotated[
        str | None,
        typer.Option(
            "--execute",
            help="OPT-IN EXECUTION: 'examples' runs each pool's candidates against the examples "
            "its instruction and before give, in the sandbox, and adds examples+X rows.",
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Sandbox processes.")] = 2,
    json_output: JsonOpt = False,
) -> None:
    """P4: pass@1 of the top candidate on execution-labelled pools, with every baseline and the oracle."""
    if execute not in (None, "examples"):
        raise InputError(f"unknown --execute {execute!r}", remediation="Use --execute examples.")
    names = parse_baselines(baselines)
    pool_list = read_pool_file(pools)
    examples = None
    if execute == "examples":
        from codelewm.eval.examples_exec import run_pool_examples

        if not json_output:
            err_console.print("running each pool's examples in the sandbox (code is executed)")
        examples = run_pool_examples(pool_list, workers=workers)
    the_scorer = get_scorer(scorer, device=device)
    items = eval_hashes(c.code for p in pool_list for c in p.candidates)
    leakage = check_leakage(checkpoint_path(scorer), items)
    total = len(pool_list) * (len(names) + 2)
    with progress_bar(total, "downstream-rerank", quiet=json_output) as advance:
        report = evaluate_downstream(
            pool_list,
            the_scorer,
            pools_label=str(pools),
            leakage=leakage,
            baselines=names,
            progress=advance,
            examples=examples,
        )
    config = {
        "command": "eval downstream-rerank",
        "pools": str(pools),
        "pools_sha256": sha256_file(pools),
        "scorer": scorer,
        "baselines": list(names),
        "execute": execute,
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


app.command("downstream-pack")(downstream_pack)
app.command("action-use")(action_use)
app.command("retrieval")(retrieval)
app.command("surprise")(surprise)
app.command("scorer-quality")(scorer_quality)
app.command("latent")(latent)
