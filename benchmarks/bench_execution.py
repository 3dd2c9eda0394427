"""Speed of opt-in execution: N candidates x M mined examples in the sandbox (`--execute examples`).

    python benchmarks/bench_execution.py [--candidates 100 --examples 5 --workers 2]
    python benchmarks/bench_execution.py --write docs/benchmarks/SPEED.md   # its SPEED.md section

The candidates are distinct real functions (variants of one task, half of them wrong) and the
examples are `f(x) -> y` lines mined by `code.examples`; every candidate runs all of its examples in
one sandbox child process (the strongest launcher this machine allows), `--workers` at a time. The
target (issue 14): 100 candidates x 5 examples within 20 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from codelewm.code.examples import check_program, mine_examples, passed_fraction
from codelewm.execution import Limits, SandboxJob, TestKind, run_many

SECTION = "## Opt-in execution: candidates x examples in the sandbox"
TARGET_S = 20.0


def candidates(n: int) -> list[str]:
    """`n` distinct implementations of `clamp`; every other one is wrong at the upper bound."""
    out = []
    for i in range(n):
        upper = "hi" if i % 2 == 0 else "hi - 1"
        out.append(
            f"def clamp(x, lo, hi):\n    # variant {i}\n    return max(lo, min(x, {upper}))\n"
        )
    return out


def examples_text(m: int) -> str:
    cases = [(5, 0, 10, 5), (-3, 0, 10, 0), (12, 0, 10, 10), (7, 7, 9, 7), (9, 7, 9, 9)]
    cases += [(k, 0, 100, k) for k in range(20, 20 + max(0, m - len(cases)))]
    return "\n".join(f"clamp({x}, {lo}, {hi}) -> {y}" for x, lo, hi, y in cases[:m])


def measure(n: int, m: int, workers: int) -> dict[str, object]:
    examples = mine_examples(examples_text(m), "clamp")
    assert len(examples) == m, examples
    tests = check_program(examples)
    jobs = [
        SandboxJob(code, tests, TestKind.UNITTEST, None, f"c{i}")
        for i, code in enumerate(candidates(n))
    ]
    started = time.perf_counter()
    results = list(run_many(jobs, limits=Limits(wall_s=10), workers=workers))  # a generator
    wall = time.perf_counter() - started
    fractions = [passed_fraction(r.tests_run, r.failures, r.errors) for r in results]
    return {
        "candidates": n,
        "examples": m,
        "workers": workers,
        "wall_s": round(wall, 2),
        "candidates_per_s": round(n / wall, 1),
        "all_right_ones_pass": all(f == 1.0 for f in fractions[0::2]),
        "all_wrong_ones_fail_some": all(f is not None and f < 1.0 for f in fractions[1::2]),
        "isolation": sorted({layer for r in results for layer in r.isolation}),
        "target_met": wall <= TARGET_S,
        **measure_full_step(n, m, workers),
    }


def measure_full_step(n: int, m: int, workers: int) -> dict[str, object]:
    """The whole `--execute examples` step a user gets (`eval.executed.execute_examples` with the
    shipped model's execution-aware calibrator): the examples run, then the probe inputs for the
    candidates that passed the most examples, then the execution-aware order. The candidates'
    static scores are given (scoring's own speed is the section above)."""
    from codelewm.checkpoint.read import load_checkpoint
    from codelewm.eval.executed import execute_examples
    from codelewm.records import RerankRecord, ScoreRecord, Validity
    from codelewm.scoring.load import default_model_path

    calibrator = load_checkpoint(default_model_path()).execution_calibrator
    results = [
        ScoreRecord(
            rank=i + 1,
            candidate_id=f"c{i}",
            final_score=float(-i),
            validity=Validity(parses=True, applies=True),
            after_code=code,
            checkpoint_id="bench",
            checkpoint_sha256="00" * 32,
            input_digest="11" * 32,
        )
        for i, code in enumerate(candidates(n))
    ]
    rerank = RerankRecord(
        instruction=examples_text(m),
        before_sha256="22" * 32,
        input_digest="33" * 32,
        checkpoint_id="bench",
        checkpoint_sha256="00" * 32,
        results=results,
    )
    before = "def clamp(x, lo, hi):\n    pass\n"
    started = time.perf_counter()
    out = execute_examples(
        rerank, before=before, instruction=examples_text(m), calibrator=calibrator, workers=workers
    )
    wall = time.perf_counter() - started
    probed = sum(
        r.execution is not None and r.execution.probe_share is not None for r in out.results
    )
    top = out.results[0].execution
    return {
        "full_step_wall_s": round(wall, 2),
        "full_step_probed": probed,
        "full_step_target_met": wall <= TARGET_S,
        "full_step_top_passed": top is not None and top.status == "passed",
    }


def section(result: dict[str, object], command: str) -> str:
    cpus = os.cpu_count()
    return "\n".join(
        [
            SECTION,
            "",
            f"Reproduce: `{command}` ({platform.python_version()}, {cpus} CPUs, machine shared with "
            "other jobs when measured).",
            "",
            "| candidates x examples | workers | wall | candidates/s | target (<= 20 s) |",
            "|---|---|---|---|---|",
            f"| {result['candidates']} x {result['examples']} | {result['workers']} | "
            f"{result['wall_s']} s | {result['candidates_per_s']} | "
            f"{'met' if result['target_met'] else 'missed'} |",
            f"| the whole `--execute examples` step: {result['candidates']} x "
            f"{result['examples']}, then probe inputs for the {result['full_step_probed']} "
            "candidates that passed them all, then the execution-aware order | "
            f"{result['workers']} | {result['full_step_wall_s']} s | "
            f"{round(int(str(result['candidates'])) / float(str(result['full_step_wall_s'])), 1)} | "
            f"{'met' if result['full_step_target_met'] else 'missed'} |",
            "",
            "One sandbox child process per candidate runs all of its examples; isolation layers: "
            f"{', '.join(str(x) for x in result['isolation'])}. Checks: every right candidate passed "
            f"all its examples ({result['all_right_ones_pass']}), every wrong one failed some "
            f"({result['all_wrong_ones_fail_some']}); the whole step ranked a passing candidate "
            f"first ({result['full_step_top_passed']}).",
            "",
        ]
    )


def write_section(path: Path, text: str) -> None:
    """Replace (or append) this benchmark's section of SPEED.md."""
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    if SECTION in current:
        start = current.index(SECTION)
        rest = current[start + len(SECTION) :]
        end = rest.find("\n## ")
        tail = rest[end + 1 :] if end >= 0 else ""
        current = current[:start] + text + ("\n" + tail if tail else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    path.write_text(current, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--examples", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args(argv)
    result = measure(args.candidates, args.examples, args.workers)
    print(json.dumps(result, indent=2))
    if args.write is not None:
        shown = [
            "python benchmarks/bench_execution.py",
            *(argv if argv is not None else sys.argv[1:]),
        ]
        write_section(args.write, section(result, " ".join(shown)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
