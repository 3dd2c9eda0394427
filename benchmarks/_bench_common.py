"""Shared by the benchmark scripts: workload from real stdlib functions, a loopback server, percentiles."""

from __future__ import annotations

import inspect
import random
import socket
import statistics
import threading
import time
from dataclasses import dataclass
from types import ModuleType

import uvicorn

from codelewm.code.functions import iter_functions
from codelewm.data.mutations import canonical_source, mutate_canonical
from codelewm.scoring.reranker import Reranker
from codelewm.server import ServerLimits, create_app

STDLIB = [
    "argparse",
    "configparser",
    "csv",
    "difflib",
    "email.message",
    "ftplib",
    "http.client",
    "inspect",
    "json.decoder",
    "logging",
    "optparse",
    "pathlib",
    "pickletools",
    "shutil",
    "smtplib",
    "subprocess",
    "tarfile",
    "textwrap",
    "urllib.parse",
    "zipfile",
]


@dataclass(frozen=True)
class Pool:
    """One rerank call: a before, an instruction and its candidates (the before's seeded mutants)."""

    before: str
    instruction: str
    candidates: tuple[str, ...]


def stdlib_pools(n_pools: int, k: int, *, min_lines: int = 50, max_lines: int = 150) -> list[Pool]:
    """`n_pools` pools of `k` candidates; befores are real 50-150-line stdlib functions, candidates
    their single-point mutants (the first one's instruction is the pool's)."""
    import importlib

    rng = random.Random(17)
    pools: list[Pool] = []
    for name in STDLIB:
        module: ModuleType = importlib.import_module(name)
        for span in iter_functions(inspect.getsource(module)):
            lines = span.source.count("\n")
            if not min_lines <= lines <= max_lines:
                continue
            try:
                canonical = canonical_source(span.source)
            except Exception:  # a function the canonicaliser refuses is simply skipped
                continue
            mutants = mutate_canonical(canonical, rng=rng, max_mutants=k)
            if len(mutants) < k:
                continue
            pools.append(
                Pool(canonical, mutants[0].introduce_instruction, tuple(m.code for m in mutants))
            )
            if len(pools) == n_pools:
                return pools
    raise RuntimeError(f"only {len(pools)} stdlib functions of {min_lines}-{max_lines} lines found")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: list[float]) -> float:
    return statistics.median(values)


class LoopbackServer:
    """The real app on uvicorn in a thread, on a free 127.0.0.1 port."""

    def __init__(self, reranker: Reranker, limits: ServerLimits | None = None) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(create_app(reranker, limits=limits), log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
