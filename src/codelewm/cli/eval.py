"""`codelewm eval ...`: evaluation reports (P1-P5) and execution-labelled pool packs. Thin layer."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from codelewm.artifacts.atomic import atomic_write_text
from codelewm.artifacts.digest import sha256_file
from codelewm.cli._common import JsonOpt, console, err_console, handle_errors, print_json
from codelewm.data.layout import pools_path, read_pools, read_transitions
from codelewm.errors import GateFailedError, InputError
from codelewm.eval.action_use import action_use_items, action_use_variants
from codelewm.eval.claim import enforce_gate
from codelewm.eval.downstream import DEFAULT_BASELINES, evaluate_downstream
from codelewm.eval.downstream_render import downstream_figures, downstream_markdown
from codelewm.eval.latent import LatentGate, embed_all, latent_report
from codelewm.eval.latent_render import latent_figures, latent_markdown
from codelewm.eval.leakage import LeakageCheck, check_leakage, eval_hashes
from codelewm.eval.pack_sources import dataframebench_tasks, humaneval_tasks, mbpp_tasks
from codelewm.eval.packs import PackStats, Task, build_pools, sandbox_labeller
from codelewm.eval.pools import read_pool_file, write_pool_file
from codelewm.eval.ranking_report import (
    RankingReport,
    ranking_figures,
    ranking_markdown,
    ranking_report,
)
from codelewm.eval.report import write_report
from codelewm.eval.retrieval import KS, retrieval_items, retrieval_variants
from codelewm.eval.scorer_quality import fixture_pools, scorer_quality_items
from codelewm.eval.surprise import surprise_pairs, surprise_report
from codelewm.eval.surprise_render import surprise_figures, surprise_markdown
from codelewm.execution import Policy
from codelewm.records import Split
from codelewm.scoring.embedder import Embedder
from codelewm.scoring.registry import BASELINES, checkpoint_path, get_scorer

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


@app.command("action-use")
@handle_errors
def action_use(
    data: DataOpt,
    scorer: ScorerOpt,
    out: OutDirOpt,
    split: SplitOpt = "test",
    device: DeviceOpt = "cpu",
    overwrite: OverwriteOpt = False,
    gate: GateOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """P1: same-before pools; R@1/MRR of the scorer vs its null and shuffled action and baselines."""
    pools = list(read_pools(data, _split(split)))
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
            data=f"{data} ({split})",
            n_groups=len({i.query.before for i in items}),
            leakage=leakage,
            progress=advance,
        )
    _ranking_command(
        report,
        out,
        {"command": "eval action-use", "data": str(data), "split": split, "scorer": scorer},
        overwrite=overwrite,
        as_json=json_output,
        gate=gate,
    )


@app.command("retrieval")
@handle_errors
def retrieval(
    data: DataOpt,
    scorer: ScorerOpt,
    out: OutDirOpt,
    split: SplitOpt = "test",
    candidates: Annotated[
        int, typer.Option("--candidates", help="Held-out afters to rank among.")
    ] = 1000,
    queries: Annotated[int, typer.Option("--queries", help="Queries (seeded sample).")] = 200,
    device: DeviceOpt = "cpu",
    overwrite: OverwriteOpt = False,
    gate: GateOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """P2: the true after among up to 1,000 held-out afters; R@1/5/10, MRR, median rank."""
    records = list(read_transitions(data, _split(split)))
    items = retrieval_items(records, candidates=candidates, queries=queries)
    if not items:
        raise InputError(
            f"no transitions in {data} ({split})", remediation="Build the dataset first."
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
            data=f"{data} ({split})",
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
        },
        overwrite=overwrite,
        as_json=json_output,
        gate=gate,
    )


@app.command("surprise")
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


@app.command("scorer-quality")
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


@app.command("latent")
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
