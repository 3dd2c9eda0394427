"""The mutations source on real code copied into a temporary package."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from realcode import BISECT_RIGHT, HEAPQ

from codelewm.code.functions import normalise
from codelewm.data.sources.mutations import MutationsConfig, MutationsSource
from codelewm.records import TransitionRecord


def _package(tmp_path: Path) -> Path:
    root = tmp_path / "algos"
    root.mkdir()
    (root / "LICENSE").write_text(
        "MIT License\n\nPermission is hereby granted, free of charge, ..."
    )
    (root / "heapq_copy.py").write_text(HEAPQ)
    (root / "bisect_copy.py").write_text(BISECT_RIGHT)
    (root / "broken.py").write_text("def broken(:\n    pass\n")
    human_eval = root / "human_eval"
    human_eval.mkdir()
    (human_eval / "solution.py").write_text(BISECT_RIGHT)
    return root


def _build(root: Path, **overrides: object) -> tuple[MutationsSource, list[TransitionRecord]]:
    source = MutationsSource(MutationsConfig(code=[root], **overrides))  # type: ignore[arg-type]
    records: list[TransitionRecord] = []
    for unit in source.units():
        records.extend(source.iter_transitions(unit))
    return source, records


def test_mutations_source_records_pools_and_reasons(tmp_path: Path) -> None:
    source, records = _build(_package(tmp_path))
    assert source.units() == [
        "algos/bisect_copy#0000",
        "algos/broken#0000",
        "algos/heapq_copy#0000",
    ]
    assert dict(source.skipped) == {
        "eval_path": 1,
        "unparseable_file": 1,
        "too_few_statements": 1,
    }
    assert Counter((r.symbol, r.meta["direction"]) for r in records) == {
        ("bisect_right", "introduce"): 4,
        ("bisect_right", "fix"): 4,
        ("heappush", "introduce"): 4,
        ("heappush", "fix"): 4,
        ("_siftdown", "introduce"): 4,
        ("_siftdown", "fix"): 4,
    }
    for record in records:
        assert record.source == "mutations"
        assert record.instruction_kind == "template"
        assert record.group == "algos/bisect_copy" or record.group == "algos/heapq_copy"
        assert record.license == "MIT"
        assert normalise(record.before) != normalise(record.after)
        assert f"`{record.symbol}`" in (record.instruction or "")
    introduce = [
        r for r in records if r.symbol == "_siftdown" and r.meta["direction"] == "introduce"
    ]
    assert len({r.before for r in introduce}) == 1
    assert len({r.after for r in introduce}) == len({r.instruction for r in introduce}) == 4


def test_mutations_source_is_deterministic(tmp_path: Path) -> None:
    root = _package(tmp_path)
    _, first = _build(root)
    _, again = _build(root)
    _, other_seed = _build(root, seed=1)
    assert [r.transition_id for r in first] == [r.transition_id for r in again]
    assert [r.transition_id for r in first] != [r.transition_id for r in other_seed]


def test_context_is_the_capsule(tmp_path: Path) -> None:
    _, records = _build(_package(tmp_path))
    push = next(r for r in records if r.symbol == "heappush")
    assert push.context == "def _siftdown(heap, startpos, pos): ...\ndef tiny(): ...\n"


def test_benchmark_solution_in_ordinary_file_is_dropped(tmp_path: Path) -> None:
    from codelewm.data.eval_guard import humaneval_programs

    root = tmp_path / "utils"
    root.mkdir()
    (root / "LICENSE").write_text(
        "MIT License\n\nPermission is hereby granted, free of charge, ..."
    )
    (root / "close.py").write_text(next(iter(humaneval_programs())))
    source, records = _build(root)
    assert records == []
    assert dict(source.skipped) == {"eval_overlap": 1}
