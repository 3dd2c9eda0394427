"""Render docs/benchmarks/HISTORY.md from the report artifacts that scripts/eval-history wrote.

Every number comes from one report.json; the exact command (from that report's manifest) stands
beside it. Targets are issue 15's: on the held-out repositories' same-function pools the model's R@1
lies above its null-action control (paired 95% CI above 0) and above instruction-lexical; among
1,000 held-out real-commit afters (P2) its lift over the identity (null action) has a CI above 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baselines_md import command_of, est, signed, table


def load(reports: Path, name: str) -> dict[str, Any] | None:
    path = reports / name / "report.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _named(report: dict[str, Any], role: str, contains: str = "") -> dict[str, Any]:
    return next(r for r in report["results"] if r["role"] == role and contains in r["name"])


def _paired_r1(report: dict[str, Any], other: str) -> dict[str, Any]:
    from codelewm.eval.bootstrap import paired_difference_ci

    main = report["results"][0]["per_item_r1"]
    rival = next(r for r in report["results"] if r["name"] == other)["per_item_r1"]
    return paired_difference_ci(main, rival).model_dump()


def _lifts(report: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name of the null-action control, the scorer's paired R@1 lift over it)."""
    name, lift = next((k, v) for k, v in report["control_lifts"].items() if "null action" in k)
    return name, lift


def _ok(lift: dict[str, Any]) -> str:
    return "**yes**" if lift["lo"] > 0 else "no"


def p1_section(report: dict[str, Any], report_dir: Path) -> tuple[list[list[str]], list[str]]:
    command = command_of(report_dir)
    null_name, null_lift = _lifts(report)
    lexical = _paired_r1(report, "instruction-lexical")
    n = report["n_items"]
    targets = [
        [
            f"P1 history: model - null action, R@1 (n = {n})",
            "CI > 0",
            signed(null_lift),
            _ok(null_lift),
            f"`{command}`",
        ],
        [
            f"P1 history: model - instruction-lexical, R@1 (n = {n})",
            "CI > 0",
            signed(lexical),
            _ok(lexical),
            f"`{command}`",
        ],
    ]
    rows = [
        [r["name"], r["role"], est(r["recall_at"]["1"]), est(r["mrr"]), f"{r['mean_k']:.1f}"]
        for r in report["results"]
    ]
    repos = sorted(next(iter(report["by_group"].values())))
    per_repo = [[name, *(est(per[g]) for g in repos)] for name, per in report["by_group"].items()]
    lift_rows = [
        [name, signed(lift), *(signed(report["control_lifts_by_group"][name][g]) for g in repos)]
        for name, lift in report["control_lifts"].items()
    ]
    lines = [
        "## P1 on real edits: same-function pools of the held-out repositories",
        "",
        f"```\n{command}\n```",
        "",
        f"n = {n} queries; {report['data']}.",
        "",
        table(["ranker", "role", "R@1", "MRR", "mean K"], rows),
        "",
        "R@1 per repository:",
        "",
        table(["ranker", *repos], per_repo),
        "",
        f"R@1 of the model minus each control, paired (`{null_name}` is the no-action control):",
        "",
        table(["control", "pooled", *repos], lift_rows),
        "",
        *(f"- {note}" for note in report["notes"]),
        f"- Leakage: {report['leakage']['note']}",
        "",
    ]
    return targets, lines


def p2_section(
    report: dict[str, Any], report_dir: Path, split: str
) -> tuple[list[list[str]], list[str]]:
    command = command_of(report_dir)
    identity_name, identity = _lifts(report)
    n = report["n_items"]
    targets = [
        [
            f"P2 git {split}: model - identity, R@1 (n = {n})",
            "CI > 0",
            signed(identity),
            _ok(identity),
            f"`{command}`",
        ],
    ]
    rows = [
        [
            r["name"],
            r["role"],
            est(r["recall_at"]["1"]),
            est(r["recall_at"]["10"]),
            est(r["mrr"]),
            f"{r['median_rank']:.1f}",
        ]
        for r in report["results"]
    ]
    lines = [
        f"## P2 among 1,000 held-out real-commit afters ({split} split, source git)",
        "",
        f"```\n{command}\n```",
        "",
        f"n = {n} queries; {report['data']}; "
        + "; ".join(report["notes"])
        + f". Identity = `{identity_name}`.",
        "",
        table(["ranker", "role", "R@1", "R@10", "MRR", "median rank"], rows),
        "",
        f"- Leakage: {report['leakage']['note']}",
        "",
    ]
    return targets, lines


def render(reports: Path, data: str) -> str:
    targets: list[list[str]] = []
    body: list[str] = []
    p1 = load(reports, "history_p1")
    if p1 is not None:
        t, lines = p1_section(p1, reports / "history_p1")
        targets += t
        body += lines
    for split in ("test", "val"):
        p2 = load(reports, f"retrieval_git_{split}")
        if p2 is None:
            targets.append(
                [
                    f"P2 git {split}: model - identity, R@1",
                    "CI > 0",
                    "not run",
                    "-",
                    "`./scripts/eval-history`",
                ]
            )
        else:
            t, lines = p2_section(p2, reports / f"retrieval_git_{split}", split)
            targets += t
            body += lines
    scorer = (p1 or {}).get("scorer", "?")
    held = (p1 or {}).get("data", "(no P1 report)")
    head = [
        "# Real commit histories (issue 15)",
        "",
        "Written by `scripts/eval-history` (`scripts/history_md.py`) from the reports it names; do not",
        "edit by hand. Held-out repositories (`[split.groups]` of `configs/data/default.toml`, as",
        f"the P1 report names them): {held}. P2 reads the git",
        f"transitions of `{data}`. Scorer: `{scorer}`. 95% percentile bootstrap CIs (2,000",
        "resamples, seed 17); differences are paired over the same queries.",
        "",
        "## Targets",
        "",
        table(["target", "wanted", "measured", "met", "command"], targets),
        "",
    ]
    return "\n".join(head + body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", default="build/default-data/dataset")
    args = parser.parse_args()
    text = render(args.reports, args.data)
    notes = args.out.with_name(args.out.stem + ".notes.md")  # hand-written reading, verbatim
    if notes.is_file():
        text += "\n" + notes.read_text(encoding="utf-8")
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
