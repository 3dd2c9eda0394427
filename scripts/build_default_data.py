"""Fetch the pinned wheels, build the default dataset cold, and write docs/benchmarks/DATA.md.

Every number in DATA.md comes from this run: the build's own stats.json and filter_report.json, the
wall clock around each step, and the machine's load average (the machine may be shared; the report
says so rather than hiding it). Run through `scripts/build-default-data`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

from codelewm.data.build import load_build_config
from codelewm.data.eval_guard import eval_hashes, is_eval_code
from codelewm.data.fetch import Fetched, load_pins, materialise
from codelewm.data.layout import SPLITS, read_transitions
from codelewm.data.sources.releases import ReleasesConfig, ReleasesSource

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path("configs/data/default.toml")
PINS = Path("configs/data/default-packages.toml")
WORK = Path("build/default-data")
WHEELS = WORK / "wheels"
CORPUS = WORK / "corpus"
OUT = WORK / "dataset"
CACHE = WORK / "unit-cache"
REPORT = Path("docs/benchmarks/DATA.md")
TARGET_TRAIN = 150_000
TARGET_HELD_OUT_POOLS = 3_000
TARGET_WALL_S = 15 * 60


def fetch() -> tuple[list[Fetched], float]:
    start = time.perf_counter()
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    provenance = materialise(load_pins(PINS), WHEELS, CORPUS)
    for source in load_build_config(CONFIG).sources:
        if isinstance(source, ReleasesConfig):
            ReleasesSource(source).prefetch()
    return provenance, time.perf_counter() - start


def build(workers: int, keep_cache: bool) -> tuple[dict[str, Any], float, float]:
    """(stats.json, wall seconds, CPU seconds of the build and its workers)."""
    if CACHE.exists() and not keep_cache:
        shutil.rmtree(CACHE)
    command = [
        str(Path(sys.executable).parent / "codelewm"),
        "dataset",
        "build",
        "--config",
        str(CONFIG),
        "--out",
        str(OUT),
        "--workers",
        str(workers),
        "--cache-dir",
        str(CACHE),
        "--overwrite",
        "--json",
    ]
    start = time.perf_counter()
    cpu_start = _children_cpu_s()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    cpu = _children_cpu_s() - cpu_start
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"dataset build failed with exit code {result.returncode}")
    return json.loads(result.stdout), wall, cpu


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def post_hoc_eval_check() -> tuple[int, int]:
    """Records of sources that do not hash-check at the source (ruff, git, jsonl): benchmark matches."""
    eval_hashes()  # load once
    checked = matches = 0
    for split in SPLITS:
        for record in read_transitions(OUT, split):
            if record.source in {"ruff", "git", "jsonl"}:
                checked += 1
                matches += is_eval_code(record.after) or is_eval_code(record.before)
    return checked, matches


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(f"{c:,}" if isinstance(c, int) else str(c) for c in row) + " |"
        for row in rows
    ]
    return lines


def _counts_table(by_source: dict[str, dict[str, int]]) -> list[str]:
    rows: list[list[Any]] = []
    totals = [0, 0, 0, 0]
    for name, counts in sorted(by_source.items()):
        values = [counts.get(s, 0) for s in SPLITS]
        values.append(sum(values))
        totals = [t + v for t, v in zip(totals, values, strict=True)]
        rows.append([name, *values])
    return _table(["source", *SPLITS, "total"], [*rows, ["**all**", *totals]])


def _skips(report: dict[str, Any]) -> list[str]:
    lines = []
    for name, entry in sorted(report["sources"].items()):
        reasons = {
            **entry.get("skipped", {}),
            **{f"{k} (filter)": v for k, v in entry.get("filtered", {}).items()},
        }
        top = sorted(reasons.items(), key=lambda kv: -kv[1])[:8]
        lines.append(
            f"- `{name}`: yielded {entry['yielded']:,}, kept {entry['kept']:,}; "
            + ", ".join(f"{k} {v:,}" for k, v in top)
        )
    return lines


def ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


def write_report(
    stats: dict[str, Any],
    report: dict[str, Any],
    provenance: list[Fetched],
    fetch_s: float,
    build_s: float,
    cpu_s: float,
    loads: tuple[tuple[float, ...], tuple[float, ...]],
    eval_check: tuple[int, int],
    workers: int,
) -> None:
    train = stats["transitions"]["train"]
    total = sum(stats["transitions"].values())
    held_out_pools = stats["pools"]["val"] + stats["pools"]["test"]
    eval_skips = {
        k: sum(e.get("skipped", {}).get(k, 0) for e in report["sources"].values())
        for k in ("eval_path", "eval_overlap")
    }
    lines = [
        "# The default dataset: build benchmark",
        "",
        "Written by `scripts/build-default-data` from the run it describes (do not edit by hand).",
        "",
        "```",
        f"./scripts/build-default-data --workers {workers}",
        f"# = fetch + unpack {PINS} into {CORPUS}, then",
        f"codelewm dataset build --config {CONFIG} --out {OUT} --workers {workers} --cache-dir {CACHE} --overwrite",
        "```",
        "",
        "## Machine and timing",
        f"- {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()} "
        f"(stdlib `{sysconfig.get_paths()['stdlib']}`).",
        f"- Load average before / after the build: {loads[0][0]:.1f} / {loads[1][0]:.1f} "
        "(1-minute; above the CPU count means other jobs shared the machine and the times are inflated).",
        f"- Fetch + unpack wheels (cached downloads reused): {fetch_s:.0f} s.",
        f"- Build wall time (cold unit cache, {workers} workers): **{build_s:.0f} s** ({build_s / 60:.1f} min); "
        f"the build's own clock: {stats['wall_s']:.0f} s, {stats['transitions_per_s']:,.0f} transitions/s.",
        f"- Units: {stats['units_total']:,}, of which {stats['units_cached']:,} were reused from the unit cache of "
        "an earlier run (`--keep-cache`; the times above then cover only the other units).",
        f"- CPU time of the build and its workers: {cpu_s:.0f} s, i.e. {total / cpu_s:,.0f} transitions per "
        f"CPU-second; on {workers} otherwise idle cores that is about {cpu_s / workers / 60:.1f} min "
        "(an estimate from CPU time, not a measurement).",
        "",
        "## Targets",
        *_table(
            ["target", "wanted", "measured", "met"],
            [
                ["training transitions", f">= {TARGET_TRAIN:,}", train, ok(train >= TARGET_TRAIN)],
                [
                    "held-out (val+test) same-before pools",
                    f">= {TARGET_HELD_OUT_POOLS:,}",
                    held_out_pools,
                    ok(held_out_pools >= TARGET_HELD_OUT_POOLS),
                ],
                [
                    "build wall time, 2 cores",
                    f"<= {TARGET_WALL_S // 60} min",
                    f"{build_s / 60:.1f} min",
                    ok(build_s <= TARGET_WALL_S),
                ],
            ],
        ),
        "",
        "## Transitions per source and split",
        *_counts_table(stats["transitions_by_source"]),
        "",
        "## Same-before pools (P1) per source and split",
        *_counts_table(stats["pools_by_source"]),
        "",
        "Decoy pools (`pools/<split>.decoys.jsonl`, one instruction, true after + decoys): "
        + ", ".join(f"{s} {stats['decoy_pools'].get(s, 0):,}" for s in SPLITS)
        + ".",
        "Groups per split: " + ", ".join(f"{s} {stats['groups'][s]:,}" for s in SPLITS) + ".",
        "",
        "## Evaluation hygiene",
        f"- Files under benchmark-named paths skipped (`eval_path`): {eval_skips['eval_path']:,}; functions "
        f"matching HumanEval/MBPP by normalised hash dropped at the source (`eval_overlap`): {eval_skips['eval_overlap']:,}.",
        f"- Post-hoc check of the {eval_check[0]:,} written records of sources without a source-side check "
        f"(ruff, git, jsonl): {eval_check[1]:,} match a benchmark hash.",
        "",
        "## What each source passed over (top reasons)",
        *_skips(report),
        "",
        "## Provenance",
        f"- Standard library of Python {platform.python_version()} ({sys.implementation.name}).",
        "- Pinned wheels (unpacked, never installed or imported):",
        "",
        *_table(
            ["wheel", "version", "license", "sha256"],
            [[p.filename, p.version, p.license or "?", f"`{p.sha256}`"] for p in provenance],
        ),
        "",
        "- Release pairs: the exact versions listed in `configs/data/default.toml` (wheels from PyPI via pip).",
        "",
    ]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-cache", action="store_true", help="reuse finished units")
    args = parser.parse_args()
    os.chdir(ROOT)
    provenance, fetch_s = fetch()
    print(f"fetched and unpacked {len(provenance)} wheels in {fetch_s:.0f} s", flush=True)
    before = os.getloadavg()
    stats, build_s, cpu_s = build(args.workers, args.keep_cache)
    after = os.getloadavg()
    print(
        f"built in {build_s:.0f} s: {stats['transitions']} transitions, {stats['pools']} pools",
        flush=True,
    )
    report = json.loads((OUT / "filter_report.json").read_text(encoding="utf-8"))
    eval_check = post_hoc_eval_check()
    write_report(
        stats,
        report,
        provenance,
        fetch_s,
        build_s,
        cpu_s,
        (before, after),
        eval_check,
        args.workers,
    )
    print(f"wrote {REPORT}")


if __name__ == "__main__":
    main()
