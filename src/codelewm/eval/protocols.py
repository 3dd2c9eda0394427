"""Protocol runners: from plain arguments (data directory, split, scorer name, ...) to a report.

Each runner loads the pools or transitions, decontaminates them against the scorer's training
data, builds the items, loads the scorer and builds the report; it never prints or writes. The CLI
(`cli/eval_data.py`, `cli/eval.py`) keeps the options, the progress bar and the output. Progress
goes through a `StartProgress`: called once with the number of steps when it is known, it returns
the per-step callback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from codelewm.data.layout import pools_path, read_pools, read_transitions
from codelewm.data.sources.git import GitConfig
from codelewm.errors import InputError
from codelewm.eval.action_use import (
    action_use_items,
    action_use_variants,
    item_sources,
    sample_pools,
)
from codelewm.eval.downstream import DownstreamReport, evaluate_downstream
from codelewm.eval.history_pools import history_pools, history_variants
from codelewm.eval.latent import LatentGate, LatentReport, embed_all, latent_report
from codelewm.eval.leakage import LeakageCheck, check_leakage, decontaminate, eval_hashes
from codelewm.eval.pools import read_pool_file
from codelewm.eval.ranking import RankItem
from codelewm.eval.ranking_report import RankingReport, ranking_report
from codelewm.eval.retrieval import KS, retrieval_items, retrieval_variants
from codelewm.eval.runner import Progress
from codelewm.eval.scorer_quality import fixture_pools, scorer_quality_items
from codelewm.eval.surprise import SurpriseReport, surprise_pairs, surprise_report
from codelewm.records import Split
from codelewm.scoring.embedder import Embedder
from codelewm.scoring.registry import checkpoint_path, get_scorer

StartProgress = Callable[[int], Progress]  # called with the total steps; returns `advance(n)`


def _start(progress: StartProgress | None, total: int) -> Progress | None:
    return None if progress is None else progress(total)


def _leakage(scorer: str, codes: Iterable[str]) -> LeakageCheck:
    return check_leakage(checkpoint_path(scorer), eval_hashes(codes))


def _leaked_note(dropped: int, unit: str) -> list[str]:
    if not dropped:
        return []
    return [
        f"{dropped} {unit}{'s' if dropped != 1 else ''} of the sample left out before scoring: their code"
        " occurs in the scorer's training data (normalised hash)"
    ]


def _data_label(data: Path, split: Split, source: str | None) -> str:
    return f"{data} ({split}{'' if source is None else ', source ' + source})"


def run_action_use(
    *,
    data: Path,
    split: Split,
    scorer: str,
    limit: int,
    source: str | None = None,
    device: str = "cpu",
    progress: StartProgress | None = None,
) -> RankingReport:
    """P1: same-before pools of `data`; the scorer vs its null and shuffled action and baselines."""
    all_pools = list(read_pools(data, split))
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
    variants = action_use_variants(get_scorer(scorer, device=device))
    leakage = _leakage(
        scorer, [p.before for p in pools] + [m.after for p in pools for m in p.members]
    )
    return ranking_report(
        items,
        variants,
        name="action_use",
        protocol="P1 same-before action discrimination",
        data=_data_label(data, split, source),
        n_groups=len({i.query.before for i in items}),
        leakage=leakage,
        progress=_start(progress, len(items) * len(variants)),
        groups=item_sources(pools, items),
        group_by="source",
        notes=_leaked_note(leaked, "pool"),
    )


def run_action_use_history(
    chosen: Sequence[tuple[GitConfig, str]],
    *,
    scorer: str,
    fraction: float,
    device: str = "cpu",
    progress: StartProgress | None = None,
) -> RankingReport:
    """P1 on same-function pools from the last `fraction` of each (git config, label) repository's
    history: build every repository's pools, then rank them all with the scorer and its baselines."""
    pools = [history_pools(config, fraction=fraction) for config, _ in chosen]
    checkpoint = checkpoint_path(scorer)
    kept = [
        decontaminate(checkpoint, p.items, lambda i: [i.query.before, *i.query.candidates])
        for p in pools
    ]
    items: list[RankItem] = [item for k, _ in kept for item in k]
    if not items:
        raise InputError(
            "no function has 3 versions in the held-out period of "
            + ", ".join(p.repo for p in pools),
            remediation="Use a longer history or a larger --last-fraction.",
        )
    labels = [p.repo for p, (k, _) in zip(pools, kept, strict=True) for _ in k]
    variants = history_variants(get_scorer(scorer, device=device))
    codes = [code for item in items for code in (item.query.before, *item.query.candidates)]
    leakage = check_leakage(checkpoint, eval_hashes(codes))
    notes = [
        f"{p.repo} ({label}): {p.period_commits} commits in the last {fraction:.0%} by author time, "
        f"{p.edits} kept function edits of {p.functions} functions, {len(p.items)} queries"
        + (
            f", {dropped} left out (their code occurs in the scorer's training data)"
            if dropped
            else ""
        )
        for p, (_, label), (_, dropped) in zip(pools, chosen, kept, strict=True)
    ]
    return ranking_report(
        items,
        variants,
        name="action_use_history",
        protocol="P1 same-before action discrimination (same-function pools from history)",
        data=", ".join(f"{c.repo} ({label})" for c, label in chosen),
        n_groups=len({i.query.before for i in items}),
        leakage=leakage,
        progress=_start(progress, len(items) * len(variants)),
        groups=labels,
        group_by="repository",
        notes=notes,
    )


def run_retrieval(
    *,
    data: Path,
    split: Split,
    scorer: str,
    candidates: int,
    queries: int,
    source: str | None = None,
    device: str = "cpu",
    progress: StartProgress | None = None,
) -> RankingReport:
    """P2: the true after among up to `candidates` held-out afters."""
    records = list(read_transitions(data, split))
    if source is not None:
        records = [r for r in records if r.source == source]
    items = retrieval_items(records, candidates=candidates, queries=queries)
    if not items:
        where = "" if source is None else f" of source {source!r}"
        raise InputError(
            f"no transitions{where} in {data} ({split})", remediation="Build the dataset first."
        )
    variants = retrieval_variants(get_scorer(scorer, device=device))
    codes = [*items[0].query.candidates, *(i.query.before for i in items)]
    return ranking_report(
        items,
        variants,
        name="retrieval",
        protocol="P2 cross-candidate retrieval",
        data=_data_label(data, split, source),
        n_groups=len({i.query.before for i in items}),
        leakage=_leakage(scorer, codes),
        ks=KS,
        notes=[f"{len(items[0].query.candidates)} candidate afters per query"],
        progress=_start(progress, len(items) * len(variants)),
    )


def run_surprise(
    *,
    data: Path,
    split: Split,
    scorer: str,
    limit: int,
    device: str = "cpu",
    progress: StartProgress | None = None,
) -> SurpriseReport:
    """P3: pairwise AUC of the true after vs a decoy, per decoy kind."""
    records = list(read_transitions(data, split))
    pools = list(read_pools(data, split)) if pools_path(data, split).is_file() else []
    pairs = surprise_pairs(records, pools, limit=limit)
    if not pairs:
        raise InputError(
            f"no decoy pairs could be built from {data} ({split})",
            remediation="Build the dataset first.",
        )
    variants = retrieval_variants(get_scorer(scorer, device=device))
    leakage = _leakage(scorer, [c for p in pairs for c in p.query.candidates])
    return surprise_report(
        pairs,
        variants,
        data=f"{data} ({split})",
        leakage=leakage,
        progress=_start(progress, len(pairs) * len(variants)),
    )


def run_scorer_quality(
    *,
    scorer: str,
    fixtures: Path | None = None,
    device: str = "cpu",
    progress: StartProgress | None = None,
) -> RankingReport:
    """The true after's rank among hand-made candidates (`fixtures`, default the packaged set)."""
    pools = fixture_pools(fixtures)
    items = scorer_quality_items(pools)
    variants = action_use_variants(get_scorer(scorer, device=device))
    leakage = _leakage(scorer, [c.code for p in pools for c in p.candidates])
    return ranking_report(
        items,
        variants,
        name="scorer_quality",
        protocol="Scorer quality (hand-made candidates)",
        data=str(fixtures or "packaged fixtures"),
        n_groups=len(items),
        leakage=leakage,
        progress=_start(progress, len(items) * len(variants)),
    )


def run_latent(
    *,
    data: Path,
    split: Split,
    scorer: str,
    limit: int,
    gate: LatentGate,
    device: str = "cpu",
    progress: StartProgress | None = None,
) -> LatentReport:
    """P5: effective rank, per-dim variance and mean cosine of the scorer's embeddings."""
    started = time.perf_counter()
    the_scorer = get_scorer(scorer, device=device)
    if not isinstance(the_scorer, Embedder):
        raise InputError(
            f"{scorer} has no latent to inspect",
            remediation="Give a checkpoint directory: only the world model implements Embedder.",
        )
    records = list(read_transitions(data, split))
    texts = list(dict.fromkeys(t for r in records for t in (r.before, r.after)))[:limit]
    embeddings = embed_all(the_scorer.embed, texts, progress=_start(progress, len(texts)))
    return latent_report(
        embeddings,
        scorer=getattr(the_scorer, "name", scorer),
        data=f"{data} ({split})",
        gate=gate,
        leakage=_leakage(scorer, texts),
        started=started,
    )


def run_downstream(
    pools: Path,
    *,
    scorer: str,
    baselines: Sequence[str],
    modes: set[str],
    generated_tests: Path | None = None,
    workers: int = 2,
    site_packages: bool = False,
    device: str = "cpu",
    progress: StartProgress | None = None,
    notify: Callable[[str], None] | None = None,
) -> DownstreamReport:
    """P4 on a labelled pool file; `modes` ({'examples', 'generated'} or fewer) is what runs in the
    sandbox (opt-in execution); `notify` hears, before anything runs, that code is executed.
    `site_packages` lets the executed candidates import installed packages (pandas and polars for
    dataframebench), with the limits its labelling used; every other isolation layer stays."""
    if site_packages and not modes:
        raise InputError(
            "--site-packages applies to executed candidates only",
            remediation="Add --execute examples|generated|all, or drop --site-packages.",
        )
    policy, limits = None, None
    if site_packages:
        from codelewm.eval.packs.mutants import HEAVY_LABEL_LIMITS, HEAVY_POLICY

        policy, limits = HEAVY_POLICY, HEAVY_LABEL_LIMITS
    pool_list = read_pool_file(pools)
    tests_by_pool = None
    if "generated" in modes and generated_tests is not None:
        from codelewm.eval.generated_io import load_generated_tests

        tests_by_pool = load_generated_tests(generated_tests)
    examples = generated = None
    if "examples" in modes:
        from codelewm.eval.examples_exec import EXAMPLE_LIMITS, run_pool_examples

        if notify is not None:
            notify("running each pool's examples in the sandbox (code is executed)")
        examples = run_pool_examples(
            pool_list, workers=workers, policy=policy, limits=limits or EXAMPLE_LIMITS
        )
    if tests_by_pool is not None:
        from codelewm.eval.codet import GENERATED_LIMITS, run_pool_generated

        if notify is not None:
            notify("running each pool's generated tests in the sandbox (code is executed)")
        generated = run_pool_generated(
            pool_list,
            tests_by_pool,
            workers=workers,
            policy=policy,
            limits=limits or GENERATED_LIMITS,
        )
    the_scorer = get_scorer(scorer, device=device)
    leakage = _leakage(scorer, (c.code for p in pool_list for c in p.candidates))
    return evaluate_downstream(
        pool_list,
        the_scorer,
        pools_label=str(pools),
        leakage=leakage,
        baselines=baselines,
        progress=_start(progress, len(pool_list) * (len(baselines) + 2)),
        examples=examples,
        generated=generated,
    )
