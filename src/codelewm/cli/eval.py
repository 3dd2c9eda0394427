"""`codelewm eval ...`: evaluation reports (P1-P5) and execution-labelled pool packs. Thin layer."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from codelewm.artifacts.atomic import atomic_write_text
from codelewm.artifacts.digest import sha256_file
from codelewm.cli._common import JsonOpt, console, err_console, handle_errors, print_json
from codelewm.errors import InputError
from codelewm.eval.claim import enforce_gate
from codelewm.eval.downstream import DEFAULT_BASELINES, evaluate_downstream
from codelewm.eval.downstream_render import downstream_figures, downstream_markdown
from codelewm.eval.leakage import check_leakage, eval_hashes
from codelewm.eval.pack_sources import dataframebench_tasks, humaneval_tasks, mbpp_tasks
from codelewm.eval.packs import PackStats, Task, build_pools, sandbox_labeller
from codelewm.eval.pools import read_pool_file, write_pool_file
from codelewm.eval.report import write_report
from codelewm.execution import Policy
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


PACK_KINDS = ("humaneval", "mbpp", "dataframebench", "devset")
DEVSET = Path("../shared/data/devset_gpt35-gpt4_mbpp_pools.v1.jsonl")
MBPP = Path("../shared/data/mbpp.jsonl")


@app.command("downstream-pack")
@handle_errors
def downstream_pack(
    kind: Annotated[str, typer.Option("--kind", help="humaneval | mbpp | dataframebench | devset")],
    out: Annotated[
        Path, typer.Option("--out", help="Pool file to write (JSONL); stats go to OUT.stats.json.")
    ],
    seed: Annotated[int, typer.Option("--seed", help="Mutation seed.")] = 17,
    workers: Annotated[int, typer.Option("--workers", help="Sandbox processes in parallel.")] = 2,
    mbpp: Annotated[Path, typer.Option("--mbpp", help="mbpp.jsonl (for --kind mbpp).")] = MBPP,
    wheel: Annotated[
        Path | None,
        typer.Option("--wheel", help="dataframebench wheel (for --kind dataframebench)."),
    ] = None,
    devset: Annotated[
        Path, typer.Option("--devset", help="Labelled pool file (for --kind devset).")
    ] = DEVSET,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Only the first N tasks (smoke runs).")
    ] = None,
    overwrite: OverwriteOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Build execution-labelled WS-D pools (reference + failing single-point mutants, all ast.unparse'd)."""
    if kind not in PACK_KINDS:
        raise InputError(
            f"unknown --kind {kind!r}", remediation=f"Use one of: {', '.join(PACK_KINDS)}."
        )
    if out.exists() and not overwrite:
        raise InputError(f"{out} exists", remediation="Pass --overwrite to replace it.")
    summary = build_pack(
        kind,
        out,
        seed=seed,
        workers=workers,
        mbpp=mbpp,
        wheel=wheel,
        devset=devset,
        limit=limit,
        quiet=json_output,
    )
    if json_output:
        print_json(summary)
        return
    console.print(f"wrote {summary['pools']} pools to {out} (stats: {out}.stats.json)")
    console.print(summary["stats"], highlight=False)


def build_pack(
    kind: str,
    out: Path,
    *,
    seed: int,
    workers: int,
    mbpp: Path,
    wheel: Path | None,
    devset: Path,
    limit: int | None,
    quiet: bool,
) -> dict[str, Any]:
    if kind == "devset":
        pools, stats = read_pool_file(devset), PackStats()
        stats.tasks = stats.kept = len(pools)
    else:
        tasks = pack_tasks(kind, mbpp=mbpp, wheel=wheel)[:limit]
        label = sandbox_labeller(
            workers=workers, policy=Policy(site_packages=kind == "dataframebench")
        )
        with progress_bar(len(tasks), f"downstream-pack {kind}", quiet=quiet) as advance:
            pools, stats = build_pools(tasks, label, seed=seed, progress=advance)
    write_pool_file(out, pools)
    summary = {
        "schema_version": "codelewm.eval.pack_stats.v1",
        "kind": kind,
        "seed": seed,
        "pools": len(pools),
        "pools_file": str(out),
        "pools_sha256": sha256_file(out),
        "stats": stats.model_dump(),
    }
    atomic_write_text(out.with_name(out.name + ".stats.json"), json.dumps(summary, indent=2) + "\n")
    return summary


def pack_tasks(kind: str, *, mbpp: Path, wheel: Path | None) -> list[Task]:
    if kind == "humaneval":
        return humaneval_tasks()
    if kind == "mbpp":
        return mbpp_tasks(mbpp)
    if wheel is None:
        raise InputError(
            "--kind dataframebench needs --wheel",
            remediation="pip download --no-deps --python-version 3.12 --only-binary :all: dataframebench -d DIR",
        )
    return dataframebench_tasks(wheel)
