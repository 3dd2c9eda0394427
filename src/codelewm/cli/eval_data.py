"""`codelewm eval action-use | retrieval | surprise | scorer-quality | latent`: options and output.

The runners in `eval/protocols.py` load the data and the scorer and build the reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import typer

from codelewm.cli._common import JsonOpt, console, handle_errors, print_json
from codelewm.cli._eval_common import (
    DeviceOpt,
    GateOpt,
    OutDirOpt,
    OverwriteOpt,
    ScorerOpt,
    finish,
    started_progress,
)
from codelewm.cli.eval_history import chosen_repos, history_splits
from codelewm.data.sources.git import GitConfig
from codelewm.errors import GateFailedError, InputError
from codelewm.eval.history_pools import FRACTION
from codelewm.eval.latent import LatentGate
from codelewm.eval.latent_render import latent_figures, latent_markdown
from codelewm.eval.protocols import (
    run_action_use,
    run_action_use_history,
    run_latent,
    run_retrieval,
    run_scorer_quality,
    run_surprise,
)
from codelewm.eval.ranking_report import RankingReport, ranking_figures, ranking_markdown
from codelewm.eval.report import write_report
from codelewm.eval.retrieval import QUERIES
from codelewm.eval.surprise_render import surprise_figures, surprise_markdown
from codelewm.records import Split

DataOpt = Annotated[Path, typer.Option("--data", help="A dataset directory (data/layout.py).")]
SplitOpt = Annotated[str, typer.Option("--split", help="Held-out split to evaluate: test or val.")]


def _split(value: str) -> Split:
    if value not in ("val", "test"):
        raise InputError(
            f"--split {value!r}: evaluate on held-out data only",
            remediation="Use --split test or --split val.",
        )
    return cast(Split, value)


def _ranking_command(
    report: RankingReport,
    out: Path,
    config: dict[str, Any],
    *,
    overwrite: bool,
    as_json: bool,
    gate: bool,
) -> None:
    finish(
        report,
        ranking_markdown(report),
        ranking_figures(report),
        out,
        config,
        overwrite=overwrite,
        as_json=as_json,
        gate=gate,
    )


@handle_errors
def action_use(
    scorer: ScorerOpt,
    out: OutDirOpt,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="A dataset directory (data/layout.py); not with --repo/--dataset-config."
        ),
    ] = None,
    split: Annotated[
        str,
        typer.Option(
            "--split",
            help="Held-out split to evaluate: test or val (history pools: also held-out = both).",
        ),
    ] = "test",
    limit: Annotated[
        int, typer.Option("--limit", help="Pools to evaluate (seeded sample).")
    ] = 1000,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Only pools of this source (e.g. ruff, mutations); default: all sources. "
            "git with --repo or --dataset-config: same-function pools from history.",
        ),
    ] = None,
    repo: Annotated[
        list[Path] | None,
        typer.Option(
            "--repo", help="--source git: a held-out git repository (bare or not); repeatable."
        ),
    ] = None,
    dataset_config: Annotated[
        Path | None,
        typer.Option(
            "--dataset-config",
            help="--source git: evaluate the held-out git repositories of this build config.",
        ),
    ] = None,
    last_fraction: Annotated[
        float,
        typer.Option(
            "--last-fraction",
            min=0.01,
            max=1.0,
            help="--source git: the held-out period, the last fraction of commits by author time.",
        ),
    ] = FRACTION,
    device: DeviceOpt = "cpu",
    overwrite: OverwriteOpt = False,
    gate: GateOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """P1: same-before pools; R@1/MRR of the scorer vs its null and shuffled action and baselines.

    With --source git and --repo or --dataset-config: same-function pools from the last 20% of each
    held-out repository's history (eval/history_pools.py), per repository and pooled."""
    if source == "git" and (repo or dataset_config is not None):
        _history_action_use(
            scorer,
            out,
            chosen_repos(repo or [], dataset_config, history_splits(split)),
            {
                "command": "eval action-use",
                "source": "git",
                "repo": [str(r) for r in repo or []],
                "dataset_config": None if dataset_config is None else str(dataset_config),
                "split": split,
                "last_fraction": last_fraction,
                "scorer": scorer,
            },
            device=device,
            flags=(overwrite, json_output, gate),
        )
        return
    if data is None:
        raise InputError(
            "--data is required (or --source git with --repo / --dataset-config)",
            remediation="Give a dataset directory: --data build/default-data/dataset.",
        )
    with started_progress("action-use", quiet=json_output) as start:
        report = run_action_use(
            data=data,
            split=_split(split),
            scorer=scorer,
            limit=limit,
            source=source,
            device=device,
            progress=start,
        )
    _ranking_command(
        report,
        out,
        {
            "command": "eval action-use",
            "data": str(data),
            "split": split,
            "scorer": scorer,
            "limit": limit,
            "source": source,
        },
        overwrite=overwrite,
        as_json=json_output,
        gate=gate,
    )


def _history_action_use(
    scorer: str,
    out: Path,
    chosen: list[tuple[GitConfig, str]],
    config: dict[str, Any],
    *,
    device: str,
    flags: tuple[bool, bool, bool],
) -> None:
    overwrite, json_output, gate = flags
    with started_progress("history pools + action-use", quiet=json_output) as start:
        report = run_action_use_history(
            chosen,
            scorer=scorer,
            fraction=float(config["last_fraction"]),
            device=device,
            progress=start,
        )
    _ranking_command(report, out, config, overwrite=overwrite, as_json=json_output, gate=gate)


@handle_errors
def retrieval(
    data: DataOpt,
    scorer: ScorerOpt,
    out: OutDirOpt,
    split: SplitOpt = "test",
    candidates: Annotated[
        int, typer.Option("--candidates", help="Held-out afters to rank among.")
    ] = 1000,
    queries: Annotated[int, typer.Option("--queries", help="Queries (seeded sample).")] = QUERIES,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", help="Only transitions of this source (e.g. git); default: all sources."
        ),
    ] = None,
    device: DeviceOpt = "cpu",
    overwrite: OverwriteOpt = False,
    gate: GateOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """P2: the true after among up to 1,000 held-out afters; R@1/5/10, MRR, median rank."""
    with started_progress("retrieval", quiet=json_output) as start:
        report = run_retrieval(
            data=data,
            split=_split(split),
            scorer=scorer,
            candidates=candidates,
            queries=queries,
            source=source,
            device=device,
            progress=start,
        )
    _ranking_command(
        report,
        out,
        {
            "command": "eval retrieval",
            "data": str(data),
            "split": split,
            "scorer": scorer,
            "candidates": candidates,
            "queries": queries,
            "source": source,
        },
        overwrite=overwrite,
        as_json=json_output,
        gate=gate,
    )


@handle_errors
def surprise(
    data: DataOpt,
    scorer: ScorerOpt,
    out: OutDirOpt,
    split: SplitOpt = "test",
    limit: Annotated[int, typer.Option("--limit", help="Transitions to build decoys for.")] = 500,
    device: DeviceOpt = "cpu",
    overwrite: OverwriteOpt = False,
    gate: GateOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """P3: pairwise AUC of the true after vs a decoy, per decoy kind."""
    with started_progress("surprise", quiet=json_output) as start:
        report = run_surprise(
            data=data,
            split=_split(split),
            scorer=scorer,
            limit=limit,
            device=device,
            progress=start,
        )
    config = {
        "command": "eval surprise",
        "data": str(data),
        "split": split,
        "scorer": scorer,
        "limit": limit,
    }
    finish(
        report,
        surprise_markdown(report),
        surprise_figures(report),
        out,
        config,
        overwrite=overwrite,
        as_json=json_output,
        gate=gate,
    )


@handle_errors
def scorer_quality(
    scorer: ScorerOpt,
    out: OutDirOpt,
    fixtures: Annotated[
        Path | None, typer.Option("--fixtures", help="Fixture JSON (default: the packaged set).")
    ] = None,
    device: DeviceOpt = "cpu",
    overwrite: OverwriteOpt = False,
    gate: GateOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """The true after's rank among hand-made candidates (fixture set)."""
    with started_progress("scorer-quality", quiet=json_output) as start:
        report = run_scorer_quality(scorer=scorer, fixtures=fixtures, device=device, progress=start)
    _ranking_command(
        report,
        out,
        {"command": "eval scorer-quality", "fixtures": str(fixtures), "scorer": scorer},
        overwrite=overwrite,
        as_json=json_output,
        gate=gate,
    )


@handle_errors
def latent(
    data: DataOpt,
    scorer: ScorerOpt,
    out: OutDirOpt,
    split: SplitOpt = "val",
    limit: Annotated[
        int, typer.Option("--limit", help="Texts to embed (befores and afters).")
    ] = 2000,
    min_rank_ratio: Annotated[float, typer.Option("--min-rank-ratio")] = 0.1,
    max_mean_cosine: Annotated[float, typer.Option("--max-mean-cosine")] = 0.9,
    device: DeviceOpt = "cpu",
    overwrite: OverwriteOpt = False,
    gate: GateOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """P5: effective rank / dim, per-dim variance, mean pairwise cosine of the scorer's embeddings."""
    gate_config = LatentGate(min_rank_ratio=min_rank_ratio, max_mean_cosine=max_mean_cosine)
    with started_progress("latent", quiet=json_output) as start:
        report = run_latent(
            data=data,
            split=_split(split),
            scorer=scorer,
            limit=limit,
            gate=gate_config,
            device=device,
            progress=start,
        )
    write_report(
        out,
        report=report,
        markdown=latent_markdown(report),
        figures=latent_figures(report),
        config={
            "command": "eval latent",
            "data": str(data),
            "split": split,
            "scorer": scorer,
            "gate": gate_config.model_dump(),
        },
        overwrite=overwrite,
    )
    if json_output:
        print_json(report)
    else:
        console.print(latent_markdown(report), highlight=False, soft_wrap=True)
    if gate and not report.gate_passed:
        raise GateFailedError("latent gate failed: " + "; ".join(report.failed_conditions))
