"""A tiny real checkpoint for the harness tests: a seeded, untrained world model behind the trust gate.

Untrained weights are enough to test the plumbing (loading, batching, records, ranking rules, the
server); ranking quality is the model's own tests' business. Everything goes through the same code a
trained checkpoint does: `checkpoint.write.save_checkpoint` writes it, the trust gate loads it.
A uniquely named module (not conftest) so other test directories can import it by path.
"""

from __future__ import annotations

import inspect
import json
import textwrap
from pathlib import Path

import torch

from codelewm.checkpoint.tokenizer import train_tokenizer
from codelewm.checkpoint.write import save_checkpoint
from codelewm.model.world_model import ModelConfig, build_world_model
from codelewm.train.config import TrainConfig

BEFORE = textwrap.dedent(
    '''\
    def moving_average(values, window):
        """Return the mean of every run of `window` consecutive values."""
        if window <= 0:
            raise ValueError("window must be positive")
        averages = []
        for start in range(len(values) - window):
            chunk = values[start : start + window]
            averages.append(sum(chunk) / window)
        return averages
    '''
)
GOOD = BEFORE.replace("range(len(values) - window)", "range(len(values) - window + 1)")
WRONG = BEFORE.replace("range(len(values) - window)", "range(1, len(values) - window + 1)")
INSTRUCTION = "Fix the off-by-one: the last full window is missing from the result."
GOOD_PATCH = """\
--- a/stats.py
+++ b/stats.py
@@ -3,7 +3,7 @@
     if window <= 0:
         raise ValueError("window must be positive")
     averages = []
-    for start in range(len(values) - window):
+    for start in range(len(values) - window + 1):
         chunk = values[start : start + window]
         averages.append(sum(chunk) / window)
     return averages
"""


def _corpus() -> list[str]:
    import json as json_module
    import textwrap as textwrap_module

    texts = [inspect.getsource(json_module), inspect.getsource(textwrap_module), BEFORE, GOOD]
    return [*texts, INSTRUCTION, "swap the comparison", "make the loop bound inclusive"]


def build_tiny_checkpoint(out: Path, *, seed: int = 0, calibrated: bool = False) -> Path:
    """Write a checkpoint directory at `out` and return it; `calibrated` adds a fixed calibrator
    (final_score = -2 * energy_z + 0.5 * parses)."""
    tokenizer = train_tokenizer(_corpus(), vocab_size=300)
    cfg = ModelConfig(
        vocab_size=tokenizer.vocab_size,
        max_len=64,
        action_max_len=24,
        d_model=32,
        n_heads=2,
        n_layers=1,
        action_layers=1,
        d_latent=32,
        predictor_blocks=1,
        predictor_hidden=64,
        window_head=8,
        window_radius=12,
    )
    torch.manual_seed(seed)
    model = build_world_model(cfg).eval()
    train_cfg = TrainConfig.model_validate({"data": {"dataset": str(out.parent / "no-dataset")}})
    calibrator = None
    if calibrated:
        from codelewm.checkpoint.calibrator import Calibrator

        calibrator = Calibrator(
            feature_names=("energy_z", "parses"),
            weights=(-2.0, 0.5),
            bias=0.0,
            mean=(0.0, 0.0),
            scale=(1.0, 1.0),
            fitted_on="test fixture",
        )
    save_checkpoint(
        out,
        model=model,
        tokenizer=tokenizer,
        train_config=train_cfg.model_dump(mode="json"),
        calibrator=calibrator,
    )
    return out


def tamper(checkpoint: Path, name: str = "config.json") -> None:
    """Change one byte-equivalent of a listed file so the manifest no longer matches."""
    path = checkpoint / name
    if name.endswith(".json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        data["tampered"] = True
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        raw = bytearray(path.read_bytes())
        raw[-1] ^= 0x01
        path.write_bytes(bytes(raw))


TRANSITIONS = [
    ("fix-window", "stats.py", "moving_average", BEFORE, GOOD, INSTRUCTION),
    ("shift-window", "stats.py", "moving_average", BEFORE, WRONG, "Start from the second window."),
    (
        "rename",
        "util.py",
        "greet",
        "def greet(name):\n    return 'hi ' + name\n",
        "def greet(person):\n    return 'hi ' + person\n",
        "Rename the parameter to person.",
    ),
    (
        "fstring",
        "util.py",
        "greet",
        "def greet(name):\n    return 'hi ' + name\n",
        "def greet(name):\n    return f'hi {name}'\n",
        "Use an f-string.",
    ),
    (
        "guard",
        "mathx.py",
        "safe_div",
        "def safe_div(a, b):\n    return a / b\n",
        "def safe_div(a, b):\n    if b == 0:\n        return None\n    return a / b\n",
        "Return None when dividing by zero.",
    ),
]


def build_tiny_dataset(out: Path) -> Path:
    """A dataset artifact (manifest + transitions/train.jsonl) of the TRANSITIONS above."""
    from codelewm.artifacts.manifest import ArtifactWriter
    from codelewm.records import TransitionRecord

    with ArtifactWriter(out, kind="dataset", config={"tiny": True}, overwrite=True) as art:
        (art.path / "transitions").mkdir()
        lines = []
        for tid, path, symbol, before, after, instruction in TRANSITIONS:
            record = TransitionRecord(
                transition_id=tid,
                source="jsonl",
                group=path.removesuffix(".py"),
                split="train",
                path=path,
                symbol=symbol,
                before=before,
                after=after,
                instruction=instruction,
                instruction_kind="external",
            )
            lines.append(record.model_dump_json() + "\n")
        (art.path / "transitions" / "train.jsonl").write_text("".join(lines), encoding="utf-8")
    return out
