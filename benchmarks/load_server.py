"""Load test of `POST /v1/rerank` with 8-candidate requests: p50/p99 latency and requests/s.

    python benchmarks/load_server.py --checkpoint DIR [--requests 100 --clients 4 --threads 2]
    python benchmarks/load_server.py --url http://127.0.0.1:8000   # a server already running

Without --url it starts `codelewm serve` (loopback) in its own process, as users run it. Only loopback addresses are
accepted for --url: this is a bounded local load test, not a tool to load someone else's server.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_common import Pool, ServeProcess, fresh, percentile, stdlib_pools

from codelewm.server import is_loopback


@dataclass(frozen=True)
class LoadResult:
    requests: int
    clients: int
    candidates_per_request: int
    ok: int
    errors: dict[str, int]
    wall_s: float
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float


def run_load(url: str, pools: list[Pool], *, requests: int, clients: int) -> LoadResult:
    """`requests` reranks spread over `clients` concurrent connections; each picks the next pool."""

    def one(i: int, client: httpx.Client) -> tuple[float, int]:
        pool = fresh(pools[i % len(pools)], i)  # texts no earlier request sent
        body = {
            "before": pool.before,
            "instruction": pool.instruction,
            "candidates": list(pool.candidates),
        }
        start = time.perf_counter()
        response = client.post(f"{url}/v1/rerank", json=body)
        return (time.perf_counter() - start) * 1000.0, response.status_code

    with httpx.Client(timeout=120, limits=httpx.Limits(max_connections=clients)) as client:
        one(-1, client)  # warm-up, not counted
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            results = list(pool.map(lambda i: one(i, client), range(requests)))
        wall = time.perf_counter() - start
    latencies = [ms for ms, status in results if status == 200]
    errors: dict[str, int] = {}
    for _, status in results:
        if status != 200:
            errors[str(status)] = errors.get(str(status), 0) + 1
    return LoadResult(
        requests=requests,
        clients=clients,
        candidates_per_request=len(pools[0].candidates),
        ok=len(latencies),
        errors=errors,
        wall_s=round(wall, 3),
        requests_per_s=round(len(latencies) / wall, 2),
        p50_ms=round(percentile(latencies, 50), 1) if latencies else float("nan"),
        p99_ms=round(percentile(latencies, 99), 1) if latencies else float("nan"),
        max_ms=round(max(latencies), 1) if latencies else float("nan"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--url", default=None, help="a running server on loopback")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="the server's torch CPU threads")
    parser.add_argument("--concurrency", type=int, default=2, help="server scoring slots")
    args = parser.parse_args(argv)
    pools = stdlib_pools(8, args.candidates)
    if args.url is not None:
        host = urlparse(args.url).hostname or ""
        if not is_loopback(host):
            parser.error("--url must be a loopback address (127.0.0.1, ::1, localhost)")
        result = run_load(args.url, pools, requests=args.requests, clients=args.clients)
    else:
        with ServeProcess(
            args.checkpoint, threads=args.threads, concurrency=args.concurrency
        ) as server:
            result = run_load(server.url, pools, requests=args.requests, clients=args.clients)
    print(json.dumps(asdict(result), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
