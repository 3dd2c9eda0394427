"""Markdown and plots of a downstream-rerank report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codelewm.eval.downstream import DownstreamReport
from codelewm.eval.report import claim_markdown, estimate_bars, markdown_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from codelewm.eval.bootstrap import Estimate


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
    if report.execution is not None:
        lines.append(execution_markdown(report))
    if report.generated_execution is not None:
        lines.append(generated_markdown(report))
    lines.append(claim_markdown(report.claim.allowed, report.claim.statement, report.leakage.note))
    return "\n".join(lines)


def execution_markdown(report: DownstreamReport) -> str:
    """The opt-in execution rows: what ran, and their paired lifts."""
    run = report.execution
    assert run is not None
    lines = [
        f"**Code was executed** (`--execute examples`): {run.candidates_run} candidates of "
        f"{run.pools_with_examples} pools with examples ran them in the sandbox ({run.wall_s:.0f} s); "
        f"{run.skipped_uniform} pools whose candidates share one label were not run (no order "
        "changes their pass@1). `examples+X` ranks by the fraction of examples passed, then by X; "
        "`clusters+consensus` by the weight of the candidate's behaviour cluster (same results on "
        "every example input, weighted by duplicates: MBR-exec), then consensus; "
        "`examples+clusters` by examples passed, then cluster weight, then consensus; "
        "`examples+fused` by the checkpoint's execution-aware score (its calibrator over the final "
        "score, the examples passed and the cluster share, fitted on training-side labelled pools), "
        "`examples+fused-without-model` by the same calibrator over the static fusion's score.\n"
    ]
    lines += _lift_lines(
        report, run.lift_over_static, "examples", "examples", run.lift_over_examples_without_model
    )
    for other, estimate in (
        ("examples+consensus", run.fused_over_examples_consensus),
        ("examples+fused-without-model", run.fused_over_fused_without_model),
    ):
        if estimate is not None:
            lines.append(f"- examples+fused over {other}, paired: {estimate.text(signed=True)}")
    return "\n".join(lines) + "\n"


def generated_markdown(report: DownstreamReport) -> str:
    """The CodeT rows: what ran against the LLM-written tests, and their paired lifts."""
    run = report.generated_execution
    assert run is not None
    lines = [
        f"**Code was executed** (`--execute generated`): {run.candidates_run} candidates of "
        f"{run.pools_with_tests} pools ran their pool's {run.tests} LLM-written tests in the "
        f"sandbox ({run.wall_s:.0f} s); {run.pools_without_tests} pools had no generated tests "
        f"(static order) and {run.skipped_uniform} pools whose candidates share one label were not "
        "run. `generated+X` ranks by CodeT dual agreement (the sample weight of the candidates that "
        "pass exactly the same generated tests x the number of those tests), then by X.\n"
    ]
    lines += _lift_lines(
        report,
        run.lift_over_static,
        "generated",
        "the generated tests",
        run.lift_over_generated_without_model,
    )
    return "\n".join(lines) + "\n"


def _lift_lines(
    report: DownstreamReport,
    over_static: dict[str, Estimate],
    mode: str,
    what_ran: str,
    model_lift: Estimate | None,
) -> list[str]:
    """Each execution row's paired lift over the strongest static baseline, then what the model
    adds over `<mode>+consensus` once `what_ran` ran."""
    lines = [
        f"- {row} over the strongest static baseline ({report.strongest_baseline}), paired: "
        f"{lift.text(signed=True)}"
        for row, lift in over_static.items()
    ]
    if model_lift is not None:
        lines.append(
            f"- {mode}+{report.scorer} over {mode}+consensus (what the model adds once {what_ran} "
            f"ran), paired: {model_lift.text(signed=True)}"
        )
    return lines


def downstream_figures(report: DownstreamReport) -> dict[str, Figure]:
    series = {"all pools": {r.name: r.pass_at_1 for r in report.rankers}}
    mixed = {r.name: r.pass_at_1_mixed for r in report.rankers if r.pass_at_1_mixed is not None}
    if mixed:
        series["mixed pools"] = mixed
    title = f"pass@1 on {report.n_pools} pools ({report.n_mixed} mixed)"
    return {"pass_at_1": estimate_bars(series, title=title, ylabel="expected pass@1 (95% CI)")}
