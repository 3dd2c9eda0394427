"""P1 on real edits: same-function pools from the recent history of a held-out repository.

The held-out period of a repository is the last `fraction` (20%) of its non-merge commits by author
time. Every function edit the git source keeps there (`data/sources/git.py`, the same commit and
record filters as the dataset: reverts, sweeps, bulk commits, caps, `data/filters.py`) is one step
in the life of a function, keyed by (path, qualified name) with file renames followed. A query is
(the edit's before, the commit message's first paragraph); its candidates are the distinct versions
of that function within the period (every before and after of its edits there, distinct by
normalised code, in time order), so they include the unedited before; the true after is the
commit's own after. Only functions with at least `min_k` versions make queries.

Rankers (`history_variants`): those of P1 (`eval/action_use.py`: the scorer, its null action and a
shuffled action, lexical, bm25, no-action, random) plus instruction-lexical (the message against
the candidate's diff, `eval/instruction_lexical.py`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from codelewm.code.functions import normalised_hash
from codelewm.data.build import BuildConfig
from codelewm.data.filters import FilterConfig, record_skip_reason
from codelewm.data.gitio import Commit
from codelewm.data.sources.git import GitConfig, GitSource, repo_name
from codelewm.data.split import split_of
from codelewm.eval.action_use import MIN_K, action_use_variants
from codelewm.eval.instruction_lexical import InstructionLexicalScorer
from codelewm.eval.ranking import RankItem, Variant
from codelewm.records import Split, TransitionRecord
from codelewm.scoring.protocol import Query, Scorer

FRACTION = 0.2


@dataclass(frozen=True)
class FunctionEdit:
    """One kept edit of the held-out period, with the function it belongs to."""

    function: tuple[str, str]  # (path at the function's first edit in the period, qualname)
    record: TransitionRecord


@dataclass(frozen=True)
class HistoryPools:
    """The queries of one repository, and how many commits and edits they came from."""

    repo: str
    period_commits: int
    edits: int
    functions: int
    items: list[RankItem]


def held_out_period(commits: Sequence[Commit], fraction: float = FRACTION) -> list[Commit]:
    """The last `fraction` of the non-merge commits by author time, in their given (topological)
    order, so a commit's before was read before its after is edited again."""
    plain = [c for c in commits if len(c.parents) <= 1]
    by_time = sorted(range(len(plain)), key=lambda i: datetime.fromisoformat(plain[i].author_date))
    keep = set(by_time[len(plain) - math.ceil(fraction * len(plain)) :]) if plain else set()
    return [c for i, c in enumerate(plain) if i in keep]


def period_edits(
    config: GitConfig, *, fraction: float = FRACTION, filters: FilterConfig | None = None
) -> tuple[list[Commit], list[FunctionEdit]]:
    """The held-out period's commits and the function edits kept there (renames followed)."""
    source = GitSource(config)
    period = held_out_period(source.commits(), fraction)
    checks = filters or FilterConfig()
    alias: dict[str, str] = {}  # path now -> the path it had at its first edit in the period
    edits = []
    for _, records in source.commit_transitions(period):
        for record in records:
            old = str(record.meta.get("old_path", record.path))
            alias[record.path] = alias.get(old, old)
            if record_skip_reason(record, checks) is None:
                edits.append(FunctionEdit((alias[record.path], record.symbol), record))
    return period, edits


def history_items(
    edits: Sequence[FunctionEdit], *, label: str, min_k: int = MIN_K
) -> Iterator[RankItem]:
    """One query per edit of a function with at least `min_k` distinct versions in the period."""
    by_function: dict[tuple[str, str], list[TransitionRecord]] = {}
    for edit in edits:
        by_function.setdefault(edit.function, []).append(edit.record)
    for (path, symbol), records in by_function.items():
        versions: dict[str, str] = {}  # normalised hash -> first text seen, in time order
        for record in records:
            versions.setdefault(normalised_hash(record.before), record.before)
            versions.setdefault(normalised_hash(record.after), record.after)
        if len(versions) < min_k:
            continue
        keys = list(versions)
        for record in records:
            yield RankItem(
                query=Query(
                    before=record.before,
                    instruction=record.instruction,
                    candidates=tuple(versions.values()),
                    query_id=f"{label}:{path}:{symbol}@{record.meta['commit']}",
                ),
                target=keys.index(normalised_hash(record.after)),
            )


def history_pools(
    config: GitConfig,
    *,
    fraction: float = FRACTION,
    filters: FilterConfig | None = None,
    min_k: int = MIN_K,
) -> HistoryPools:
    """The same-function queries of one repository's held-out period."""
    label = repo_name(config.repo)
    period, edits = period_edits(config, fraction=fraction, filters=filters)
    items = list(history_items(edits, label=label, min_k=min_k))
    return HistoryPools(
        repo=label,
        period_commits=len(period),
        edits=len(edits),
        functions=len({e.function for e in edits}),
        items=items,
    )


def history_variants(scorer: Scorer) -> list[Variant]:
    """P1's rankers plus instruction-lexical (the message against each candidate's diff)."""
    variants = action_use_variants(scorer)
    lexical = InstructionLexicalScorer()
    return [*variants, Variant(lexical.name, "baseline", lexical)]


def git_configs(repos: Sequence[Path]) -> list[GitConfig]:
    """Git source configs with the dataset defaults for repositories named on the command line."""
    return [GitConfig(repo=repo) for repo in repos]


def held_out_git_configs(
    config: BuildConfig, splits: Sequence[Split]
) -> list[tuple[GitConfig, Split]]:
    """The git tables of a dataset config whose repository group lies in one of `splits` (pinned in
    `[split.groups]` or hashed, exactly as the build assigns it)."""
    found = []
    for source in config.sources:
        if isinstance(source, GitConfig):
            group = source.group or repo_name(source.repo)
            split = split_of(group, seed=config.seed, config=config.split)
            if split in splits:
                found.append((source, split))
    return found
