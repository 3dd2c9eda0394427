"""`codelewm eval action-use | retrieval | surprise | scorer-quality | latent` on dataset directories."""

from __future__ import annotations

import time
from collections.abc import Iterable
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
    progress_bar,
)
from codelewm.cli.eval_history import chosen_repos, history_report, history_splits
from codelewm.data.layout import pools_path, read_pools, read_transitions
from codelewm.data.sources.git import GitConfig
from codelewm.errors import GateFailedError, InputError
from codelewm.eval.action_use import (
    action_use_items,
    action_use_variants,
    item_sources,
    sample_pools,
)
from codelewm.eval.history_pools import FRACTION
from codelewm.eval.latent import LatentGate, embed_all, latent_report
from codelewm.eval.latent_render import latent_figures, latent_markdown
from codelewm.eval.leakage import LeakageCheck, check_leakage, decontaminate, eval_hashes
from codelewm.eval.ranking_report import (
    RankingReport,
    ranking_figures,
    ranking_markdown,
    ranking_report,
)
from codelewm.eval.report import write_report
from codelewm.eval.retrieval import KS, QUERIES, retrieval_items, retrieval_variants
from codelewm.eval.scorer_quality import fixture_pools, scorer_quality_items
from codelewm.eval.surprise import surprise_pairs, surprise_report
from codelewm.eval.surprise_render import surprise_figures, surprise_markdown
from codelewm.records import Split
from codelewm.scoring.embedder import Embedder
from codelewm.scoring.registry import checkpoint_path, get_scorer

DataOpt = Annotated[Path, typer.Option("--data", help="A dataset directory (data/layout.py).")]
SplitOpt = Annotated[str, typer.Option("--split", help="Held-out split to evaluate: test or val.")]


def _split(value: str) -> Split:
    if value not in ("val", "test"):
        raise InputError(
            f"--split {value!r}: evaluate on held-out data only",
            remediation="Use --split test or --split val.",
        )
    return cast(Split, value)


def _leakage(scorer: str, codes: Iterable[str]) -> LeakageCheck:
    return check_leakage(checkpoint_path(scorer), eval_hashes(codes))


def _leaked_note(dropped: int, unit: str) -> list[str]:
    if not dropped:
        return []
    return [
        f"{dropped} {unit}{'s' if dropped != 1 else ''} of the sample left out before scoring: their code"
        " occurs in the scorer's training data (normalised hash)"
    ]


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
    all_pools = list(read_pools(data, _split(split)))
    if source is not None:
        sources = sorted({str(p.source) for p in all_pools})
        all_pools = [p for p in all_pools if str(p.source) == source]
        if not all_pools:
            raise InputError(
                f"no {split} pool of source {source!r} in {data}",
                remediation=f"Sources with pools there: {', '.join(sources) or 'none'}.",
            )
    pools, leaked = decontaminate(
        checkpoint_path(scorer),
        sample_pools(all_pools, limit),
        lambda p: [p.before, *(m.after for m in p.members)],
    )
    items = action_use_items(pools)
    if not items:
        raise InputError(
            f"no same-before pool with K >= 3 in {data} ({split})",
            remediation="Build a dataset with a source that makes pools (ruff, mutations).",
        )
    the_scorer = get_scorer(scorer, device=device)
    variants = action_use_variants(the_scorer)
    leakage = _leakage(
        scorer, [p.before for p in pools] + [m.after for p in pools for m in p.members]
    )
    with progress_bar(len(items) * len(variants), "action-use", quiet=json_output) as advance:
        report = ranking_report(
            items,
            variants,
            name="action_use",
            protocol="P1 same-before action discrimination",
            data=f"{data} ({split}{'' if source is None else ', source ' + source})",
            n_groups=len({i.query.before for i in items}),
            leakage=leakage,
            progress=advance,
            groups=item_sources(pools, items),
            group_by="source",
            notes=_leaked_note(leaked, "pool"),
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
    fraction = float(config["last_fraction"])
    names = ", ".join(f"{c.repo} ({label})" for c, label in chosen)
    with progress_bar(0, "history pools + action-use", quiet=json_output) as advance:
        report, _ = history_report(
            chosen, scorer, fraction=fraction, device=device, progress=advance, data=names
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
    records = list(read_transitions(data, _split(split)))
    if source is not None:
        records = [r for r in records if r.source == source]
    items = retrieval_items(records, candidates=candidates, queries=queries)
    if not items:
        where = "" if source is None else f" of source {source!r}"
        raise InputError(
            f"no transitions{where} in {data} ({split})", remediation="Build the dataset first."
        )
    the_scorer = get_scorer(scorer, device=device)
    variants = retrieval_variants(the_scorer)
    codes = [*items[0].query.candidates, *(i.query.before for i in items)]
    with progress_bar(len(items) * len(variants), "retrieval", quiet=json_output) as advance:
        report = ranking_report(
            items,
            variants,
            name="retrieval",
            protocol="P2 cross-candidate retrieval",
            data=f"{data} ({split}{'' if source is None else ', source ' + source})",
            n_groups=len({i.query.before for i in items}),
            leakage=_leakage(scorer, codes),
            ks=KS,
            notes=[f"{len(items[0].query.candidates)} candidate afters per query"],
            progress=advance,
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
    chosen = _split(split)
    records = list(read_transitions(data, chosen))
    pools = list(read_pools(data, chosen)) if pools_path(data, chosen).is_file() else []
    pairs = surprise_pairs(records, pools, limit=limit)
    if not pairs:
        raise InputError(
            f"no decoy pairs could be built from {data} ({split})",
            remediation="Build the dataset first.",
        )
    the_scorer = get_scorer(scorer, device=device)
    variants = retrieval_variants(the_scorer)
    leakage = _leakage(scorer, [c for p in pairs for c in p.query.candidates])
    with progress_bar(len(pairs) * len(variants), "surprise", quiet=json_output) as advance:
        report = surprise_report(
            pairs, variants, data=f"{data} ({split})", leakage=leakage, progress=advance
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
    pools = fixture_pools(fixtures)
    items = scorer_quality_items(pools)
    the_scorer = get_scorer(scorer, device=device)
    variants = action_use_variants(the_scorer)
    leakage = _leakage(scorer, [c.code for p in pools for c in p.candidates])
    with progress_bar(len(items) * len(variants), "scorer-quality", quiet=json_output) as advance:
        report = ranking_report(
            items,
            variants,
            name="scorer_quality",
            protocol="Scorer quality (hand-made candidates)",
            data=str(fixtures or "packaged fixtures"),
            n_groups=len(items),
            leakage=leakage,
            progress=advance,
        )
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
    started = time.perf_counter()
    the_scorer = get_scorer(scorer, device=device)
    if not isinstance(the_scorer, Embedder):
        raise InputError(
            f"{scorer} has no latent to inspect",
            remediation="Give a checkpoint directory: only the world model implements Embedder.",
        )
    records = list(read_transitions(data, _split(split)))
    texts = list(dict.fromkeys(t for r in records for t in (r.before, r.after)))[:limit]
    with progress_bar(len(texts), "latent", quiet=json_output) as advance:
        embeddings = embed_all(the_scorer.embed, texts, progress=advance)
    gate_config = LatentGate(min_rank_ratio=min_rank_ratio, max_mean_cosine=max_mean_cosine)
    report = latent_report(
        embeddings,
        scorer=getattr(the_scorer, "name", scorer),
        data=f"{data} ({split})",
        gate=gate_config,
        leakage=_leakage(scorer, texts),
        started=started,
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
