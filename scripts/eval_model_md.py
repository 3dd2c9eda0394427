"""Render docs/benchmarks/MODEL.md from the report artifacts that scripts/eval-model wrote.

The summary table checks each target of the model issue against the numbers in the reports; every
section below it comes from one report.json, with the command recorded in that report's manifest.
Hand-written reading goes in MODEL.notes.md (included verbatim); the ablation table comes from the
JSON that scripts/ablations wrote.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baselines_md import by_group_table, command_of, est, signed, table

from codelewm.eval.bootstrap import paired_difference_ci

P4_TITLES = {
    "p4_humaneval_wsd": "HumanEval WS-D (reference + failing single-point mutants)",
    "p4_mbpp_wsd": "MBPP WS-D (test split; reference + failing mutants)",
    "p4_dataframebench_wsd": "dataframebench WS-D (val + test; pandas and polars references + failing mutants)",
    "p4_devset_mbpp_llm": "real LLM samples (MBPP dev pools, GPT-3.5/GPT-4)",
    "p4_labelled_test": "held-out sandbox-labelled pools (exercism, QuixBugs, doctests: test-split groups)",
}


def load(reports: Path, name: str) -> dict[str, Any] | None:
    path = reports / name / "report.json"
    return json.loads(path.read_text()) if path.is_file() else None


def row_of(report: dict[str, Any], role: str, key: str = "results") -> dict[str, Any]:
    return next(r for r in report[key] if r["role"] == role)


def named(report: dict[str, Any], name: str, key: str = "results") -> dict[str, Any] | None:
    return next((r for r in report[key] if r["name"] == name), None)


def mark(ok: bool | None) -> str:
    return "-" if ok is None else ("**yes**" if ok else "no")


def p1_rows(report: dict[str, Any] | None, label: str, target: float) -> list[list[str]]:
    if report is None:
        return [[f"P1 R@1, held-out {label} pools", f">= {target}", "not run", "-"]]
    scorer = row_of(report, "scorer")
    controls = [r for r in report["results"] if r["role"] == "control"]
    r1 = scorer["recall_at"]["1"]
    drops = [r1["mean"] - c["recall_at"]["1"]["mean"] for c in controls]
    bm25 = named(report, "bm25")
    base = f" (bm25 {bm25['recall_at']['1']['mean']:.3f})" if bm25 else ""
    return [
        [
            f"P1 R@1, held-out {label} pools (n = {report['n_items']} queries)",
            f">= {target}",
            est(r1) + base,
            mark(r1["mean"] >= target),
        ],
        [
            f"P1 {label}: null action / shuffled instruction at least 0.5 lower",
            ">= 0.5 below",
            " / ".join(f"{c['recall_at']['1']['mean']:.3f}" for c in controls)
            + f" ({' / '.join(f'{d:.2f}' for d in drops)} below)",
            mark(all(d >= 0.5 for d in drops)),
        ],
    ]


def p2_row(report: dict[str, Any] | None) -> list[str]:
    if report is None:
        return ["P2 retrieval lift over no-action", ">= +0.10, CI > 0", "not run", "-"]
    scorer = row_of(report, "scorer")
    base = named(report, "no-action")
    assert base is not None
    lift = paired_difference_ci(scorer["per_item_r1"], base["per_item_r1"]).model_dump()
    return [
        f"P2 retrieval R@1 lift over no-action ({report['n_items']} queries, 1,000 candidates)",
        ">= +0.10, CI > 0",
        signed(lift) + f" (model {scorer['recall_at']['1']['mean']:.3f}, "
        f"no-action {base['recall_at']['1']['mean']:.3f})",
        mark(lift["mean"] >= 0.10 and lift["lo"] > 0),
    ]


def p3_rows(report: dict[str, Any] | None) -> list[list[str]]:
    wanted = {"mutant": ("mutants of the true after", 0.95), "other_edit": ("other edits", 0.90)}
    if report is None:
        return [[f"P3 AUC vs {t}", f">= {v}", "not run", "-"] for t, v in wanted.values()]
    scorer = row_of(report, "scorer")
    kinds = {k["kind"]: k["auc"] for k in scorer["per_kind"]}
    rows = []
    for kind, (text, target) in wanted.items():
        auc = kinds.get(kind)
        rows.append(
            [
                f"P3 surprise AUC vs {text} (n = {report['n_per_kind'].get(kind, 0)})",
                f">= {target}",
                est(auc),
                mark(None if auc is None else auc["mean"] >= target),
            ]
        )
    return rows


def p4_rows(reports: Path) -> list[list[str]]:
    rows = []
    humaneval = load(reports, "p4_humaneval_wsd")
    if humaneval is not None:
        p1 = row_of(humaneval, "scorer", "rankers")["pass_at_1"]
        rows.append(
            [
                "P4 HumanEval WS-D pass@1",
                ">= 0.50",
                est(p1) + f" (strongest baseline {humaneval['strongest_baseline']})",
                mark(p1["mean"] >= 0.5),
            ]
        )
    for name, label in (
        ("p4_devset_mbpp_llm", "real LLM MBPP pools"),
        ("p4_dataframebench_wsd", "dataframebench WS-D"),
        ("p4_labelled_test", "held-out sandbox-labelled pools (exercism, QuixBugs, doctests)"),
        ("p4_humaneval_wsd", "HumanEval WS-D"),
        ("p4_mbpp_wsd", "MBPP WS-D"),
    ):
        report = load(reports, name)
        if report is None or report.get("lift") is None:
            continue
        lift = report["lift"]
        rows.append(
            [
                f"P4 {label}: (a) pass@1 lift over the strongest baseline ({report['strongest_baseline']})",
                "CI above 0",
                signed(lift),
                mark(lift["lo"] > 0),
            ]
        )
        adds = report.get("model_adds")
        if adds is not None:
            rows.append(
                [
                    f"P4 {label}: (b) what the model adds (fused minus fused-without-model)",
                    "CI above 0",
                    signed(adds),
                    mark(adds["lo"] > 0),
                ]
            )
    return rows


def p5_row(report: dict[str, Any] | None) -> list[str]:
    if report is None:
        return ["P5 effective rank / dim", ">= 0.3", "not run", "-"]
    health = report["health"]
    ratio = health["effective_rank_ratio"]
    return [
        f"P5 effective rank / dim ({health['n']} held-out texts)",
        ">= 0.3",
        f"{ratio:.3f} ({health['effective_rank']:.1f} of {health['dim']}; mean cosine"
        f" {health['mean_pairwise_cosine']:.2f})",
        mark(ratio >= 0.3),
    ]


def summary(reports: Path) -> str:
    rows = [
        *p1_rows(load(reports, "action_use_mutations"), "mutation", 0.80),
        *p1_rows(load(reports, "action_use_ruff"), "ruff-rule", 0.90),
        p2_row(load(reports, "retrieval")),
        *p3_rows(load(reports, "surprise")),
        *p4_rows(reports),
        p5_row(load(reports, "latent")),
    ]
    return "## Summary against the targets\n\n" + table(
        ["target (model issue)", "wanted", "measured [95% CI]", "met"], rows
    )


def ranking_section(report: dict[str, Any]) -> str:
    ks = list(report["results"][0]["recall_at"])
    rows = [
        [
            f"**{r['name']}** (model)" if r["role"] == "scorer" else r["name"],
            r["role"],
            *(est(r["recall_at"][k]) for k in ks),
            est(r["mrr"]),
            f"{r['median_rank']:.1f}",
        ]
        for r in report["results"]
    ]
    text = f"n = {report['n_items']} queries ({report['n_groups']} distinct befores), data `{report['data']}`.\n\n"
    text += table(["ranker", "role", *(f"R@{k}" for k in ks), "MRR", "median rank"], rows)
    if report.get("lift_r1"):
        text += (
            f"\nR@1 lift over the strongest baseline ({report['strongest_baseline']}), paired:"
            f" {signed(report['lift_r1'])}.\n"
        )
    if report.get("by_group") and len(next(iter(report["by_group"].values()))) > 1:
        text += by_group_table(report)
    return text + claim_line(report)


def surprise_section(report: dict[str, Any]) -> str:
    kinds = [k for k, n in report["n_per_kind"].items() if n]
    rows = []
    for r in report["results"]:
        by_kind = {k["kind"]: est(k["auc"]) for k in r["per_kind"]}
        name = f"**{r['name']}** (model)" if r["role"] == "scorer" else r["name"]
        rows.append([name, r["role"], est(r["overall"]), *(by_kind.get(k, "-") for k in kinds)])
    text = f"n = {report['n_pairs']} pairs, data `{report['data']}`.\n\n"
    text += table(
        ["ranker", "role", "all", *(f"{k} ({report['n_per_kind'][k]})" for k in kinds)], rows
    )
    return text + claim_line(report)


def p4_section(report: dict[str, Any]) -> str:
    rows = [
        [
            f"**{r['name']}** (model)" if r["role"] == "scorer" else r["name"],
            r["role"],
            est(r["pass_at_1"]),
            est(r["pass_at_1_mixed"]),
            est(r["pass_at_k"].get("3")),
        ]
        for r in report["rankers"]
    ]
    text = f"n = {report['n_pools']} pools ({report['n_mixed']} mixed), {report['n_candidates']} candidates.\n\n"
    text += table(["ranker", "role", "pass@1, all", "pass@1, mixed", "pass@3, all"], rows)
    if report.get("lift"):
        text += (
            f"\npass@1 lift over the strongest baseline ({report['strongest_baseline']}), paired:"
            f" {signed(report['lift'])}; on mixed pools {signed(report.get('lift_mixed'))}.\n"
        )
    if report.get("model_adds"):
        text += (
            "\nWhat the model adds: pass@1 of the fused score minus the same calibrated fusion"
            f" without the model's terms (`fused-without-model`), paired: {signed(report['model_adds'])}."
            " `signal:<name>` rows rank by one model signal alone.\n"
        )
    return text + claim_line(report)


def latent_section(report: dict[str, Any]) -> str:
    h = report["health"]
    rows = [
        ["texts embedded (held-out befores and afters)", str(h["n"])],
        ["latent dim", str(h["dim"])],
        ["effective rank", f"{h['effective_rank']:.2f}"],
        ["effective rank / dim", f"{h['effective_rank_ratio']:.3f}"],
        ["mean pairwise cosine", f"{h['mean_pairwise_cosine']:.3f}"],
        ["dead dimensions (fraction)", f"{report['dead_fraction']:.3f}"],
        ["gate", "passed" if report["gate_passed"] else "; ".join(report["failed_conditions"])],
    ]
    return table(["", ""], rows)


def claim_line(report: dict[str, Any]) -> str:
    leakage = report["leakage"]
    claim = report["claim"]
    verdict = "allowed" if claim["allowed"] else "not allowed"
    return (
        f"\nClaim gate: **{verdict}** — {claim['statement']}. Leakage check: {leakage['status']}"
        f" ({leakage['note']}).\n"
    )


SECTIONS = [
    (
        "action_use_mutations",
        "P1 same-before action discrimination: mutation pools",
        ranking_section,
    ),
    ("action_use_ruff", "P1 same-before action discrimination: ruff-rule pools", ranking_section),
    ("retrieval", "P2 retrieval among 1,000 held-out afters", ranking_section),
    ("surprise", "P3 surprise (pairwise AUC per decoy kind)", surprise_section),
    *((name, f"P4 downstream rerank: {title}", p4_section) for name, title in P4_TITLES.items()),
    ("latent", "P5 latent health", latent_section),
    ("scorer_quality", "Scorer quality (hand-made candidates)", ranking_section),
]


def ablation_section(path: Path) -> str:
    if not path.is_file():
        return "## Ablations\n\nNot run (`./scripts/ablations`).\n"
    data = json.loads(path.read_text())
    rows = [
        [
            f"**{r['name']}**" if r["name"] == "full" else r["name"],
            r["change"],
            f"{r['val_r1']:.3f}",
            f"{r['val_r1_null']:.3f}",
            f"{r['val_r1_shuffled']:.3f}",
            f"{r['effective_rank_ratio']:.3f}",
            f"{r['examples_per_s']:.1f}",
        ]
        for r in data["runs"]
    ]
    text = (
        "## Ablations: does each loss term earn its place?\n\n"
        f"Each row trains `{data['base_config']}` for {data['steps']} steps (batch"
        f" {data['batch_size']}, seed {data['seed']}, same data order) with ONE change, then reads the"
        f" last validation ({data['val_pools']} held-out val pools; R@1 with the instruction, the null"
        " action and a shuffled instruction) and the effective rank / dim of 1,000 val texts."
        " Short runs: they rank the terms; they are not the default model's numbers.\n\n"
    )
    text += table(
        ["run", "change", "val R@1", "null action", "shuffled", "eff. rank / dim", "ex/s"], rows
    )
    return text + f"\nReproduce: `{data['command']}`\n"


def _estimate(e: dict[str, Any]) -> str:
    return f"{e['mean']:.3f} [{e['lo']:.3f}, {e['hi']:.3f}]"


def _signed(e: dict[str, Any]) -> str:
    return f"{e['mean']:+.3f} [{e['lo']:+.3f}, {e['hi']:+.3f}]"


def fusion_ablation_section(path: Path) -> str:
    """scripts/fusion_ablations.py's drop-one refits of the calibrator, per pool file."""
    if not path.is_file():
        return "## Fused-score ablations\n\nNot run (`scripts/fusion_ablations.py`).\n"
    data = json.loads(path.read_text())
    pool_names = [k for k in data["rows"][0] if k not in ("set", "weights")]
    rows = [
        [row["set"]]
        + [
            f"{_estimate(row[name]['pass_at_1'])}; {_signed(row[name]['minus_full'])}"
            for name in pool_names
        ]
        for row in data["rows"]
    ]
    text = (
        "## Fused-score ablations: which term pays for itself?\n\n"
        f"The calibrator refitted with one feature set at a time on {data['fitted_on']} (never on"
        " evaluation data), then scored on each pool file. Each cell: pass@1; paired difference to"
        " the full fusion (negative = dropping the term costs; CIs over pools).\n\n"
    )
    text += table(["feature set", *pool_names], rows)
    return text + f"\nReproduce: `{data.get('command', 'python scripts/fusion_ablations.py')}`\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ablations", type=Path, default=Path("out/ablations/ablations.json"))
    parser.add_argument("--notes", type=Path, default=Path("docs/benchmarks/MODEL.notes.md"))
    parser.add_argument(
        "--fusion-ablations", type=Path, default=Path("out/model-eval/fusion_ablations.json")
    )
    parser.add_argument("--scorer", default="default")
    args = parser.parse_args()
    shown = "" if args.scorer == "default" else f" --scorer {args.scorer}"
    parts = [
        "# The world model against the targets of the model issue\n",
        f"Generated by `./scripts/eval-model{shown}` (rendered by `scripts/eval_model_md.py` from the"
        " report artifacts in `out/model-eval/reports/`); do not edit by hand. P1-P3 and P5 use the"
        " TEST split of the default dataset (held-out groups); P4 uses the pool files of"
        " `./scripts/baselines` (`BASELINES.md`). Brackets: 95% percentile bootstrap CIs (2,000"
        " resamples, seed 17) over queries / pools / pairs.\n",
        summary(args.reports),
    ]
    if args.notes.is_file():
        parts.append(args.notes.read_text())
    parts.append(ablation_section(args.ablations))
    parts.append(fusion_ablation_section(args.fusion_ablations))
    for name, title, render in SECTIONS:
        report = load(args.reports, name)
        if report is None:
            continue
        body = render(report)
        parts.append(f"## {title}\n\n{body}\nReproduce: `{command_of(args.reports / name)}`\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(parts))


if __name__ == "__main__":
    main()
