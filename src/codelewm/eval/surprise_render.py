"""Markdown and plots of a surprise (P3) report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codelewm.eval.report import claim_markdown, estimate_bars, markdown_table
from codelewm.eval.surprise import DECOY_KINDS, SurpriseReport

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def surprise_markdown(report: SurpriseReport) -> str:
    kinds = [k for k in DECOY_KINDS if report.n_per_kind.get(k)]
    header = [
        "ranker",
        "role",
        f"all {report.n_pairs}",
        *(f"{k} ({report.n_per_kind[k]})" for k in kinds),
    ]
    rows = []
    for result in report.results:
        by_kind = {k.kind: k.auc.text() for k in result.per_kind}
        rows.append(
            [result.name, result.role, result.overall.text(), *(by_kind.get(k, "-") for k in kinds)]
        )
    lines = [
        f"# P3 surprise: {report.scorer}\n",
        f"Data: `{report.data}`; {report.n_pairs} (true after, decoy) pairs. Pairwise AUC = P(true"
        " energy < decoy energy), ties 0.5; 95% bootstrap CIs over pairs (2,000 resamples, seed 17).\n",
        markdown_table(header, rows),
    ]
    if report.lift is not None:
        lines.append(
            f"AUC lift over the strongest baseline ({report.strongest_baseline}), paired:"
            f" {report.lift.text(signed=True)}.\n"
        )
    lines.append(claim_markdown(report.claim.allowed, report.claim.statement, report.leakage.note))
    return "\n".join(lines)


def surprise_figures(report: SurpriseReport) -> dict[str, Figure]:
    series = {
        kind: {r.name: k.auc for r in report.results for k in r.per_kind if k.kind == kind}
        for kind in DECOY_KINDS
        if report.n_per_kind.get(kind)
    }
    title = f"P3 surprise AUC per decoy kind ({report.n_pairs} pairs)"
    return {"auc_per_kind": estimate_bars(series, title=title, ylabel="pairwise AUC (95% CI)")}
