"""Fetch the pinned wheels, build the default dataset cold, and write docs/benchmarks/DATA.md.

Every number in DATA.md comes from this run: the build's own stats.json and filter_report.json, the
wall clock around each step, and the machine's load average (the machine may be shared; the report
says so rather than hiding it). Run through `scripts/build-default-data`.

The git bundles (`--bundles`, default ../shared/data/git) are cloned bare into build/default-data/git/
first (the bundles are read-only inputs). `--time-git` builds ONLY the git sources of the config, cold,
into build/default-data/git-only and writes build/default-data/git-timing.json (no DATA.md); a later
full run puts that measurement into DATA.md when it was made for the same git tables.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path
from typing import Any

from codelewm.data.build import BuildConfig, load_build_config
from codelewm.data.eval_guard import eval_hashes, is_eval_code
from codelewm.data.fetch import Fetched, load_pins, materialise
from codelewm.data.layout import SPLITS, read_transitions
from codelewm.data.sources.git import GitConfig
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
BUNDLES = Path("../shared/data/git")
GIT_ONLY = WORK / "git-only"
GIT_TIMING = WORK / "git-timing.json"
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


def git_sources() -> list[GitConfig]:
    return [s for s in load_build_config(CONFIG).sources if isinstance(s, GitConfig)]


def clone_bundles(bundles: Path) -> float:
    """Clone every bundle a git table of the config reads (`<bundle name>.git`) bare; a clone whose
    HEAD is the bundle's is kept. Seconds taken."""
    start = time.perf_counter()
    for source in git_sources():
        bundle = bundles / source.repo.name.removesuffix(".git")
        bundle = bundle.with_name(bundle.name + ".bundle")
        heads = subprocess.run(
            ["git", "bundle", "list-heads", str(bundle), "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if source.repo.exists():
            have = subprocess.run(
                ["git", "-C", str(source.repo), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            if heads and have == heads[0]:
                continue
            shutil.rmtree(source.repo)
        source.repo.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "clone", "-q", "--bare", str(bundle), str(source.repo)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - start


def _git_tables_sha(config: BuildConfig) -> str:
    tables = [s.model_dump_json() for s in config.sources if isinstance(s, GitConfig)]
    pins = json.dumps(config.split.model_dump(), sort_keys=True)
    return hashlib.sha256("\n".join([*tables, pins]).encode()).hexdigest()[:16]


def time_git_only(workers: int) -> dict[str, Any]:
    """Build only the config's git tables, cold, and record the wall time (git-timing.json)."""
    full = load_build_config(CONFIG)
    GIT_ONLY.mkdir(parents=True, exist_ok=True)
    config_path = GIT_ONLY / "config.toml"
    config_path.write_text(git_only_toml(CONFIG.read_text(encoding="utf-8")), encoding="utf-8")
    before = os.getloadavg()
    stats, wall, cpu = build(
        workers, False, config=config_path, out=GIT_ONLY / "dataset", cache=GIT_ONLY / "cache"
    )
    timing = {
        "git_tables_sha": _git_tables_sha(full),
        "workers": workers,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "load_before": before[0],
        "load_after": os.getloadavg()[0],
        "transitions": stats["transitions"],
        "command": f"./scripts/build-default-data --time-git --workers {workers}",
    }
    GIT_TIMING.write_text(json.dumps(timing, indent=2) + "\n", encoding="utf-8")
    return timing


def git_only_toml(text: str) -> str:
    """The config's text without its non-git `[[sources]]` tables (every other table kept as is)."""
    blocks = re.split(r"(?m)^(?=\[)", text)
    kept = [
        block
        for block in blocks
        if not block.startswith("[[sources]]")
        or tomllib.loads(block.removeprefix("[[sources]]"))["kind"] == "git"
    ]
    return "".join(kept)


def build(
    workers: int,
    keep_cache: bool,
    *,
    config: Path = CONFIG,
    out: Path = OUT,
    cache: Path = CACHE,
) -> tuple[dict[str, Any], float, float]:
    """(stats.json, wall seconds, CPU seconds of the build and its workers)."""
    if cache.exists() and not keep_cache:
        shutil.rmtree(cache)
    command = [
        str(Path(sys.executable).parent / "codelewm"),
        "dataset",
        "build",
        "--config",
        str(config),
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--cache-dir",
        str(cache),
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


def git_counts() -> dict[str, dict[str, int]]:
    """Git transitions written per repository group and split."""
    counts: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        for record in read_transitions(OUT, split):
            if record.source == "git":
                per = counts.setdefault(str(record.meta.get("repo")), {})
                per[split] = per.get(split, 0) + 1
    return counts


def _git_section(report: dict[str, Any], counts: dict[str, dict[str, int]]) -> list[str]:
    config = load_build_config(CONFIG)
    sources = git_sources()
    if not sources:
        return []
    pins = config.split.groups
    rows: list[list[Any]] = []
    for source in sources:
        group = source.group or source.repo.name
        per = counts.get(group, {})
        rows.append(
            [
                source.repo.name.removesuffix(".git").replace("+", "/"),
                f"`{group}`",
                pins.get(group, "(hashed)"),
                *(per.get(s, 0) for s in SPLITS),
            ]
        )
    entry = report["sources"].get("git", {})
    reasons = {
        **entry.get("skipped", {}),
        **{f"{k} (filter)": v for k, v in entry.get("filtered", {}).items()},
    }
    first = sources[0]
    lines = [
        "## Real commits (git source)",
        "",
        f"The bundles of `{BUNDLES}` cloned bare into `{WORK / 'git'}`; the newest "
        f"{first.max_commits or 'all'} commits per repository (`max_commits`), at most "
        f"{first.max_per_commit} edits per commit (seeded sample), sweep messages and bulk commits "
        f"(> {first.bulk_commit_functions} functions across files) dropped. Each repository is one "
        "group with its package's wheel and release pairs, pinned in `[split.groups]`: whole projects "
        "are held out.",
        "",
        *_table(["repository", "group", "pinned split", *SPLITS], rows),
        "",
        "Every reason the git source passed over an edit or a commit (counts over all repositories):",
        "",
        *_table(
            ["reason", "count"], [[k, v] for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])]
        ),
        "",
        *_git_timing_lines(config),
        "",
    ]
    return lines


def _git_timing_lines(config: BuildConfig) -> list[str]:
    if not GIT_TIMING.is_file():
        return [
            "The git source alone has not been timed (`./scripts/build-default-data --time-git`)."
        ]
    timing = json.loads(GIT_TIMING.read_text(encoding="utf-8"))
    if timing.get("git_tables_sha") != _git_tables_sha(config):
        return ["The git source's last timing was for other git tables; rerun `--time-git`."]
    total = sum(timing["transitions"].values())
    return [
        f"The git source alone (`{timing['command']}`: the git tables only, cold cache, "
        f"{timing['workers']} workers): **{timing['wall_s']:.0f} s** wall "
        f"({timing['wall_s'] / 60:.1f} min), {timing['cpu_s']:.0f} CPU-s, {total:,} transitions "
        f"(load average {timing['load_before']:.1f} before / {timing['load_after']:.1f} after)."
    ]


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


LABELLED_HEADING = "## Sandbox-labelled pools (training and calibration)"


def labelled_section() -> list[str]:
    """Pools of the labelled sources per split, their pass/fail balance, what each kind of wrong
    program did, and the evaluation-hygiene check of every member (normalised hash)."""
    from collections import Counter

    from codelewm.data.labelled import read_labelled_pools

    pools: dict[str, Counter[str]] = {}
    members: dict[str, Counter[str]] = {}
    origins: dict[str, Counter[bool]] = {}
    checked = matches = 0
    for split in SPLITS:
        for pool in read_labelled_pools(OUT, split):
            source = str(pool.source)
            pools.setdefault(source, Counter())[split] += 1
            for c in pool.candidates:
                members.setdefault(source, Counter())["passing" if c.passed else "failing"] += 1
                kind = str(getattr(c, "origin", "?")).split(":")[0]
                origins.setdefault(kind, Counter())[bool(c.passed)] += 1
                checked += 1
                matches += is_eval_code(c.code)
            checked += 1
            matches += is_eval_code(pool.before)
    rows = [
        [
            f"`{src}`",
            *(pools[src][s] for s in SPLITS),
            members[src]["passing"],
            members[src]["failing"],
        ]
        for src in sorted(pools)
    ]
    kinds = [
        [f"`{k}`", v[True] + v[False], v[True], f"{v[True] / max(1, v[True] + v[False]):.2f}"]
        for k, v in sorted(origins.items(), key=lambda kv: -sum(kv[1].values()))
    ]
    return [
        LABELLED_HEADING,
        "",
        "A task's reference and realistic wrong programs, each labelled by running the task's own "
        "checks in the sandbox at build time (`data/labelled.py`); a member that still passes is an "
        "equivalent, labelled passing. They train the model (failing members are the first "
        "negatives of their transition) and fit the calibrator (val split only).",
        "",
        *_table(["source", *SPLITS, "members passing", "members failing"], rows),
        "",
        "What each kind of member did (all splits):",
        "",
        *_table(["member", "n", "passed", "pass rate"], kinds),
        "",
        f"Evaluation hygiene: {checked:,} befores and members checked by normalised hash against "
        f"HumanEval, MBPP and the MBPP pool file: {matches:,} match.",
        "",
    ]


def replace_labelled_section() -> None:
    """Rewrite only the labelled-pools section of an existing DATA.md from the built dataset."""
    text = REPORT.read_text(encoding="utf-8")
    section = "\n".join(labelled_section())
    if LABELLED_HEADING in text:
        start = text.index(LABELLED_HEADING)
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    else:
        anchor = "## What each source passed over"
        at = text.index(anchor) if anchor in text else len(text)
        text = text[:at] + section + "\n" + text[at:]
    REPORT.write_text(text, encoding="utf-8")


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
    git: list[str],
) -> None:
    train = stats["transitions"]["train"]
    total = sum(stats["transitions"].values())
    held_out_pools = stats["pools"]["val"] + stats["pools"]["test"]
    eval_skips = {
        k: sum(e.get("skipped", {}).get(k, 0) for e in report["sources"].values())
        for k in ("eval_path", "eval_overlap")
    }
    cold = stats["units_cached"] == 0  # a warm cache times only assembly: no build-time claim
    cache_state = (
        "cold unit cache"
        if cold
        else f"warm unit cache, {stats['units_cached']:,} of {stats['units_total']:,} units reused"
    )
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
        f"- Build wall time ({cache_state}, {workers} workers): **{build_s:.0f} s** ({build_s / 60:.1f} min); "
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
                    f"{build_s / 60:.1f} min" if cold else f"not measured ({cache_state})",
                    ok(build_s <= TARGET_WALL_S) if cold else "**not measured**: run it cold",
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
        *git,
        *labelled_section(),
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
        "- Git histories: the bundles of `../shared/data/git/` (their README gives HEAD commits and"
        " licences); each repository's HEAD is in the dataset manifest's provenance.",
        "",
    ]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-cache", action="store_true", help="reuse finished units")
    parser.add_argument(
        "--labelled-report",
        action="store_true",
        help="only rewrite DATA.md's sandbox-labelled section from the built dataset",
    )
    parser.add_argument("--bundles", type=Path, default=BUNDLES, help="directory of *.bundle files")
    parser.add_argument(
        "--time-git", action="store_true", help="time the git sources alone; no DATA.md"
    )
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.labelled_report:
        replace_labelled_section()
        print(f"rewrote the sandbox-labelled section of {REPORT}", flush=True)
        return
    clone_s = clone_bundles(args.bundles)
    print(f"cloned the git bundles in {clone_s:.0f} s", flush=True)
    if args.time_git:
        timing = time_git_only(args.workers)
        print(f"git sources alone: {timing['wall_s']:.0f} s, {timing['transitions']}", flush=True)
        return
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
        _git_section(report, git_counts()),
    )
    print(f"wrote {REPORT}")


if __name__ == "__main__":
    main()
