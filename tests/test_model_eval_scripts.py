"""scripts/ablations.py and scripts/eval_model_md.py: the derived configs and the rendered MODEL.md."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from p1_pools import same_before_pool
from typer.testing import CliRunner

from codelewm.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import ablations  # noqa: E402


def test_every_ablation_changes_one_existing_setting_of_the_default_config() -> None:
    base = (ROOT / "configs/train/default.toml").read_text()
    for _, _, changes in ablations.VARIANTS:
        parsed = tomllib.loads(ablations.derived_config(base, 40, changes))
        assert parsed["optim"]["max_steps"] == 40
        assert parsed["optim"]["warmup_steps"] == 4
        assert parsed["eval_every"] == 40
        flat = {**parsed["loss"], **parsed["data"]}
        for key, value in changes.items():
            assert str(flat[key]).lower() == value.lower().replace(".0", "") or flat[key] == 0
    with pytest.raises(SystemExit, match="no single line 'nonexistent"):
        ablations.derived_config(base, 40, {"nonexistent": "1"})


def test_model_md_checks_targets_from_real_reports(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "pools").mkdir(parents=True)
    pools = [same_before_pool(n) for n in range(3)] + [same_before_pool(9, "ruff")]
    (data / "pools" / "test.jsonl").write_text("".join(p.model_dump_json() + "\n" for p in pools))
    reports = tmp_path / "reports"
    for source in ("mutations", "ruff"):
        result = CliRunner().invoke(
            app,
            [
                "eval",
                "action-use",
                "--data",
                str(data),
                "--source",
                source,
                "--scorer",
                "bm25",
                "--out",
                str(reports / f"action_use_{'mutations' if source == 'mutations' else 'ruff'}"),
                "--json",
            ],
        )
        assert result.exit_code == 0, result.output
    abl = tmp_path / "ablations.json"
    abl.write_text(
        json.dumps(
            {
                "base_config": "configs/train/default.toml",
                "steps": 40,
                "batch_size": 32,
                "seed": 0,
                "val_pools": 300,
                "command": "python scripts/ablations.py --steps 40",
                "runs": [
                    {
                        "name": "full",
                        "change": "none",
                        "val_r1": 0.5,
                        "val_r1_null": 0.2,
                        "val_r1_shuffled": 0.21,
                        "effective_rank_ratio": 0.3,
                        "examples_per_s": 30.0,
                    }
                ],
            }
        )
    )
    estimate = {"mean": 0.8, "lo": 0.75, "hi": 0.85}
    drop = {"mean": -0.02, "lo": -0.04, "hi": 0.001}
    fusion = tmp_path / "fusion_ablations.json"
    fusion.write_text(
        json.dumps(
            {
                "fitted_on": "data: val, 27 sandbox-labelled pools",
                "command": "python scripts/fusion_ablations.py --pools p.jsonl",
                "rows": [
                    {
                        "set": "fused without energy_z",
                        "weights": {"valid": 1.0},
                        "p.jsonl": {"pass_at_1": estimate, "minus_full": drop},
                    }
                ],
            }
        )
    )
    out = tmp_path / "MODEL.md"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/eval_model_md.py"),
            "--reports",
            str(reports),
            "--out",
            str(out),
            "--ablations",
            str(abl),
            "--notes",
            str(tmp_path / "none.md"),
            "--fusion-ablations",
            str(fusion),
        ],
        check=True,
    )
    text = out.read_text()
    # bm25 reads the added tokens "1" / "2" / "-": it tells the afters apart, but far below 0.80
    mutation_row = next(line for line in text.splitlines() if "held-out mutation pools" in line)
    assert mutation_row.endswith("| no |")
    assert "ruff-rule pools (n = 3 queries)" in text
    assert "P2 retrieval lift over no-action | >= +0.10, CI > 0 | not run" in text
    assert "| **full** | none | 0.500 | 0.200 | 0.210 | 0.300 | 30.0 |" in text
    assert "| fused without energy_z | 0.800 [0.750, 0.850]; -0.020 [-0.040, +0.001] |" in text
    assert "data: val, 27 sandbox-labelled pools" in text
    assert text.count("Reproduce: `") == 4  # the two P1 reports and both ablations
