"""Shared by the benchmark scripts: workload from real stdlib functions, `codelewm serve` in a
subprocess, percentiles."""

from __future__ import annotations

import inspect
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import httpx

from codelewm.code.functions import iter_functions
from codelewm.code.mutations import canonical_source, mutate_canonical

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


class ServeProcess:
    """`codelewm serve` as users run it: its own process, on a free 127.0.0.1 port, until exit.

    A server thread inside the benchmark process would share the client's GIL and add its scheduling
    to every request (measured: ~40 ms of an 8-candidate rerank on 2 cores), which is not what a
    client of a running server sees.
    """

    def __init__(
        self,
        checkpoint: Path | None = None,
        *,
        threads: int = 2,
        concurrency: int = 2,
        startup_s: float = 180.0,
    ) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        self.url = f"http://127.0.0.1:{port}"
        exe = Path(sys.executable).with_name("codelewm")
        self.argv = [
            str(exe) if exe.exists() else "codelewm",
            "serve",
            "--port",
            str(port),
            "--threads",
            str(threads),
            "--concurrency",
            str(concurrency),
            "--log-level",
            "warning",
        ]
        if checkpoint is not None:
            self.argv += ["--checkpoint", str(checkpoint)]
        self.startup_s = startup_s
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServeProcess:
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + self.startup_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{' '.join(self.argv)} exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"server did not start within {self.startup_s:g} s")
            time.sleep(0.1)

    def __exit__(self, *_: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def fresh(pool: Pool, call: int) -> Pool:
    """`pool` with a comment naming the call appended to the before and every candidate, so no call
    is served from a cache of an earlier one (real reranks see new candidates every time)."""
    tag = f"\n# call {call}\n"
    return Pool(pool.before + tag, pool.instruction, tuple(c + tag for c in pool.candidates))
