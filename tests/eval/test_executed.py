"""Opt-in execution of a rerank: real sandbox runs, passing candidates first, the record says so."""

from __future__ import annotations

import pytest

from codelewm.errors import InputError
from codelewm.eval.executed import detect_test_kind, execute_rerank
from codelewm.execution import TestKind
from codelewm.records import ErrorRecord, RerankRecord, ScoreRecord, Validity

BEFORE = "def double(x):\n    return x + x + 1\n"
GOOD = "def double(x):\n    return x * 2\n"
WRONG = "def double(x):\n    return x + 2\n"
TESTS = "assert double(3) == 6\nassert double(0) == 0\n"
UNITTESTS = """\
import unittest

class T(unittest.TestCase):
    def test_double(self):
        self.assertEqual(double(4), 8)
"""


def _record(cid: str, rank: int, after: str | None, score: float | None) -> ScoreRecord:
    error = None
    if after is None:
        error = ErrorRecord(error_type="HunkMismatchError", message="no", remediation="fix")
    return ScoreRecord(
        rank=rank,
        candidate_id=cid,
        final_score=score,
        validity=Validity(parses=after is not None, applies=after is not None),
        after_code=after,
        error=error,
        checkpoint_id="ckpt",
        checkpoint_sha256="00" * 32,
        input_digest="11" * 32,
    )


def _rerank() -> RerankRecord:
    return RerankRecord(
        instruction="double it",
        before_sha256="22" * 32,
        input_digest="33" * 32,
        checkpoint_id="ckpt",
        checkpoint_sha256="00" * 32,
        results=[
            _record("wrong", 1, WRONG, -1.0),
            _record("noop", 2, BEFORE, -2.0),
            _record("good", 3, GOOD, -3.0),
            _record("broken", 4, None, None),
        ],
    )


def test_passing_candidates_rank_first_and_the_record_says_code_ran() -> None:
    out = execute_rerank(_rerank(), TESTS, tests_name="test_double.py")
    assert out.executed is True
    assert [(r.rank, r.candidate_id) for r in out.results] == [
        (1, "good"),
        (2, "wrong"),
        (3, "noop"),
        (4, "broken"),
    ]
    status = {r.candidate_id: r.execution.status if r.execution else None for r in out.results}
    assert status == {"good": "passed", "wrong": "failed", "noop": "failed", "broken": None}
    good = out.results[0]
    assert good.execution is not None and "process_group" in good.execution.isolation
    note = next(w for w in out.warnings if w.startswith("CODE WAS EXECUTED"))
    assert "3 of 4 candidates ran against test_double.py (script tests)" in note
    assert "1 passed" in note and "process_group" in note
    assert any(w.startswith("tests failed") for w in out.results[1].warnings)


def test_unittest_tests_are_detected_and_run() -> None:
    assert detect_test_kind(UNITTESTS) is TestKind.UNITTEST
    assert detect_test_kind(TESTS) is TestKind.SCRIPT
    out = execute_rerank(_rerank(), UNITTESTS)
    assert out.results[0].candidate_id == "good"
    assert out.results[0].execution is not None and out.results[0].execution.status == "passed"


def test_empty_tests_are_refused() -> None:
    with pytest.raises(InputError, match="empty"):
        execute_rerank(_rerank(), "  \n")
