"""The report shared by the rank-the-true-after protocols (P1 action use, P2 retrieval, scorer
quality): results per ranker, the strongest baseline, the paired R@1 lift, leakage and the claim.

`control_lifts` gives the paired R@1 difference of the scorer minus each of its controls (its null
action: the no-action control of P1, the identity of P2; a shuffled action), pooled and, when items
carry group labels, per group."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from codelewm.eval.bootstrap import Estimate, bootstrap_ci, paired_difference_ci
from codelewm.eval.claim import Claim, decide_claim
from codelewm.eval.leakage import LeakageCheck
from codelewm.eval.ranking import (
    RankItem,
    RankResult,
    Variant,
    evaluate_variants,
    strongest_and_lift,
)
from codelewm.eval.report import claim_markdown, estimate_bars, markdown_table
from codelewm.eval.runner import Progress

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class RankingReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: str
    protocol: str
    data: str
    n_items: int
    n_groups: int
    scorer: str
    results: list[RankResult]
    group_by: str | None = None
    by_group: dict[str, dict[str, Estimate]] = {}  # ranker -> group (e.g. source) -> R@1
    strongest_baseline: str | None
    lift_r1: Estimate | None
    control_lifts: dict[str, Estimate] = {}  # control -> paired R@1 of (scorer - control)
    control_lifts_by_group: dict[str, dict[str, Estimate]] = {}  # control -> group -> the same
    leakage: LeakageCheck
    claim: Claim
    notes: list[str]
    runtime_s: float


def ranking_report(
    items: Sequence[RankItem],
    variants: Sequence[Variant],
    *,
    name: str,
    protocol: str,
    data: str,
    n_groups: int,
    leakage: LeakageCheck,
    ks: Sequence[int] = (1,),
    notes: Sequence[str] = (),
    progress: Progress | None = None,
    groups: Sequence[str] | None = None,
    group_by: str | None = None,
) -> RankingReport:
    """Evaluate `variants` (the first is the scorer under test) on `items` and decide the claim.

    `groups` (one label per item, e.g. its source) adds R@1 per group for every ranker."""
    started = time.perf_counter()
    if groups is not None and len(groups) != len(items):
        raise ValueError(f"{len(groups)} group labels for {len(items)} items")
    results = evaluate_variants(items, variants, ks=ks, progress=progress)
    best, lift = strongest_and_lift(results)
    claim = decide_claim(
        metric="R@1", leakage=leakage, n=len(items), lift=lift, baseline=best or "-"
    )
    return RankingReport(
        schema_version=f"codelewm.eval.{name}.v1",
        protocol=protocol,
        data=data,
        n_items=len(items),
        n_groups=n_groups,
        scorer=results[0].name,
        results=results,
        group_by=group_by if groups is not None else None,
        by_group=_by_group(results, groups) if groups is not None else {},
        strongest_baseline=best,
        lift_r1=lift,
        control_lifts=_control_lifts(results, None),
        control_lifts_by_group=(
            {c: _per_group(results, c, groups) for c in _control_lifts(results, None)}
            if groups is not None
            else {}
        ),
        leakage=leakage,
        claim=claim,
        notes=list(notes),
        runtime_s=round(time.perf_counter() - started, 3),
    )


def _control_lifts(
    results: Sequence[RankResult], keep: Sequence[bool] | None
) -> dict[str, Estimate]:
    main = results[0]
    return {
        r.name: paired_difference_ci(_pick(main.per_item_r1, keep), _pick(r.per_item_r1, keep))
        for r in results[1:]
        if r.role == "control"
    }


def _pick(values: Sequence[float], keep: Sequence[bool] | None) -> list[float]:
    return list(values) if keep is None else [v for v, k in zip(values, keep, strict=True) if k]


def _per_group(
    results: Sequence[RankResult], control: str, groups: Sequence[str]
) -> dict[str, Estimate]:
    return {
        g: _control_lifts(results, [label == g for label in groups])[control]
        for g in sorted(set(groups))
    }


def _by_group(
    results: Sequence[RankResult], groups: Sequence[str]
) -> dict[str, dict[str, Estimate]]:
    labels = sorted(set(groups))
    out: dict[str, dict[str, Estimate]] = {}
    for r in results:
        out[r.name] = {
            g: bootstrap_ci(
                [v for v, label in zip(r.per_item_r1, groups, strict=True) if label == g]
            )
            for g in labels
        }
    return out


def by_group_rows(report: RankingReport) -> tuple[list[str], list[list[str]]]:
    """(group labels, one row per ranker: name, then R@1 per group) — empty when not grouped."""
    if not report.by_group:
        return [], []
    labels = sorted({g for per in report.by_group.values() for g in per})
    rows = []
    for name, per in report.by_group.items():
        rows.append([name, *(per[g].text() if g in per else "-" for g in labels)])
    return labels, rows


def ranking_markdown(report: RankingReport) -> str:
    ks = list(report.results[0].recall_at)
    header = ["ranker", "role", *(f"R@{k}" for k in ks), "MRR", "median rank", "mean K"]
    rows = [
        [
            r.name,
            r.role,
            *(r.recall_at[k].text() for k in ks),
            r.mrr.text(),
            f"{r.median_rank:.1f}",
            f"{r.mean_k:.1f}",
        ]
        for r in report.results
    ]
    lines = [
        f"# {report.protocol}: {report.scorer}\n",
        f"Data: `{report.data}`; n = {report.n_items} queries ({report.n_groups} distinct befores). Tie-aware"
        " expected values; 95% percentile bootstrap CIs over queries (2,000 resamples, seed 17).\n",
        markdown_table(header, rows),
    ]
    labels, group_rows = by_group_rows(report)
    if labels:
        counts = {g: e.n for g, e in next(iter(report.by_group.values())).items()}
        lines.append(f"\nR@1 by {report.group_by}:\n")
        lines.append(
            markdown_table(["ranker", *(f"{g} (n={counts[g]})" for g in labels)], group_rows)
        )
    lines.extend(f"- {note}" for note in report.notes)
    if report.lift_r1 is not None:
        lines.append(
            f"\nR@1 lift of {report.scorer} over the strongest baseline ({report.strongest_baseline}),"
            f" paired: {report.lift_r1.text(signed=True)}.\n"
        )
    lines.extend(_control_lines(report))
    lines.append(claim_markdown(report.claim.allowed, report.claim.statement, report.leakage.note))
    return "\n".join(lines)


def _control_lines(report: RankingReport) -> list[str]:
    if not report.control_lifts:
        return []
    lines = [f"\nR@1 of {report.scorer} minus each control, paired:\n"]
    labels = sorted({g for per in report.control_lifts_by_group.values() for g in per})
    header = ["control", "all", *labels]
    rows = [
        [
            name,
            lift.text(signed=True),
            *(report.control_lifts_by_group.get(name, {})[g].text(signed=True) for g in labels),
        ]
        for name, lift in report.control_lifts.items()
    ]
    lines.append(markdown_table(header, rows))
    return lines


def ranking_figures(report: RankingReport) -> dict[str, Figure]:
    series = {
        "R@1": {r.name: r.recall_at["1"] for r in report.results},
        "MRR": {r.name: r.mrr for r in report.results},
    }
    title = f"{report.protocol}: n = {report.n_items}"
    return {"ranking": estimate_bars(series, title=title, ylabel="expected value (95% CI)")}
