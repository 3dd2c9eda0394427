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
    started_progress,
)
from codelewm.cli.eval_data import action_use, latent, retrieval, scorer_quality, surprise
from codelewm.cli.eval_pack import downstream_pack
from codelewm.errors import InputError
from codelewm.eval.downstream_render import downstream_figures, downstream_markdown
from codelewm.eval.protocols import run_downstream

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
            "its instruction and before give, in the sandbox, and adds examples+X rows; "
            "'generated' runs them against --generated-tests and adds generated+X rows (CodeT "
            "dual agreement); 'all' both.",
        ),
    ] = None,
    generated_tests: Annotated[
        Path | None,
        typer.Option(
            "--generated-tests",
            help="With --execute generated/all: a `codelewm llm tests --pools` artifact (or its "
            "tests.jsonl), one test set per pool id.",
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Sandbox processes.")] = 2,
    site_packages: Annotated[
        bool,
        typer.Option(
            "--site-packages",
            help="With --execute: let the executed candidates import installed packages (pandas "
            "and polars for dataframebench pools) under the limits their labelling used; every "
            "other isolation layer stays.",
        ),
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """P4: pass@1 of the top candidate on execution-labelled pools, with every baseline and the oracle."""
    modes = _execute_modes(execute, generated_tests)
    names = parse_baselines(baselines)
    notify = None if json_output else err_console.print
    with started_progress("downstream-rerank", quiet=json_output) as start:
        report = run_downstream(
            pools,
            scorer=scorer,
            baselines=names,
            modes=modes,
            generated_tests=generated_tests,
            workers=workers,
            site_packages=site_packages,
            device=device,
            progress=start,
            notify=notify,
        )
    config = {
        "command": "eval downstream-rerank",
        "pools": str(pools),
        "pools_sha256": sha256_file(pools),
        "scorer": scorer,
        "baselines": list(names),
        "execute": execute,
        "site_packages": site_packages,
        "generated_tests": str(generated_tests) if generated_tests is not None else None,
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


def _execute_modes(execute: str | None, generated_tests: Path | None) -> set[str]:
    """What runs: nothing unless asked; `generated` (and `all`) need the generated tests."""
    if execute is None:
        if generated_tests is not None:
            raise InputError("--generated-tests runs code only with --execute generated (or all)")
        return set()
    if execute not in ("examples", "generated", "all"):
        raise InputError(
            f"unknown --execute {execute!r}", remediation="Use examples, generated or all."
        )
    if execute in ("generated", "all") and generated_tests is None:
        raise InputError(
            f"--execute {execute} needs --generated-tests DIR",
            remediation="Write one test set per pool with `codelewm llm tests --pools FILE --live "
            "--out DIR` (an LLM endpoint and key), then pass --generated-tests DIR.",
        )
    return {"examples", "generated"} if execute == "all" else {execute}


app.command("downstream-pack")(downstream_pack)
app.command("action-use")(action_use)
app.command("retrieval")(retrieval)
app.command("surprise")(surprise)
app.command("scorer-quality")(scorer_quality)
app.command("latent")(latent)
