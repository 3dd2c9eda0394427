"""Markdown and plots of a downstream-rerank report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codelewm.eval.downstream import DownstreamReport
from codelewm.eval.report import claim_markdown, estimate_bars, markdown_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def downstream_markdown(report: DownstreamReport) -> str:
    header = [
        "ranker",
        "role",
        f"pass@1, all {report.n_pools}",
        f"pass@1, {report.n_mixed} mixed",
        "pass@3, all",
    ]
    rows = [
        [
            r.name,
            r.role,
            r.pass_at_1.text(),
            r.pass_at_1_mixed.text() if r.pass_at_1_mixed else "-",
            r.pass_at_k["3"].text(),
        ]
        for r in report.rankers
    ]
    lines = [
        f"# Downstream rerank (P4): {report.scorer}\n",
        f"Pools: `{report.pools}`; n = {report.n_pools} pools ({report.n_mixed} mixed: >= 1 pass and"
        f" >= 1 fail), {report.n_candidates} candidates. Expected pass@1 under random tie-breaking;"
        " 95% percentile bootstrap CIs over pools (2,000 resamples, seed 17).\n",
        markdown_table(header, rows),
    ]
    if report.lift is not None:
        mixed = report.lift_mixed.text(signed=True) if report.lift_mixed else "-"
        lines.append(
            f"Lift of {report.scorer} over the strongest baseline ({report.strongest_baseline}),"
            f" paired: all {report.lift.text(signed=True)}; mixed {mixed}.\n"
        )
    lines.append(claim_markdown(report.claim.allowed, report.claim.statement, report.leakage.note))
    return "\n".join(lines)


def downstream_figures(report: DownstreamReport) -> dict[str, Figure]:
    series = {"all pools": {r.name: r.pass_at_1 for r in report.rankers}}
    mixed = {r.name: r.pass_at_1_mixed for r in report.rankers if r.pass_at_1_mixed is not None}
    if mixed:
        series["mixed pools"] = mixed
    title = f"pass@1 on {report.n_pools} pools ({report.n_mixed} mixed)"
    return {"pass_at_1": estimate_bars(series, title=title, ylabel="expected pass@1 (95% CI)")}
