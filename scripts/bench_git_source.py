"""Benchmark the git source: build a synthetic history over real stdlib modules, then time it.

    .venv/bin/python scripts/bench_git_source.py [--commits 3000] [--workdir /tmp/codelewm-bench-git]

The repository is written with `git fast-import` (seconds): its first commit holds 60 standard-library
modules; every later commit inserts one statement into 1-3 functions of 1-2 modules (seeded), so
each commit yields real function-level edits for the git source to find. Prints one JSON line:
commits, transitions, skip counts, wall and CPU seconds, commits/s and transitions/s of `GitSource` (1 process).
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from codelewm.data.sources.git import GitConfig, GitSource

MODULES = 60


def stdlib_modules(n: int) -> dict[str, str]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.glob("*.py") if 5_000 < p.stat().st_size < 80_000)
    texts = {f"lib/{p.name}": p.read_text(encoding="utf-8") for p in files}
    usable = {path: text for path, text in texts.items() if len(insertion_points(text)) >= 5}
    return dict(sorted(usable.items())[:n])


def insertion_points(text: str) -> list[tuple[int, int]]:
    """(line, indent) before which a statement can go: the first code statement of each function
    whose body starts on a line of its own."""
    points = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef) and node.body[0].lineno > node.lineno:
            body = node.body
            is_doc = isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            target = body[1] if is_doc and len(body) > 1 else body[0]
            decorators = getattr(target, "decorator_list", [])
            points.append(
                (min([target.lineno, *(d.lineno for d in decorators)]), target.col_offset)
            )
    return sorted(points)


class Module:
    """A module's lines and insertion points, kept in step without re-parsing."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)
        self.points = insertion_points(text)

    def insert(self, rng: random.Random, tag: int) -> None:
        line, indent = rng.choice(self.points)
        self.lines.insert(line - 1, f"{' ' * indent}_probe_{tag} = {tag}\n")
        self.points = [(n + 1 if n > line else n, i) for n, i in self.points]

    def text(self) -> str:
        return "".join(self.lines)


def _blob(text: str) -> bytes:
    data = text.encode("utf-8")
    return b"data %d\n" % len(data) + data + b"\n"


def fast_import_stream(commits: int, seed: int) -> bytes:
    rng = random.Random(seed)
    modules = {path: Module(text) for path, text in stdlib_modules(MODULES).items()}
    out = [b"reset refs/heads/main\n"]
    for i in range(commits + 1):
        if i == 0:
            changed = sorted(modules)
            message = "Import the standard library modules"
        else:
            changed = sorted(rng.sample(sorted(modules), rng.randint(1, 2)))
            for path in changed:
                for k in range(rng.randint(1, 3)):
                    modules[path].insert(rng, i * 10 + k)
            message = f"Record probe {i} in {', '.join(changed)}"
        out.append(b"commit refs/heads/main\n")
        out.append(b"committer Bench <bench@example.invalid> %d +0000\n" % (1_700_000_000 + i))
        out.append(_blob(message)[:-1] + b"\n")
        for path in changed:
            out.append(b"M 100644 inline " + path.encode() + b"\n" + _blob(modules[path].text()))
    return b"".join(out)


def make_repo(workdir: Path, commits: int, seed: int) -> Path:
    repo = workdir / f"history-{commits}-{seed}.git"
    if repo.exists():
        return repo
    tmp = workdir / "tmp.git"
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["git", "init", "-q", "--bare", str(tmp)], check=True)
    stream = fast_import_stream(commits, seed)
    subprocess.run(["git", "-C", str(tmp), "fast-import", "--quiet"], input=stream, check=True)
    subprocess.run(["git", "-C", str(tmp), "symbolic-ref", "HEAD", "refs/heads/main"], check=True)
    tmp.rename(repo)
    return repo


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/codelewm-bench-git"))
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    repo = make_repo(args.workdir, args.commits, args.seed)
    start, cpu_start = time.perf_counter(), time.process_time()
    source = GitSource(GitConfig(repo=repo))
    n = sum(1 for unit in source.units() for _ in source.iter_transitions(unit))
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start  # this process only; git children excluded
    print(
        json.dumps(
            {
                "commits": args.commits + 1,
                "transitions": n,
                "skipped": dict(sorted(source.skipped.items())),
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu_seconds, 2),
                "commits_per_s": round((args.commits + 1) / seconds, 1),
                "transitions_per_s": round(n / seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
