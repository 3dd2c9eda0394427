"""Scoring speed: candidates/s (model vs lexical baseline), p50 latency of an 8-candidate rerank via the
Python API and via the HTTP server (`codelewm serve` in its own process), and a short server load test. Writes docs/benchmarks/SPEED.md.

    python benchmarks/bench_scoring.py [--checkpoint DIR] [--threads 2] [--write docs/benchmarks/SPEED.md]

Workload: befores are real 50-150-line functions from the standard library, candidates their seeded
single-point mutants (8 pools x 8 candidates = 64 candidates). Default checkpoint: the shipped model.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_common import Pool, ServeProcess, fresh, median, percentile, stdlib_pools
from load_server import LoadResult, run_load

from codelewm.scoring.baselines import LexicalScorer
from codelewm.scoring.load import load_scorer
from codelewm.scoring.protocol import Query
from codelewm.scoring.reranker import Reranker

T = TypeVar("T")


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    """Seconds per call, after one warm-up call."""
    fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def timed_calls(fn: Callable[[int], object], repeats: int) -> list[float]:
    """Seconds per call `fn(i)`, i = 1..repeats, after one warm-up call `fn(0)`."""
    fn(0)
    out = []
    for i in range(1, repeats + 1):
        start = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - start)
    return out


def _args(pool: Pool) -> tuple[str, str, list[str]]:
    return pool.before, pool.instruction, list(pool.candidates)


def _body(pool: Pool) -> dict[str, Any]:
    return {
        "before": pool.before,
        "instruction": pool.instruction,
        "candidates": list(pool.candidates),
    }


def _clear_token_caches() -> None:
    """The per-text memos (token sets, static checks): a timed call must not reuse an earlier one's."""
    from codelewm.code import validity
    from codelewm.scoring import baselines_static, baselines_tokens

    for module in (baselines_tokens, baselines_static, validity):
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()


def _clear_latents(reranker: Reranker) -> None:
    cache = getattr(reranker.scorer, "cache", None)  # WorldModelScorer's latent cache
    if cache is not None:
        cache.clear()


def _one_thread(fn: Callable[[], float]) -> float:
    """`fn()` with torch on one CPU thread (on a loaded machine 2 threads can be slower than 1)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return fn()
    finally:
        torch.set_num_threads(before)


def measure(
    reranker: Reranker,
    pools: list[Pool],
    *,
    checkpoint: Path | None,
    threads: int,
    repeats: int,
    calls: int,
) -> dict[str, Any]:
    queries = [Query(p.before, p.instruction, p.candidates) for p in pools]
    n = sum(len(q.candidates) for q in queries)

    def model_cold() -> object:
        _clear_latents(reranker)  # time encoding, not the scorer's latent cache
        return reranker.scorer.score_queries(queries)

    model_s = median(timed(model_cold, repeats))
    model_1t_s = _one_thread(lambda: median(timed(model_cold, repeats)))
    lexical = LexicalScorer()

    def lexical_cold() -> object:
        _clear_token_caches()  # the baselines cache token sets; time them cold, as one call sees them
        return lexical.score_queries(queries)

    lexical_s = median(timed(lexical_cold, repeats))

    def harness_cold() -> object:
        _clear_token_caches()
        _clear_latents(reranker)
        return [reranker.rerank(p.before, p.instruction, p.candidates) for p in pools]

    harness_s = median(timed(harness_cold, repeats))
    pool = pools[0]
    # Every timed call gets texts no earlier call saw (`fresh`), through the API and over HTTP alike.
    api_ms = [
        1000 * s for s in timed_calls(lambda i: reranker.rerank(*_args(fresh(pool, i))), calls)
    ]
    with ServeProcess(checkpoint, threads=threads) as server, httpx.Client(timeout=120) as client:
        server_ms = [
            1000 * s
            for s in timed_calls(
                lambda i: client.post(
                    f"{server.url}/v1/rerank", json=_body(fresh(pool, i))
                ).raise_for_status(),
                calls,
            )
        ]
        load = run_load(server.url, pools, requests=4 * calls, clients=4)
    return {
        "candidates": n,
        "model_candidates_per_s": round(n / model_s, 1),
        "model_candidates_per_s_1_thread": round(n / model_1t_s, 1),
        "lexical_candidates_per_s": round(n / lexical_s, 1),
        "model_over_lexical_time": round(model_s / lexical_s, 2),
        "harness_candidates_per_s": round(n / harness_s, 1),
        "api_rerank8_p50_ms": round(percentile(api_ms, 50), 1),
        "api_rerank8_p90_ms": round(percentile(api_ms, 90), 1),
        "server_rerank8_p50_ms": round(percentile(server_ms, 50), 1),
        "server_rerank8_p90_ms": round(percentile(server_ms, 90), 1),
        "load": asdict(load),
    }


def _speed(reranker: Reranker, pools: list[Pool], repeats: int, calls: int) -> dict[str, Any]:
    queries = [Query(p.before, p.instruction, p.candidates) for p in pools]
    n = sum(len(q.candidates) for q in queries)

    def model_cold() -> object:
        _clear_latents(reranker)
        return reranker.scorer.score_queries(queries)

    seconds = median(timed(model_cold, repeats))
    api_ms = [
        1000 * s
        for s in timed_calls(lambda i: reranker.rerank(*_args(fresh(pools[0], 10_000 + i))), calls)
    ]
    cfg = reranker.info.get("model_config", {})
    return {
        "checkpoint": reranker.checkpoint_id,
        "model": f"d_model {cfg.get('d_model')}, {cfg.get('n_layers')} layers, "
        f"max_len {cfg.get('max_len')}",
        "candidates_per_s": round(n / seconds, 1),
        "api_rerank8_p50_ms": round(percentile(api_ms, 50), 1),
    }


def compare_rows(
    current: Reranker, other: Reranker, pools: list[Pool], *, repeats: int
) -> list[dict[str, Any]]:
    """Throughput and 8-candidate latency of both checkpoints, interleaved in one run (so a load
    change on a shared machine hits both alike)."""
    rows = [_speed(current, pools, repeats, 15), _speed(other, pools, repeats, 15)]
    again = [_speed(current, pools, repeats, 15), _speed(other, pools, repeats, 15)]
    for row, second in zip(rows, again, strict=True):
        row["candidates_per_s"] = round(
            (row["candidates_per_s"] + second["candidates_per_s"]) / 2, 1
        )
        row["api_rerank8_p50_ms"] = round(
            (row["api_rerank8_p50_ms"] + second["api_rerank8_p50_ms"]) / 2, 1
        )
    return rows


def compare_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "",
        "## Beside the previous model (same run, interleaved)",
        "",
        "| checkpoint | model | model scoring, candidates/s | 8-candidate rerank p50 (API) |",
        "|---|---|---|---|",
        *[
            f"| {r['checkpoint']} | {r['model']} | {r['candidates_per_s']} | "
            f"{r['api_rerank8_p50_ms']} ms |"
            for r in rows
        ],
        "",
    ]
    return "\n".join(lines)


def machine(threads: int) -> dict[str, str]:
    import torch

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "date (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "cpu": platform.processor() or platform.machine(),
        "cores visible": str(os.cpu_count()),
        "torch threads": str(threads),
        "load average (1/5/15 min)": " / ".join(f"{x:.1f}" for x in load),
        "python": platform.python_version(),
        "torch": torch.__version__,
    }


def markdown(results: dict[str, Any], facts: dict[str, str], command: str) -> str:
    load: LoadResult = LoadResult(**results["load"])
    rows = [
        (
            "model scoring (`score_queries`, 64 candidates in one call)",
            f"{results['model_candidates_per_s']} candidates/s",
        ),
        (
            "model scoring, same call with 1 torch thread",
            f"{results['model_candidates_per_s_1_thread']} candidates/s",
        ),
        (
            "lexical baseline (same 64 candidates, token caches cleared)",
            f"{results['lexical_candidates_per_s']} candidates/s",
        ),
        ("model time / lexical time", f"{results['model_over_lexical_time']}x"),
        (
            "full harness (`Reranker.rerank`: patches, pyflakes, 5 baselines, model)",
            f"{results['harness_candidates_per_s']} candidates/s",
        ),
        (
            "8-candidate rerank via the Python API, p50 / p90",
            f"{results['api_rerank8_p50_ms']} / {results['api_rerank8_p90_ms']} ms",
        ),
        (
            "8-candidate rerank via HTTP (`codelewm serve` process, loopback), p50 / p90",
            f"{results['server_rerank8_p50_ms']} / {results['server_rerank8_p90_ms']} ms",
        ),
        (
            f"server load: {load.requests} reranks of 8, {load.clients} clients, p50 / p99",
            f"{load.p50_ms} / {load.p99_ms} ms",
        ),
        (
            "server load: throughput",
            f"{load.requests_per_s} requests/s ({load.ok} ok, errors {load.errors or 'none'})",
        ),
    ]
    lines = [
        "# Scoring speed",
        "",
        "Written by `benchmarks/bench_scoring.py`; reproduce with:",
        "",
        "```bash",
        command,
        "```",
        "",
        "Workload: 8 befores that are real 50-150-line standard-library functions, each with 8 seeded",
        "single-point mutants as candidates (64 candidates). Targets (issue 6): >= 200 candidates/s and",
        "p50 <= 150 ms for an 8-candidate rerank. Every timed rerank (API and HTTP) sends texts no",
        "earlier call sent (a comment naming the call is appended), and the throughput rows clear the",
        "per-text memos and the scorer's latent cache first, so no number comes from a cache. HTTP",
        "is measured against `codelewm serve` in its own process, as users run it.",
        "",
        "| measurement | result |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in rows],
        "",
        "| machine and model | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in facts.items()],
        "",
    ]
    return "\n".join(lines)


#: sections of SPEED.md that other benchmarks write (load_server.py --mixed, bench_execution.py):
#: kept on --write
KEPT_HEADINGS = ("## Server under load", "## Opt-in execution")


def kept_sections(path: Path) -> str:
    """The sections of an existing SPEED.md that this benchmark does not write, as they are."""
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8")
    starts = [text.find(h) for h in KEPT_HEADINGS if h in text]
    return "\n" + text[min(starts) :] if starts else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=30, help="latency samples per path")
    parser.add_argument("--write", type=Path, default=None, help="write SPEED.md here")
    parser.add_argument("--note", default="", help="a line added under the table (conditions)")
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="another checkpoint (e.g. the previous default model) measured in the same run",
    )
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    reranker = load_scorer(args.checkpoint)
    pools = stdlib_pools(8, 8)
    results = measure(
        reranker,
        pools,
        checkpoint=args.checkpoint,
        threads=args.threads,
        repeats=args.repeats,
        calls=args.calls,
    )
    facts = machine(args.threads)
    cfg = reranker.info.get("model_config", {})
    facts["checkpoint"] = (
        f"{reranker.checkpoint_id} ({'shipped default' if reranker.info.get('default_model') else 'given with --checkpoint'})"
    )
    facts["model"] = (
        f"d_model {cfg.get('d_model')}, {cfg.get('n_layers')} layers, max_len {cfg.get('max_len')}, "
        f"{reranker.info.get('parameters', 0) / 1e6:.2f} M parameters"
    )
    compared = None
    if args.compare is not None:
        compared = compare_rows(reranker, load_scorer(args.compare), pools, repeats=args.repeats)
    print(json.dumps({"results": results, "machine": facts, "compare": compared}, indent=2))
    if args.write is not None:
        shown = [
            "python benchmarks/bench_scoring.py",
            *(argv if argv is not None else sys.argv[1:]),
        ]
        text = markdown(results, facts, " ".join(shown))
        if compared is not None:
            text += compare_markdown(compared)
        if args.note:
            text += f"\n{args.note}\n"
        text += kept_sections(args.write)
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
