"""The public API refuses wrong types, invalid Unicode and an oversized before with InputError."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness_helpers import BEFORE, GOOD, INSTRUCTION

from codelewm.errors import InputError
from codelewm.scoring.inputs import MAX_BEFORE_BYTES, MAX_INSTRUCTION_CHARS, lone_surrogate
from codelewm.scoring.reranker import Reranker

LONE = "\ud800"  # what json.loads makes of "\ud800": a str that is not valid Unicode

Call = Callable[[Reranker], Any]
TEXT_CALLS: list[tuple[str, Call, str]] = [
    ("before None", lambda r: r.rerank(None, INSTRUCTION, [GOOD]), "before must be a str, not NoneType"),
    ("before int", lambda r: r.rerank(3, INSTRUCTION, [GOOD]), "before must be a str, not int"),
    ("before bytes", lambda r: r.rerank(BEFORE.encode(), INSTRUCTION, [GOOD]), "decode it first"),
    ("before surrogate", lambda r: r.rerank(BEFORE + LONE, INSTRUCTION, [GOOD]), "before is not valid Unicode"),
    ("instruction int", lambda r: r.rerank(BEFORE, 5, [GOOD]), "instruction must be a str, not int"),
    ("instruction bytes", lambda r: r.rerank(BEFORE, b"fix", [GOOD]), "instruction must be a str"),
    ("instruction surrogate", lambda r: r.rerank(BEFORE, "fix" + LONE, [GOOD]), "instruction is not valid Unicode"),
    ("candidates None", lambda r: r.rerank(BEFORE, INSTRUCTION, None), "not NoneType"),
    ("candidate None", lambda r: r.rerank(BEFORE, INSTRUCTION, [GOOD, None]), "candidate 1 must be a str"),
    ("candidate int", lambda r: r.rerank(BEFORE, INSTRUCTION, [3]), "candidate 0 must be a str"),
    ("mapping key int", lambda r: r.rerank(BEFORE, INSTRUCTION, {3: GOOD}), "candidate id (mapping key) must be a str"),
    ("id int", lambda r: r.rerank(BEFORE, INSTRUCTION, [GOOD], ids=[3]), "ids[0] must be a str, not int"),
    ("id surrogate", lambda r: r.rerank(BEFORE, INSTRUCTION, [GOOD], ids=["a" + LONE]), "ids[0] is not valid Unicode"),
    ("before_path int", lambda r: r.rerank(BEFORE, INSTRUCTION, [GOOD], before_path=3), "before_path must be a str"),
    ("score candidate None", lambda r: r.score(BEFORE, INSTRUCTION, None), "candidate 0 must be a str"),
    ("score id int", lambda r: r.score(BEFORE, INSTRUCTION, GOOD, candidate_id=4), "ids[0] must be a str"),
    ("score before None", lambda r: r.score(None, INSTRUCTION, GOOD), "before must be a str"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "call", "message"), TEXT_CALLS, ids=[c[0] for c in TEXT_CALLS])
def test_wrong_types_and_invalid_unicode_are_input_errors(
    reranker: Reranker, name: str, call: Call, message: str
) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        call(reranker)


def test_file_api_argument_types(reranker: Reranker, tmp_path: Path) -> None:
    before = tmp_path / "stats.py"
    before.write_text(BEFORE)
    with pytest.raises(InputError, match="before must be a path"):
        reranker.rerank_files(before=None, instruction=INSTRUCTION, candidates=[before])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="instruction must be a str"):
        reranker.rerank_files(before=before, instruction=3, candidates=[before])  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"candidates\[0\] must be a path"):
        reranker.rerank_files(before=before, instruction=INSTRUCTION, candidates=[3])  # type: ignore[list-item]
    with pytest.raises(InputError, match="candidates must be a path or a sequence"):
        reranker.rerank_files(before=before, instruction=INSTRUCTION, candidates=None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="instruction is not valid Unicode"):
        reranker.score_files(before=before, instruction=LONE, candidate=before)


def test_the_before_has_a_limit_checked_before_any_work(reranker: Reranker) -> None:
    huge = "x = 1\n" * (MAX_BEFORE_BYTES // 6 + 1)  # over 1 MiB (5.4 MB took 46 s unchecked)
    start = time.perf_counter()
    with pytest.raises(InputError, match=f"over the limit of {MAX_BEFORE_BYTES:,}"):
        reranker.rerank(huge, INSTRUCTION, [GOOD])
    assert time.perf_counter() - start < 1.0
    with pytest.raises(InputError, match=f"over the limit of {MAX_INSTRUCTION_CHARS:,}"):
        reranker.rerank(BEFORE, "x" * (MAX_INSTRUCTION_CHARS + 1), [GOOD])


def test_valid_inputs_still_score(reranker: Reranker) -> None:
    record = reranker.rerank(BEFORE, None, (GOOD, GOOD.encode()), ids=["text", None])
    assert [r.final_score is not None for r in record.results] == [True, True]
    refused = reranker.rerank(BEFORE, INSTRUCTION, ["x = 1" + LONE])  # a candidate: kept, refused
    error = refused.results[0].error
    assert error is not None and error.error_type == "CandidateRefusedError"


def test_lone_surrogate_position() -> None:
    assert lone_surrogate("ok") is None
    assert lone_surrogate("ab" + LONE) == 2
    assert lone_surrogate("\U0001f600") is None  # a real astral character is fine


def test_a_checkpoint_path_the_os_refuses_is_a_checkpoint_error(tmp_path: Path) -> None:
    from codelewm.errors import CheckpointError
    from codelewm.scoring.load import load_scorer

    with pytest.raises(CheckpointError, match="cannot be read"):
        load_scorer(tmp_path / ("x" * 300))  # ENAMETOOLONG
