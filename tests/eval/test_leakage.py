"""The leakage check: overlap of eval items with a checkpoint's training data, by normalised hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from codelewm.artifacts.manifest import ArtifactWriter
from codelewm.eval.bootstrap import Estimate
from codelewm.eval.claim import decide_claim
from codelewm.eval.leakage import _dataset_hashes, check_leakage, decontaminate, eval_hashes
from codelewm.records import TransitionRecord

SEEN = "def f(x):\n    return x + 1\n"


def _artifacts(tmp_path: Path) -> Path:
    record = TransitionRecord(
        transition_id="t", source="mutations", group="g", path="a.py", symbol="f",
        before="def f(x):\n    return x\n", after=SEEN, instruction="add one", instruction_kind="template",
    )  # fmt: skip
    with ArtifactWriter(tmp_path / "data", kind="dataset", config={}) as data:
        (data.path / "transitions").mkdir()
        (data.path / "transitions" / "train.jsonl").write_text(record.model_dump_json() + "\n")
    with ArtifactWriter(
        tmp_path / "ckpt", kind="checkpoint", config={}, parents=[tmp_path / "data"]
    ) as ckpt:
        (ckpt.path / "model.safetensors").write_bytes(b"")
    return tmp_path / "ckpt"


def test_overlap_is_found_through_the_checkpoint_manifest(tmp_path: Path) -> None:
    checkpoint = _artifacts(tmp_path)
    # formatting differs, the normalised hash does not
    items = eval_hashes(["def f(x):  return x+1\n", "def g():\n    pass\n"])
    leakage = check_leakage(checkpoint, items)
    assert (leakage.status, leakage.overlap, leakage.n_eval_items, leakage.n_training_items) == (
        "checked",
        1,
        2,
        2,
    )
    claim = decide_claim(
        metric="pass@1",
        leakage=leakage,
        n=200,
        lift=Estimate(mean=0.1, lo=0.05, hi=0.15, n=200),
        baseline="b",
    )
    assert claim.failed_conditions == ["leakage: 1 eval items occur in the training data"]


def test_unknown_training_data_keeps_the_claim_closed(tmp_path: Path) -> None:
    with ArtifactWriter(tmp_path / "ckpt", kind="checkpoint", config={}) as ckpt:
        (ckpt.path / "model.safetensors").write_bytes(b"")
    leakage = check_leakage(tmp_path / "ckpt", {"x"})
    assert leakage.status == "unknown" and leakage.overlap is None
    claim = decide_claim(
        metric="R@1",
        leakage=leakage,
        n=500,
        lift=Estimate(mean=0.2, lo=0.1, hi=0.3, n=500),
        baseline="b",
    )
    assert not claim.allowed


def test_a_clean_large_significant_lift_opens_the_claim() -> None:
    leakage = check_leakage(None, {"a", "b"})
    assert leakage.overlap == 0 and leakage.status == "none_by_construction"
    claim = decide_claim(
        metric="R@1",
        leakage=leakage,
        n=100,
        lift=Estimate(mean=0.2, lo=0.1, hi=0.3, n=100),
        baseline="lexical",
    )
    assert claim.allowed and claim.failed_conditions == []


def test_decontaminate_drops_exactly_the_overlapping_units(tmp_path: Path) -> None:
    checkpoint = _artifacts(tmp_path)
    units = [("clean", "def g():\n    pass\n"), ("leaked", "def f(x):  return x+1\n")]
    kept, dropped = decontaminate(checkpoint, units, lambda u: [u[1]])
    assert kept == [units[0]] and dropped == 1
    after = check_leakage(checkpoint, eval_hashes(u[1] for u in kept))
    assert after.overlap == 0
    # a baseline, or a checkpoint without readable training data, keeps everything
    assert decontaminate(None, units, lambda u: [u[1]]) == (units, 0)
    with ArtifactWriter(tmp_path / "bare", kind="checkpoint", config={}) as bare:
        (bare.path / "model.safetensors").write_bytes(b"")
    assert decontaminate(tmp_path / "bare", units, lambda u: [u[1]]) == (units, 0)


def test_training_hashes_are_cached_by_dataset_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _artifacts(tmp_path)
    first = _dataset_hashes(tmp_path / "data")
    (cached,) = (tmp_path / "cache" / "codelewm" / "training-hashes").glob("*.txt")
    assert set(cached.read_text().split()) == first and len(first) == 2
    cached.write_text("\n".join([*first, "planted"]) + "\n")  # the cache is what a second run reads
    assert _dataset_hashes(tmp_path / "data") == {*first, "planted"}
