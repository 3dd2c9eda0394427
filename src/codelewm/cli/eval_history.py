"""`codelewm eval action-use --source git`: P1 on same-function pools of held-out repositories' history.

Thin: the repositories come from `--repo` or from the git tables of a dataset config whose group is
held out (`--dataset-config`); `eval/history_pools.py` builds the queries, `eval/ranking_report.py`
ranks and reports them per repository and pooled.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from codelewm.data.build import load_build_config
from codelewm.data.sources.git import GitConfig
from codelewm.errors import InputError
from codelewm.eval.history_pools import (
    HistoryPools,
    git_configs,
    held_out_git_configs,
    history_pools,
    history_variants,
)
from codelewm.eval.leakage import check_leakage, decontaminate, eval_hashes
from codelewm.eval.ranking import RankItem
from codelewm.eval.ranking_report import RankingReport, ranking_report
from codelewm.records import Split
from codelewm.scoring.registry import checkpoint_path, get_scorer

HELD_OUT: tuple[Split, ...] = ("val", "test")


def history_splits(value: str) -> tuple[Split, ...]:
    """`--split` in history mode: val, test or held-out (both)."""
    if value == "held-out":
        return HELD_OUT
    if value in HELD_OUT:
        return (value,)  # type: ignore[return-value]
    raise InputError(
        f"--split {value!r}: evaluate on held-out repositories only",
        remediation="Use --split test, --split val or --split held-out.",
    )


def chosen_repos(
    repos: Sequence[Path], dataset_config: Path | None, splits: Sequence[Split]
) -> list[tuple[GitConfig, str]]:
    """(git config, label: its split or `--repo`) of every repository to evaluate."""
    if repos and dataset_config is not None:
        raise InputError(
            "give --repo or --dataset-config, not both",
            remediation="--dataset-config evaluates its held-out git repositories.",
        )
    if repos:
        missing = [str(r) for r in repos if not r.exists()]
        if missing:
            raise InputError(f"--repo {', '.join(missing)} does not exist")
        return [(c, "--repo") for c in git_configs(repos)]
    if dataset_config is None:
        raise InputError(
            "--source git needs --repo PATH or --dataset-config FILE (or --data DIR for the "
            "dataset's own git pools)",
            remediation="e.g. --dataset-config configs/data/default.toml --split held-out",
        )
    found = held_out_git_configs(load_build_config(dataset_config), splits)
    if not found:
        raise InputError(f"{dataset_config} holds out no git repository in {'/'.join(splits)}")
    return [(config, split) for config, split in found]


def history_report(
    chosen: Sequence[tuple[GitConfig, str]],
    scorer: str,
    *,
    fraction: float,
    device: str,
    progress: Any,
    data: str,
) -> tuple[RankingReport, list[HistoryPools]]:
    """Build every repository's pools, then rank them all with the scorer and its baselines."""
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
    the_scorer = get_scorer(scorer, device=device)
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
    report = ranking_report(
        items,
        history_variants(the_scorer),
        name="action_use_history",
        protocol="P1 same-before action discrimination (same-function pools from history)",
        data=data,
        n_groups=len({i.query.before for i in items}),
        leakage=leakage,
        progress=progress,
        groups=labels,
        group_by="repository",
        notes=notes,
    )
    return report, pools


def n_rankers() -> int:
    """How many rankers `history_variants` gives (for the progress bar's total)."""
    return len(history_variants(get_scorer("random")))
