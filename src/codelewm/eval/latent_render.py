"""Markdown and plots of a latent-health (P5) report."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from codelewm.eval.latent import LatentReport
from codelewm.eval.report import markdown_table, use_agg

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def latent_markdown(report: LatentReport) -> str:
    health = report.health
    rows = [
        ["effective rank", f"{health.effective_rank:.2f} of {health.dim}"],
        [
            "effective rank / dim",
            f"{health.effective_rank_ratio:.3f} (gate >= {report.gate.min_rank_ratio})",
        ],
        [
            "mean pairwise cosine",
            f"{health.mean_pairwise_cosine:.3f} (gate <= {report.gate.max_mean_cosine})",
        ],
        ["per-dim variance: mean / min", f"{health.mean_variance:.4g} / {health.min_variance:.4g}"],
        [
            "dead dimensions",
            f"{report.dead_fraction:.3f} (gate <= {report.gate.max_dead_fraction})",
        ],
    ]
    verdict = "PASSED" if report.gate_passed else "FAILED: " + "; ".join(report.failed_conditions)
    return (
        f"# P5 latent health: {report.scorer}\n\nData: `{report.data}`; {report.n_texts} texts.\n\n"
        + markdown_table(["measure", "value"], rows)
        + f"\n## Gate: {verdict}\n\n## Leakage\n\n{report.leakage.note}\n"
    )


def latent_figures(report: LatentReport) -> dict[str, Figure]:
    variance = np.sort(np.asarray(report.health.per_dim_variance))[::-1]
    use_agg()
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 3.5))
    axes.semilogy(np.arange(1, variance.size + 1), np.maximum(variance, 1e-12))
    axes.set_xlabel("dimension (sorted)")
    axes.set_ylabel("variance")
    axes.set_title(
        f"per-dimension variance; effective rank {report.health.effective_rank:.1f} / {report.health.dim}"
    )
    figure.tight_layout()
    return {"variance": figure}
