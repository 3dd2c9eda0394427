"""Write a report artifact: `report.json` (`codelewm.eval.<name>.v1`), `report.md` and PNG plots.

The directory is an artifact (artifacts/manifest.py): written whole or not at all, with config.json and
manifest.json. Plots use matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from codelewm.artifacts.manifest import ArtifactWriter
from codelewm.artifacts.redact import redact
from codelewm.eval.bootstrap import Estimate
from codelewm.extras import require_extra
from codelewm.records import ArtifactManifest

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REPORT_KIND = "eval-report"
JSON_NAME = "report.json"
MARKDOWN_NAME = "report.md"


def use_agg() -> None:
    """Select matplotlib's display-free backend before pyplot is imported (the `eval` extra)."""
    require_extra("matplotlib", "eval", feature="report plots")
    import matplotlib

    matplotlib.use("Agg")


def write_report(
    out_dir: Path,
    *,
    report: BaseModel,
    markdown: str,
    figures: Mapping[str, Figure],
    config: Mapping[str, Any],
    overwrite: bool = False,
    command: Sequence[str] | None = None,
    parents: Sequence[Path] = (),
) -> ArtifactManifest:
    """Write the report artifact to `out_dir` and return its manifest."""
    with ArtifactWriter(
        out_dir,
        kind=REPORT_KIND,
        config=dict(config),
        overwrite=overwrite,
        command=command,
        parents=parents,
        metadata={"schema_version": getattr(report, "schema_version", "unknown")},
    ) as artifact:
        (artifact.path / JSON_NAME).write_text(
            redact(report.model_dump_json(indent=2)) + "\n", encoding="utf-8"
        )
        (artifact.path / MARKDOWN_NAME).write_text(redact(markdown), encoding="utf-8")
        if figures:
            use_agg()
        import matplotlib.pyplot as plt

        for name, figure in figures.items():
            figure.savefig(artifact.path / f"{name}.png", dpi=110, bbox_inches="tight")
            plt.close(figure)
    return artifact.manifest


def estimate_bars(
    series: Mapping[str, Mapping[str, Estimate]], *, title: str, ylabel: str
) -> Figure:
    """Grouped horizontal bars with 95% CI whiskers: series name -> (row name -> estimate)."""
    use_agg()
    import matplotlib.pyplot as plt

    rows = list(dict.fromkeys(row for values in series.values() for row in values))
    figure, axes = plt.subplots(figsize=(7.5, 0.45 * len(rows) * max(1, len(series)) + 1.2))
    height = 0.8 / max(1, len(series))
    for offset, (label, values) in enumerate(series.items()):
        ys = [i + offset * height for i, row in enumerate(rows) if row in values]
        points = [values[row] for row in rows if row in values]
        means = [p.mean for p in points]
        errors = [[p.mean - p.lo for p in points], [p.hi - p.mean for p in points]]
        axes.barh(ys, means, height=height, xerr=errors, label=label, capsize=3)
    axes.set_yticks([i + height * (len(series) - 1) / 2 for i in range(len(rows))], rows)
    axes.invert_yaxis()
    axes.set_xlabel(ylabel)
    axes.set_title(title)
    if len(series) > 1:
        axes.legend(loc="lower right")
    figure.tight_layout()
    return figure


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def claim_markdown(allowed: bool, statement: str, leakage_note: str) -> str:
    state = "ALLOWED" if allowed else "NOT ALLOWED"
    return f"## Claim: {state}\n\n{statement}\n\n## Leakage\n\n{leakage_note}\n"
