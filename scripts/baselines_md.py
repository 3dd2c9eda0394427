"""Render docs/benchmarks/BASELINES.md from the report artifacts that scripts/baselines wrote.

Every table comes from one report.json; the command under it is the one recorded in that report's
manifest.json, so each number can be reproduced with one command.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import Any

TITLES = {
    "p4_humaneval_wsd": "P4 downstream rerank: HumanEval WS-D (reference + failing single-point mutants)",
    "p4_mbpp_wsd": "P4 downstream rerank: MBPP WS-D (test split 11-510; reference + failing mutants)",
    "p4_dataframebench_wsd": "P4 downstream rerank: dataframebench WS-D (val + test; pandas and polars references + failing mutants)",
    "p4_devset_mbpp_llm": "P4 downstream rerank: real LLM samples (397 MBPP dev pools, GPT-3.5/GPT-4)",
    "action_use": "P1 same-before action discrimination",
    "retrieval": "P2 cross-candidate retrieval",
    "surprise": "P3 surprise (pairwise AUC per decoy kind)",
    "scorer_quality": "Scorer quality (hand-made candidates)",
}
ORDER = list(TITLES)


def est(value: dict[str, Any] | None) -> str:
    if value is None:
        return "-"
    return f"{value['mean']:.3f} [{value['lo']:.3f}, {value['hi']:.3f}]"


def signed(value: dict[str, Any] | None) -> str:
    if value is None:
        return "-"
    return f"{value['mean']:+.3f} [{value['lo']:+.3f}, {value['hi']:+.3f}]"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def command_of(report_dir: Path) -> str:
    manifest = json.loads((report_dir / "manifest.json").read_text())
    argv = list(manifest["command"])
    if argv and argv[0].endswith("codelewm"):
        argv[0] = "codelewm"
    return " ".join(shlex.quote(a) for a in argv)


def p4_section(report: dict[str, Any], report_dir: Path) -> str:
    rows = [
        [
            r["name"] if r["role"] != "scorer" else "random (expected)",
            est(r["pass_at_1"]),
            est(r["pass_at_1_mixed"]),
            est(r["pass_at_k"]["3"]),
        ]
        for r in report["rankers"]
        if r["role"] != "control"
    ]
    stats_path = Path(report["pools"] + ".stats.json")
    document = json.loads(stats_path.read_text()) if stats_path.is_file() else {}
    stats = document.get("stats")
    text = f"n = {report['n_pools']} pools ({report['n_mixed']} mixed), {report['n_candidates']} candidates.\n\n"
    text += table(["ranker", "pass@1, all", "pass@1, mixed", "pass@3, all"], rows)
    text += f"\nStrongest baseline: **{report['strongest_baseline']}** — the bar a model's pass@1 must clear (paired CI of the lift above 0, n >= 100, no leakage).\n"
    if stats and stats.get("dropped"):
        dropped = ", ".join(f"{k}: {v}" for k, v in stats["dropped"].items())
        text += f"\nPack: {stats['tasks']} tasks, {stats['kept']} kept; dropped — {dropped}; pool sizes {stats['pool_sizes']}.\n"
    if document.get("command"):
        argv = ["codelewm", *document["command"][1:]]
        text += f"\nPools built by: `{' '.join(shlex.quote(a) for a in argv)}`"
        text += f" (sha256 of the pool file: `{document.get('pools_sha256', '?')[:16]}…`)\n"
    return text


def ranking_section(report: dict[str, Any]) -> str:
    ks = list(report["results"][0]["recall_at"])
    rows = [
        [
            r["name"] if r["role"] != "scorer" else "random (expected)",
            *(est(r["recall_at"][k]) for k in ks),
            est(r["mrr"]),
            f"{r['median_rank']:.1f}",
            f"{r['mean_k']:.1f}",
        ]
        for r in report["results"]
        if r["role"] != "control"
    ]
    text = f"n = {report['n_items']} queries ({report['n_groups']} distinct befores), data `{report['data']}`.\n\n"
    text += table(["ranker", *(f"R@{k}" for k in ks), "MRR", "median rank", "mean K"], rows)
    text += f"\nStrongest baseline: **{report['strongest_baseline']}**.\n"
    return text + by_group_table(report)


def by_group_table(report: dict[str, Any]) -> str:
    """R@1 per group (the source of the pool, for P1) and ranker, when the report has it."""
    by_group: dict[str, dict[str, Any]] = report.get("by_group") or {}
    if not by_group:
        return ""
    labels = sorted({g for per in by_group.values() for g in per})
    counts = {g: e["n"] for g, e in next(iter(by_group.values())).items()}
    rows = [
        [
            name
            if not name.startswith("random-expected")
            else name.replace("random-expected", "random (expected)"),
            *(est(per.get(g)) for g in labels),
        ]
        for name, per in by_group.items()
    ]
    header = ["ranker", *(f"{g} (n={counts[g]})" for g in labels)]
    return f"\nR@1 by {report.get('group_by') or 'group'}:\n\n" + table(header, rows)


def surprise_section(report: dict[str, Any]) -> str:
    kinds = [k for k, n in report["n_per_kind"].items() if n]
    rows = []
    for r in report["results"]:
        if r["role"] == "control":
            continue
        by_kind = {k["kind"]: est(k["auc"]) for k in r["per_kind"]}
        rows.append(
            [
                r["name"] if r["role"] != "scorer" else "random (expected)",
                est(r["overall"]),
                *(by_kind.get(k, "-") for k in kinds),
            ]
        )
    text = f"n = {report['n_pairs']} pairs, data `{report['data']}`.\n\n"
    return text + table(
        ["ranker", "all", *(f"{k} ({report['n_per_kind'][k]})" for k in kinds)], rows
    )


def section(name: str, report_dir: Path) -> str:
    report = json.loads((report_dir / "report.json").read_text())
    if name.startswith("p4_"):
        body = p4_section(report, report_dir)
    elif name == "surprise":
        body = surprise_section(report)
    else:
        body = ranking_section(report)
    return f"## {TITLES.get(name, name)}\n\n{body}\nReproduce: `{command_of(report_dir)}`\n"


HEADER = """# Baselines: the bar the model must clear

Generated by `./scripts/baselines` (rendered by `scripts/baselines_md.py` from the report artifacts in
`out/baselines/reports/`); do not edit by hand. Protocols are DESIGN.md's P1-P4. All values are
expected values under random tie-breaking (a constant scorer scores exactly random); brackets are 95%
percentile bootstrap CIs over pools / queries (2,000 resamples, seed 17). Baselines are untrained, so
their leakage overlap is 0 by construction. "mixed" pools have >= 1 passing and >= 1 failing candidate.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--notes", type=Path, default=Path("docs/benchmarks/BASELINES.notes.md"))
    args = parser.parse_args()
    parts = [HEADER]
    if args.notes.is_file():
        parts.append(args.notes.read_text())
    if args.data is not None and (args.data / "manifest.json").is_file():
        manifest = json.loads((args.data / "manifest.json").read_text())
        parts.append(
            f"P1-P3 use the test split of dataset `{args.data}` (artifact `{manifest['artifact_id']}`,"
            " built by `scripts/build-default-data`; held-out groups, never trained on).\n"
        )
    if args.data is None:
        parts.append(
            "## P1-P3 on the default held-out data\n\nNot run: no dataset was given (`./scripts/baselines --data DIR`).\n"
        )
    for name in ORDER:
        if (args.reports / name / "report.json").is_file():
            parts.append(section(name, args.reports / name))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(parts))


if __name__ == "__main__":
    main()
