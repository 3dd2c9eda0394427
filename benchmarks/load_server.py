"""Load test of `POST /v1/rerank`: 8-candidate requests (p50/p99, requests/s), or small requests
while heavy ones run (`--mixed`: does a trivial request still get an answer within 1 s?).

    python benchmarks/load_server.py --checkpoint DIR [--requests 100 --clients 4 --threads 2]
    python benchmarks/load_server.py --url http://127.0.0.1:8000   # a server already running
    python benchmarks/load_server.py --mixed [--heavy attack|max|both --duration 30 --heavy-clients 3]
    python benchmarks/load_server.py --mixed --write docs/benchmarks/SPEED.md   # both, into SPEED.md

`--mixed`: `--heavy-clients` clients send heavy reranks back to back for `--duration` seconds while
one probe client sends a small rerank (a 10-line function, 2 candidates) every 0.25 s. `--heavy
attack` is issue 13's request (15 distinct 250 KB candidates); `--heavy max` is the largest request
the server's limits admit (GET /v1/model): real stdlib code at the per-text token limit, candidates
that each change one line (the expensive alignment case), as many as the per-request budgets allow.
`--heavy both` (the default) runs the two one after the other on the same server. `--write`
replaces the server-load section of SPEED.md with the result (bench_scoring.py writes the rest).

Without --url it starts `codelewm serve` (loopback) in its own process, as users run it. Only loopback addresses are
accepted for --url: this is a bounded local load test, not a tool to load someone else's server.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
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


SMALL_BEFORE = "def clamp(x, lo, hi):\n    if x < lo:\n        return lo\n    if x > hi:\n        return hi\n    return x\n"
SMALL_INSTRUCTION = "Make the upper bound inclusive."
SECTION = "## Server under load: small requests while heavy ones run"


@dataclass(frozen=True)
class MixedResult:
    heavy: str
    heavy_clients: int
    duration_s: float
    heavy_request_bytes: int
    heavy_candidates: int
    heavy_statuses: dict[str, int]
    heavy_p50_ms: float
    small_requests: int
    small_statuses: dict[str, int]
    small_p50_ms: float
    small_p99_ms: float
    small_max_ms: float
    small_within_1s: float  # fraction of small requests answered 200 within 1 s
    limits: dict[str, object]


def heavy_body(kind: str, limits: dict[str, object], call: int) -> dict[str, object]:
    """Issue 13's attack request, or the largest request `limits` admit; distinct per call."""
    source = _stdlib_source()
    if kind == "attack":  # 15 distinct 250 KB candidates against a small before
        block = (source * (250_000 // len(source) + 1))[:250_000]
        cands = [f"# call {call} candidate {i}\n{block}" for i in range(15)]
        return {"before": SMALL_BEFORE, "instruction": SMALL_INSTRUCTION, "candidates": cands}
    chars = int(_limit(limits, "max_before_chars")) - 200
    text_tokens = int(_limit(limits, "max_text_tokens"))
    before = _cut_to_tokens(source, text_tokens - 64, chars)
    lines = before.splitlines(keepends=True)
    per_request = int(_limit(limits, "max_request_tokens"))
    k = min(int(_limit(limits, "max_candidates")), per_request // (text_tokens + 64) - 1)
    k = min(k, int(_limit(limits, "max_request_chars")) // (len(before) + 200) - 1)
    cands = []
    for i in range(max(1, k)):
        edited = list(lines)
        at = (i * 7919) % len(edited)
        edited[at] = f"x_{call}_{i} = {i}  # edited\n"
        cands.append("".join(edited))
    return {
        "before": f"# call {call}\n{before}",
        "instruction": "Edit one line.",
        "candidates": cands,
    }


def _limit(limits: dict[str, object], name: str) -> float:
    value = limits.get(name)
    if not isinstance(value, int | float):
        raise SystemExit(f"the server's /v1/model has no limit {name!r}: use --heavy attack")
    return float(value)


def _stdlib_source() -> str:
    import argparse
    import difflib
    import inspect

    return inspect.getsource(argparse) + inspect.getsource(difflib)


def _cut_to_tokens(text: str, tokens: int, max_chars: int) -> str:
    """The longest prefix of `text` (whole lines) under `tokens` tokens of the default model (the
    limits are measured with the served model's tokenizer; ~4 characters a token for real code)."""
    from codelewm.checkpoint.tokenizer import CodeTokenizer
    from codelewm.scoring.load import default_model_path

    tok = CodeTokenizer.from_file(default_model_path() / "tokenizer.json")
    lines = text[:max_chars].splitlines(keepends=True)
    low, high = 0, len(lines)
    while low < high:  # binary search on the number of lines
        mid = (low + high + 1) // 2
        if len(tok.encode("".join(lines[:mid]))) <= tokens:
            low = mid
        else:
            high = mid - 1
    return "".join(lines[:low])


def run_mixed(url: str, *, heavy: str, heavy_clients: int, duration_s: float) -> MixedResult:
    """Heavy reranks back to back on `heavy_clients` connections; a small probe every 0.25 s."""
    limits = httpx.get(f"{url}/v1/model", timeout=30).json().get("limits", {})
    sample = heavy_body(heavy, limits, -1)
    stop = time.monotonic() + duration_s
    heavy_log: list[tuple[float, int]] = []
    small_log: list[tuple[float, int]] = []

    def post(client: httpx.Client, body: dict[str, object]) -> tuple[float, int]:
        start = time.perf_counter()
        try:
            status = client.post(f"{url}/v1/rerank", json=body).status_code
        except httpx.TransportError:
            status = 0  # the connection was dropped
        return (time.perf_counter() - start) * 1000.0, status

    def heavy_loop(worker: int) -> None:
        with httpx.Client(timeout=120) as client:
            call = worker * 100_000
            while time.monotonic() < stop:
                heavy_log.append(post(client, heavy_body(heavy, limits, call)))
                call += 1

    def small_loop() -> None:
        time.sleep(1.0)  # let the heavy requests start first
        with httpx.Client(timeout=120) as client:
            call = 0
            while time.monotonic() < stop:
                tag = f"\n# probe {call}\n"
                body = {
                    "before": SMALL_BEFORE + tag,
                    "instruction": SMALL_INSTRUCTION,
                    "candidates": [
                        SMALL_BEFORE.replace("x > hi", "x >= hi") + tag,
                        SMALL_BEFORE.replace("return hi", "return lo") + tag,
                    ],
                }
                small_log.append(post(client, body))
                call += 1
                time.sleep(0.25)

    with ThreadPoolExecutor(max_workers=heavy_clients + 1) as pool:
        futures = [pool.submit(heavy_loop, w) for w in range(heavy_clients)]
        futures.append(pool.submit(small_loop))
        for future in futures:
            future.result()
    small_ok = [ms for ms, status in small_log if status == 200]
    heavy_ok = [ms for ms, status in heavy_log if status == 200]
    return MixedResult(
        heavy=heavy,
        heavy_clients=heavy_clients,
        duration_s=duration_s,
        heavy_request_bytes=len(json.dumps(sample).encode()),
        heavy_candidates=len(sample["candidates"]),  # type: ignore[arg-type]
        heavy_statuses=_count(s for _, s in heavy_log),
        heavy_p50_ms=round(percentile(heavy_ok, 50), 1) if heavy_ok else float("nan"),
        small_requests=len(small_log),
        small_statuses=_count(s for _, s in small_log),
        small_p50_ms=round(percentile(small_ok, 50), 1) if small_ok else float("nan"),
        small_p99_ms=round(percentile(small_ok, 99), 1) if small_ok else float("nan"),
        small_max_ms=round(max(ms for ms, _ in small_log), 1) if small_log else float("nan"),
        small_within_1s=round(sum(ms < 1000 for ms in small_ok) / max(1, len(small_log)), 3),
        limits=limits,
    )


def _count(statuses: Iterable[int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for status in statuses:
        out[str(status)] = out.get(str(status), 0) + 1
    return dict(sorted(out.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--url", default=None, help="a running server on loopback")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="the server's torch CPU threads")
    parser.add_argument("--concurrency", type=int, default=2, help="server scoring slots")
    parser.add_argument("--mixed", action="store_true", help="small requests while heavy ones run")
    parser.add_argument("--heavy", choices=["attack", "max", "both"], default="both")
    parser.add_argument("--heavy-clients", type=int, default=3)
    parser.add_argument("--duration", type=float, default=30.0, help="--mixed: seconds")
    parser.add_argument("--write", type=Path, default=None, help="--mixed: update this SPEED.md")
    args = parser.parse_args(argv)
    if args.url is not None:
        host = urlparse(args.url).hostname or ""
        if not is_loopback(host):
            parser.error("--url must be a loopback address (127.0.0.1, ::1, localhost)")
        result = _run(args, args.url)
    else:
        with ServeProcess(
            args.checkpoint, threads=args.threads, concurrency=args.concurrency
        ) as server:
            result = _run(args, server.url)
    results = result if isinstance(result, list) else [result]
    print(
        json.dumps(
            [asdict(r) for r in results] if len(results) > 1 else asdict(results[0]), indent=2
        )
    )
    mixed = [r for r in results if isinstance(r, MixedResult)]
    if args.write is not None and mixed:
        write_section(args.write, mixed, args)
    return 0


def _run(args: argparse.Namespace, url: str) -> LoadResult | list[MixedResult]:
    if args.mixed:
        kinds = ["attack", "max"] if args.heavy == "both" else [args.heavy]
        return [
            run_mixed(url, heavy=kind, heavy_clients=args.heavy_clients, duration_s=args.duration)
            for kind in kinds
        ]
    pools = stdlib_pools(8, args.candidates)
    return run_load(url, pools, requests=args.requests, clients=args.clients)


# Measured once, before the limits, the deadline and the light slot (commit 5b2998f), with
# `--mixed --heavy attack --heavy-clients 3 --duration 40`: kept as the comparison SPEED.md shows.
BEFORE_FIX = (
    "| before the fix (5b2998f): issue 13's attack | small requests 0% within 1 s: 2 of 2 got 504 "
    "after 30.1 s; heavy requests: 6 x 504 (their work kept running and held both slots) |"
)


def write_section(path: Path, results: list[MixedResult], args: argparse.Namespace) -> None:
    """Replace (or append) SPEED.md's server-load section with `results`."""
    import os
    import platform

    first = results[0]
    heavy_arg = first.heavy if len(results) == 1 else "both"
    command = (
        f"python benchmarks/load_server.py --mixed --heavy {heavy_arg} --heavy-clients "
        f"{first.heavy_clients} --duration {first.duration_s:g} --write {path}"
    )
    lines = [
        SECTION,
        "",
        f"Reproduce: `{command}` (`codelewm serve --threads {args.threads} --concurrency "
        f"{args.concurrency}` in its own process, default limits, the shipped model).",
        "",
        f"{first.heavy_clients} clients send heavy reranks back to back for {first.duration_s:g} s "
        "per row; one probe client sends a small rerank (a 6-line function, 2 candidates) every "
        "0.25 s. `attack` is issue 13's request (15 distinct 250 KB candidates); `max` is the "
        "largest request the default limits admit (real stdlib code at the per-text token limit, "
        "each candidate one line changed).",
        "",
        "| heavy requests | small: 200 within 1 s | small p50 / p99 / max | heavy statuses "
        "| heavy p50 (200s) |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.heavy}: {r.heavy_candidates} candidates, {r.heavy_request_bytes / 1e6:.2f} MB "
            f"| {100 * r.small_within_1s:.1f}% of {r.small_requests} "
            f"| {r.small_p50_ms:.0f} / {r.small_p99_ms:.0f} / {r.small_max_ms:.0f} ms "
            f"| {_statuses(r.heavy_statuses)} | {_ms(r.heavy_p50_ms)} |"
        )
    lines += [
        "",
        "| history | |",
        "|---|---|",
        BEFORE_FIX,
        "",
        f"Machine: {os.cpu_count()} cores visible, load average "
        f"{' / '.join(f'{v:.1f}' for v in os.getloadavg())} after the run, {platform.machine()}.",
        "",
    ]
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    before, _, after = text.partition(SECTION)
    rest = after.split("\n## ", 1)[1] if "\n## " in after else ""
    body = before.rstrip("\n") + "\n\n" + "\n".join(lines)
    path.write_text(body + (f"\n## {rest}" if rest else ""), encoding="utf-8")


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:.0f} ms"  # NaN: no 200s


def _statuses(counts: dict[str, int]) -> str:
    names = {"0": "dropped", "200": "200", "413": "413", "503": "503", "504": "504"}
    return ", ".join(f"{names.get(k, k)}: {v}" for k, v in counts.items()) or "none"


if __name__ == "__main__":
    raise SystemExit(main())
