from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import tiny_config

from codelewm.checkpoint.read import load_checkpoint
from codelewm.train.loop import Progress, run_training


class Killed(Exception):
    pass


def _kill_at(step: int):  # type: ignore[no-untyped-def]
    def report(p: Progress) -> None:
        if p.kind == "step" and p.step == step:
            raise Killed

    return report


def test_resume_after_a_kill_reproduces_the_uninterrupted_run(
    tiny_dataset: Path, tmp_path: Path
) -> None:
    cfg = tiny_config(tiny_dataset, checkpoint_every=3, eval_every=6)
    cfg = cfg.model_copy(update={"optim": cfg.optim.model_copy(update={"max_steps": 12})})
    straight = run_training(cfg, out_dir=tmp_path / "straight")
    with pytest.raises(Killed):
        run_training(cfg, out_dir=tmp_path / "resumed", progress=_kill_at(8))  # state saved at 6
    resumed = run_training(cfg, out_dir=tmp_path / "resumed", resume=True)
    assert straight.steps == resumed.steps == 12
    a = load_checkpoint(tmp_path / "straight" / "last").model.state_dict()
    b = load_checkpoint(tmp_path / "resumed" / "last").model.state_dict()
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name
    assert straight.best_metric == resumed.best_metric


def test_same_seed_same_parameters(tiny_dataset: Path, tmp_path: Path) -> None:
    cfg = tiny_config(tiny_dataset, eval_every=5)
    cfg = cfg.model_copy(update={"optim": cfg.optim.model_copy(update={"max_steps": 5})})
    run_training(cfg, out_dir=tmp_path / "a")
    run_training(cfg, out_dir=tmp_path / "b")
    a = load_checkpoint(tmp_path / "a" / "last").model.state_dict()
    b = load_checkpoint(tmp_path / "b" / "last").model.state_dict()
    assert all(torch.equal(a[n], b[n]) for n in a)
