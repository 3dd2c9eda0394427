from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from codelewm.scoring.world_model import WorldModelScorer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_process_ddp_on_cpu(tiny_dataset: Path, tmp_path: Path) -> None:
    config = (ROOT / "configs" / "train" / "tiny.toml").read_text()
    config = config.replace('"tests/fixtures/tiny_dataset"', json.dumps(str(tiny_dataset)))
    config = config.replace("max_steps = 20", "max_steps = 30")
    (tmp_path / "tiny.toml").write_text(config)
    (tmp_path / "entry.py").write_text("from codelewm.cli.app import main\nmain()\n")
    out = tmp_path / "run"
    done = subprocess.run(
        [
            sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
            str(tmp_path / "entry.py"), "train", "--config", str(tmp_path / "tiny.toml"),
            "--out", str(out), "--json",
        ],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["steps"] == 30
    assert summary["examples_seen"] == 30 * 8 * 2  # two processes, batch 8 each
    events = EventAccumulator(str(out / "tb"))
    events.Reload()
    losses = [e.value for e in events.Scalars("train/loss")]
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5
    scorer = WorldModelScorer.from_checkpoint(out / "last")
    assert scorer.checkpoint_id.startswith("checkpoint-")
