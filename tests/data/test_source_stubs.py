"""The stubs source on real standard-library functions copied into a temporary package."""

from __future__ import annotations

import ast
from pathlib import Path

from realcode import BISECT_LEFT, BISECT_RIGHT, HEAPQ, INDENT

from codelewm.data.sources.stubs import (
    StubsConfig,
    StubsSource,
    docstring_summary,
    other_bodies,
    stub_of,
)
from codelewm.records import RerankPool, TransitionRecord


def _package(tmp_path: Path) -> Path:
    root = tmp_path / "texttools"
    root.mkdir()
    (root / "LICENSE").write_text(
        "MIT License\n\nPermission is hereby granted, free of charge, ..."
    )
    (root / "search.py").write_text(BISECT_RIGHT + "\n" + BISECT_LEFT + "\n" + INDENT)
    (root / "heap.py").write_text(HEAPQ)
    return root


def _build(root: Path) -> tuple[StubsSource, list[TransitionRecord], list[RerankPool]]:
    source = StubsSource(StubsConfig(code=[root]))
    records: list[TransitionRecord] = []
    pools: list[RerankPool] = []
    for unit in source.units():
        records.extend(source.iter_transitions(unit))
        pools.extend(source.iter_decoy_pools(unit))
    return source, records, pools


def test_stub_records(tmp_path: Path) -> None:
    source, records, _ = _build(_package(tmp_path))
    assert [r.symbol for r in records] == ["heappush", "bisect_right", "bisect_left", "indent"]
    assert dict(source.skipped) == {"no_docstring": 2}  # _siftdown, tiny
    push = records[0]
    assert push.before == (
        "def heappush(heap, item):\n"
        '    """Push item onto heap, maintaining the heap invariant."""\n'
        "    ..."
    )
    assert push.after == (
        "def heappush(heap, item):\n"
        '    """Push item onto heap, maintaining the heap invariant."""\n'
        "    heap.append(item)\n"
        "    _siftdown(heap, 0, len(heap) - 1)"
    )
    assert (
        push.instruction
        == "Implement `heappush`: Push item onto heap, maintaining the heap invariant."
    )
    assert push.instruction_kind == "docstring"
    assert push.license == "MIT"
    assert records[3].instruction == (
        "Implement `indent`: Adds 'prefix' to the beginning of selected lines in 'text'."
    )


def test_decoy_pools(tmp_path: Path) -> None:
    _, records, pools = _build(_package(tmp_path))
    by_id = {r.transition_id: r for r in records}
    assert len(pools) == 4
    for pool in pools:
        record = by_id[pool.model_extra["transition_id"]]  # type: ignore[index]
        assert pool.before == record.before
        assert pool.instruction == record.instruction
        passed = [c for c in pool.candidates if c.passed]
        assert [c.code for c in passed] == [record.after]
        assert len({c.code for c in pool.candidates}) == len(pool.candidates)
        assert [c.candidate_id for c in pool.candidates] == sorted(
            c.candidate_id for c in pool.candidates
        )
        for candidate in pool.candidates:
            ast.parse(candidate.code)
    right = next(p for p in pools if p.model_extra["symbol"] == "bisect_right")  # type: ignore[index]
    kinds = sorted(c.model_extra["decoy_kind"] for c in right.candidates)  # type: ignore[index]
    assert kinds == ["mutant", "mutant", "mutant", "other_body", "true"]


def test_other_body_is_renamed_and_keeps_signature() -> None:
    import random

    right = ast.parse(BISECT_RIGHT).body[0]
    left = ast.parse(
        BISECT_LEFT.replace("(a, x,", "(seq, item,")
        .replace("a[mid]", "seq[mid]")
        .replace("< x", "< item")
    ).body[0]
    assert isinstance(right, ast.FunctionDef) and isinstance(left, ast.FunctionDef)
    (body,) = other_bodies(right, [right, left], rng=random.Random(0), limit=2)
    assert body.splitlines()[0] == "def bisect_right(a, x, lo=0, hi=None, *, key=None):"
    assert "if a[mid] < x:" in body
    code = body.split('"""')[2]
    assert "seq" not in code and "item" not in code


def test_summary_and_stub_helpers() -> None:
    node = ast.parse(INDENT).body[0]
    assert isinstance(node, ast.FunctionDef)
    assert docstring_summary(node, max_chars=40) == "Adds 'prefix' to the beginning of select"
    assert stub_of(node).endswith('    """\n    ...')
