"""load_scorer: the trust gate's refusals, the shipped default model, devices; never a fallback."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from harness_helpers import tamper

import codelewm
from codelewm.errors import CheckpointError, ExitCode, InputError
from codelewm.scoring import load as load_module
from codelewm.scoring.load import load_scorer
from codelewm.scoring.reranker import Reranker


def test_lazy_top_level_api(tiny_checkpoint: Path) -> None:
    assert codelewm.load_scorer is load_scorer
    assert codelewm.Reranker is Reranker
    with pytest.raises(AttributeError):
        _ = codelewm.not_there  # type: ignore[attr-defined]
    reranker = codelewm.load_scorer(tiny_checkpoint)
    assert isinstance(reranker, Reranker)


def test_import_codelewm_does_not_import_torch() -> None:
    import subprocess

    code = "import sys, codelewm; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ckpt"
    shutil.copytree(src, dst)
    return dst


def test_tampered_config_is_refused(tiny_checkpoint: Path, tmp_path: Path) -> None:
    ckpt = _copy(tiny_checkpoint, tmp_path)
    tamper(ckpt, "config.json")
    with pytest.raises(CheckpointError, match=r"sha256_mismatch|size_mismatch") as info:
        load_scorer(ckpt)
    assert info.value.exit_code == ExitCode.CHECKPOINT_REFUSED


def test_tampered_weights_are_refused(tiny_checkpoint: Path, tmp_path: Path) -> None:
    ckpt = _copy(tiny_checkpoint, tmp_path)
    tamper(ckpt, "model.safetensors")
    with pytest.raises(CheckpointError, match="sha256_mismatch"):
        load_scorer(ckpt)


def test_pickle_files_are_refused(tiny_checkpoint: Path, tmp_path: Path) -> None:
    ckpt = _copy(tiny_checkpoint, tmp_path)
    (ckpt / "extra.pt").write_bytes(b"\x80\x04")
    with pytest.raises(CheckpointError, match="pickle"):
        load_scorer(ckpt)


def test_missing_checkpoint_and_not_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_scorer(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match=r"no manifest\.json|has no"):
        load_scorer(tmp_path / "empty")


def test_no_default_model_is_an_error_not_a_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load_module, "DEFAULT_MODEL_DIR", tmp_path / "absent")
    with pytest.raises(CheckpointError, match="no default model is shipped") as info:
        load_scorer()
    assert "--checkpoint" in info.value.remediation


def test_default_model_is_loaded_from_the_package_dir(
    tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load_module, "DEFAULT_MODEL_DIR", tiny_checkpoint)
    assert load_scorer().checkpoint_id.startswith("checkpoint-")


def test_unavailable_device_is_an_input_error(tiny_checkpoint: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(InputError, match="CUDA is not available"):
        load_scorer(tiny_checkpoint, device="cuda")
    with pytest.raises(InputError, match=r"unknown device|not supported"):
        load_scorer(tiny_checkpoint, device="tpu-9")


def test_a_calibrated_checkpoint_sets_final_score(tmp_path: Path) -> None:
    from harness_helpers import BEFORE, GOOD, INSTRUCTION, WRONG, build_tiny_checkpoint

    reranker = load_scorer(build_tiny_checkpoint(tmp_path / "cal", calibrated=True))
    assert reranker.info["calibrator"] is True
    record = reranker.rerank(BEFORE, INSTRUCTION, {"good": GOOD, "wrong": WRONG, "noop": BEFORE})
    assert not any("calibrator" in w for w in record.warnings)
    energies = [r.energy for r in record.results]
    assert all(e is not None for e in energies)
    mean = sum(e for e in energies if e is not None) / 3
    std = (sum((e - mean) ** 2 for e in energies if e is not None) / 3) ** 0.5
    for r in record.results:
        assert r.energy is not None
        expected = -2.0 * (r.energy - mean) / (std + 1e-6) + 0.5
        assert r.final_score == pytest.approx(expected, rel=1e-4, abs=1e-4)
    # ranked by the calibrated score: lowest energy first here
    assert [r.candidate_id for r in record.results] == [
        r.candidate_id for r in sorted(record.results, key=lambda r: r.energy or 0.0)
    ]


def test_a_before_longer_than_the_model_sequence_is_flagged(reranker: Reranker) -> None:
    short = "def f(x):\n    return x\n"
    assert not any("tokens" in w for w in reranker.rerank(short, "add one", [short]).warnings)
    long_before = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(40))
    record = reranker.rerank(long_before, "add one", [long_before])
    note = next(w for w in record.warnings if "tokens; the model encodes its first 64" in w)
    assert note.startswith("the before is ")
