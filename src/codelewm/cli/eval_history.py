"""`codelewm eval action-use --source git`: P1 on same-function pools of held-out repositories' history.

Thin: the repositories come from `--repo` or from the git tables of a dataset config whose group is
held out (`--dataset-config`); `eval/protocols.py` (`run_action_use_history`) builds the queries
(`eval/history_pools.py`), ranks and reports them per repository and pooled.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from codelewm.data.build import load_build_config
from codelewm.data.sources.git import GitConfig
from codelewm.errors import InputError
from codelewm.eval.history_pools import git_configs, held_out_git_configs
from codelewm.records import Split

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
