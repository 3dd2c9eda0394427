"""The Reranker over a real (tiny) checkpoint: records, ranking rules, batching, files, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from harness_helpers import BEFORE, GOOD, GOOD_PATCH, INSTRUCTION, WRONG

from codelewm.artifacts.digest import sha256_file
from codelewm.errors import InputError
from codelewm.scoring.baselines import LexicalScorer
from codelewm.scoring.protocol import Query
from codelewm.scoring.reranker import NOOP_WARNING, Reranker, input_digest

CANDIDATES = {
    "good": GOOD,
    "wrong": WRONG,
    "patch": GOOD_PATCH,
    "noop": BEFORE,
    "syntax": "def moving_average(values, window:\n    return []\n",
    "escape": GOOD_PATCH.replace("a/stats.py", "a/../../etc/passwd").replace(
        "b/stats.py", "b/../../etc/passwd"
    ),
}


def test_rerank_scores_every_valid_candidate_in_one_model_call(
    reranker: Reranker, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[Query]] = []
    real = reranker.scorer.score_queries

    def spy(queries: Any) -> Any:
        calls.append(list(queries))
        return real(queries)

    monkeypatch.setattr(reranker.scorer, "score_queries", spy)
    result = reranker.rerank(BEFORE, INSTRUCTION, CANDIDATES)
    assert len(calls) == 1 and len(calls[0]) == 1
    assert calls[0][0].candidates == (GOOD, WRONG, GOOD, BEFORE)
    assert calls[0][0].instruction == INSTRUCTION
    assert [r.rank for r in result.results] == [1, 2, 3, 4, 5, 6]


def test_records_carry_model_numbers_and_baselines(reranker: Reranker) -> None:
    result = reranker.rerank(BEFORE, INSTRUCTION, CANDIDATES)
    direct = reranker.scorer.score_queries(
        [Query(before=BEFORE, instruction=INSTRUCTION, candidates=(GOOD, WRONG, GOOD, BEFORE))]
    )[0]
    lexical = LexicalScorer().score_queries(
        [Query(before=BEFORE, instruction=INSTRUCTION, candidates=(GOOD, WRONG, GOOD, BEFORE))]
    )[0]
    by_id = {r.candidate_id: r for r in result.results}
    for k, cid in enumerate(["good", "wrong", "patch", "noop"]):
        record = by_id[cid]
        assert record.energy == pytest.approx(direct.components["energy"][k])
        assert record.final_score == pytest.approx(-direct.components["energy"][k])  # no calibrator
        assert record.no_action_energy is not None and record.energy is not None
        assert record.action_gain == pytest.approx(record.no_action_energy - record.energy)
        assert record.consensus == pytest.approx(direct.components["consensus"][k])
        assert set(record.baseline_scores) == {
            "lexical",
            "bm25",
            "no-action",
            "consensus",
            "validity",
        }
        assert record.baseline_scores["lexical"] == pytest.approx(-lexical.energies[k])
        assert record.baseline_scores["validity"] == 0.0
        assert record.after_code is not None and record.error is None
    # the patch applies to the same after-state as the full good candidate: same numbers
    assert by_id["patch"].energy == pytest.approx(by_id["good"].energy)
    assert by_id["patch"].after_code == GOOD
    assert NOOP_WARNING in by_id["noop"].warnings
    # scored candidates come first, best final_score first
    scored = [r.final_score for r in result.results[:4]]
    assert all(s is not None for s in scored)
    assert scored == sorted(scored, reverse=True)  # type: ignore[type-var]


def test_invalid_candidates_are_kept_last_with_typed_errors(reranker: Reranker) -> None:
    result = reranker.rerank(BEFORE, INSTRUCTION, CANDIDATES)
    last = {r.candidate_id: r for r in result.results[4:]}
    assert set(last) == {"syntax", "escape"}
    syntax, escape = last["syntax"], last["escape"]
    assert syntax.error is not None and syntax.error.error_type == "ParseFailureError"
    assert syntax.validity.parses is False and syntax.final_score is None and syntax.energy is None
    assert escape.error is not None and escape.error.error_type == "PatchRefusedError"
    assert ".." in escape.error.message and escape.error.remediation
    assert escape.validity.applies is False and escape.baseline_scores == {}
    assert [r.candidate_id for r in result.results[4:]] == ["syntax", "escape"]  # input order


def test_new_undefined_names_rank_after_clean_candidates(reranker: Reranker) -> None:
    typo = GOOD.replace("return averages", "return averagez")
    result = reranker.rerank(BEFORE, INSTRUCTION, {"typo": typo, "wrong": WRONG, "bad": "x = ("})
    assert [r.candidate_id for r in result.results] == ["wrong", "typo", "bad"]
    typo_record = result.results[1]
    assert typo_record.validity.undefined_names == ["averagez"]
    assert typo_record.final_score is not None
    assert any("averagez" in w for w in typo_record.warnings)


def test_names_undefined_in_the_before_do_not_demote(reranker: Reranker) -> None:
    before = "def f(x):\n    return helper(x) + 1\n"
    result = reranker.rerank(before, "add two", {"a": before.replace("+ 1", "+ 2"), "b": before})
    assert all(r.validity.undefined_names == ["helper"] for r in result.results)
    assert not any("undefined" in w for r in result.results for w in r.warnings)


def test_digests_and_checkpoint_facts(reranker: Reranker, tiny_checkpoint: Path) -> None:
    a = reranker.rerank(BEFORE, INSTRUCTION, {"good": GOOD, "wrong": WRONG})
    b = reranker.rerank(BEFORE, INSTRUCTION, {"good": GOOD, "wrong": WRONG})
    c = reranker.rerank(BEFORE, "another instruction", {"good": GOOD, "wrong": WRONG})
    assert a.input_digest == b.input_digest != c.input_digest
    assert a.results == b.results  # deterministic
    manifest = json.loads((tiny_checkpoint / "manifest.json").read_text())
    assert a.checkpoint_id == manifest["artifact_id"]
    assert a.checkpoint_sha256 == sha256_file(tiny_checkpoint / "manifest.json")
    assert all(r.checkpoint_id == a.checkpoint_id for r in a.results)
    good = next(r for r in a.results if r.candidate_id == "good")
    import hashlib

    sha = hashlib.sha256
    assert good.input_digest == input_digest(
        sha(BEFORE.encode()).hexdigest(), INSTRUCTION, [sha(GOOD.encode()).hexdigest()]
    )
    assert a.before_sha256 == sha(BEFORE.encode()).hexdigest()


def test_score_one_candidate(reranker: Reranker) -> None:
    record = reranker.score(BEFORE, INSTRUCTION, GOOD_PATCH, candidate_id="fix")
    assert record.candidate_id == "fix" and record.rank == 1
    assert record.after_code == GOOD and record.consensus is None  # n/a for one candidate
    assert "the checkpoint has no calibrator: final_score = -energy" in record.warnings


def test_empty_instruction_uses_the_null_action(reranker: Reranker) -> None:
    result = reranker.rerank(BEFORE, "  ", [GOOD, WRONG])
    assert result.instruction is None
    assert all(r.action_gain == pytest.approx(0.0, abs=1e-6) for r in result.results)
    assert any("no instruction (empty)" in w for w in result.warnings)
    assert [r.candidate_id.startswith("cand-") for r in result.results] == [True, True]


def test_duplicate_texts_get_unique_ids(reranker: Reranker) -> None:
    result = reranker.rerank(BEFORE, INSTRUCTION, [GOOD, GOOD])
    ids = sorted(r.candidate_id for r in result.results)
    assert ids[1] == ids[0] + "-2"


def test_all_invalid_is_a_result_not_an_error(reranker: Reranker) -> None:
    result = reranker.rerank(BEFORE, INSTRUCTION, {"a": "def (", "b": "@@ -1 +1 @@\n-nope\n+x\n"})
    assert [r.final_score for r in result.results] == [None, None]
    assert any("none of the 2 candidates could be scored" in w for w in result.warnings)
    b = next(r for r in result.results if r.candidate_id == "b")
    assert b.error is not None and b.error.error_type == "HunkMismatchError"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.rerank(BEFORE, INSTRUCTION, []), "no candidates"),
        (lambda r: r.rerank(BEFORE, INSTRUCTION, GOOD), "not one string"),
        (lambda r: r.rerank(BEFORE, INSTRUCTION, [GOOD], ids=["a", "b"]), "2 ids for 1"),
        (lambda r: r.rerank(BEFORE, INSTRUCTION, {"a": GOOD}, ids=["a"]), "not both"),
    ],
)
def test_bad_arguments_are_input_errors(reranker: Reranker, call: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call(reranker)


def _write_example(root: Path) -> tuple[Path, Path]:
    before = root / "stats.py"
    before.write_text(BEFORE)
    cands = root / "cands"
    cands.mkdir()
    (cands / "a_good.patch").write_text(GOOD_PATCH)
    (cands / "b_wrong.py").write_text(WRONG)
    (cands / "c_other.diff").write_text(GOOD_PATCH.replace("stats.py", "other.py"))
    (cands / "d_link.py").symlink_to(cands / "b_wrong.py")
    (cands / "notes.txt").write_text("ignored")
    return before, cands


def test_rerank_files_mixes_patches_and_full_files(reranker: Reranker, tmp_path: Path) -> None:
    before, cands = _write_example(tmp_path)
    result = reranker.rerank_files(before=before, instruction=INSTRUCTION, candidates=cands)
    by_id = {r.candidate_id: r for r in result.results}
    assert set(by_id) == {"a_good", "b_wrong", "c_other", "d_link"}
    assert by_id["a_good"].after_code == GOOD and by_id["a_good"].origin.endswith("a_good.patch")
    other, link = by_id["c_other"], by_id["d_link"]
    assert other.error is not None and other.error.error_type == "PatchRefusedError"
    assert "other.py" in other.error.message
    assert link.error is not None and link.error.error_type == "CandidateRefusedError"
    assert {r.candidate_id for r in result.results[2:]} == {"c_other", "d_link"}


def test_score_files(reranker: Reranker, tmp_path: Path) -> None:
    before, cands = _write_example(tmp_path)
    record = reranker.score_files(
        before=before, instruction=INSTRUCTION, candidate=cands / "a_good.patch"
    )
    assert record.candidate_id == "a_good" and record.after_code == GOOD
    with pytest.raises(InputError, match="one candidate"):
        reranker.score_files(before=before, instruction=INSTRUCTION, candidate=cands)


def test_missing_or_bad_before_file(reranker: Reranker, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        reranker.rerank_files(before=tmp_path / "nope.py", instruction="x", candidates=[])
    bad = tmp_path / "latin1.py"
    bad.write_bytes(b"x = '\xe9'\n")
    with pytest.raises(InputError, match="not valid UTF-8"):
        reranker.rerank_files(before=bad, instruction="x", candidates=[bad])
    with pytest.raises(InputError, match="does not exist"):
        reranker.rerank_files(
            before=_write_example(tmp_path)[0], instruction="x", candidates=[tmp_path / "none"]
        )
