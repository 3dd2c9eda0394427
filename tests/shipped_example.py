"""The shipped example (examples/rerank/) as the tests run it: its path and its rerank arguments."""

from __future__ import annotations

from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rerank"


def example_rerank_args(*extra: str) -> list[str]:
    """`rerank` on the shipped example (before, instruction file, candidate directory) + `extra`."""
    return [
        "rerank",
        "--before",
        str(EXAMPLE / "before.py"),
        "--instruction-file",
        str(EXAMPLE / "instruction.txt"),
        "--candidates",
        str(EXAMPLE / "candidates"),
        *extra,
    ]
