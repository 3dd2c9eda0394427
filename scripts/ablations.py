"""Loss-term ablations of the default model: one short training run per term, everything else equal.

    .venv/bin/python scripts/ablations.py [--config configs/train/default.toml] [--steps 250]
                                          [--out out/ablations]

Each run takes the default config, shortens it to `--steps` steps (warmup scaled, validation at the
end only) and changes ONE thing: a loss weight to 0, action dropout off, or the hard negatives off.
It records the last validation (R@1 with the instruction, the null action and a shuffled
instruction, on the config's held-out val pools) and the effective rank / dim of 1,000 val texts
(`codelewm eval latent`). Results go to OUT/ablations.json, rewritten atomically after every run;
a run whose result is already there is skipped, so an interrupted sweep resumes where it stopped.
scripts/eval_model_md.py renders the table into MODEL.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

VARIANTS: list[tuple[str, str, dict[str, str]]] = [
    ("full", "none (the default config)", {}),
    ("no-sigreg", "SIGReg weight 0", {"sigreg": "0.0"}),
    ("no-swap", "action-swap loss weight 0", {"swap": "0.0"}),
    ("no-mse", "latent MSE weight 0", {"mse": "0.0"}),
    (
        "no-action-dropout",
        "action dropout 0 (null action never trained)",
        {"action_dropout": "0.0"},
    ),
    (
        "no-hard-negatives",
        "no unedited-before, partial-edit, mutant or decoy negatives (pool members only)",
        {
            "negatives_before": "false",
            "negatives_partial": "false",
            "negatives_mutants": "0",
            "negatives_decoys": "0",
        },
    ),
]


def derived_config(text: str, steps: int, changes: dict[str, str]) -> str:
    """The config text with the short schedule and `changes` applied (each key must exist once)."""
    warmup = max(1, steps // 10)
    settings = {
        "max_steps": str(steps),
        "warmup_steps": str(warmup),
        "eval_every": str(steps),
        "checkpoint_every": str(steps),
        "max_minutes": "120",
        **changes,
    }
    for key, value in settings.items():
        pattern = re.compile(rf"^{re.escape(key)} = .*$", re.MULTILINE)
        if len(pattern.findall(text)) != 1:
            raise SystemExit(f"config has no single line '{key} = ...'")
        text = pattern.sub(f"{key} = {value}", text)
    tomllib.loads(text)  # still valid TOML
    return text


def cli() -> str:
    exe = Path(sys.executable).with_name("codelewm")
    return str(exe) if exe.exists() else "codelewm"


def run_one(name: str, config_text: str, out: Path, dataset: str) -> dict[str, Any]:
    run_dir = out / name
    config = out / f"{name}.toml"
    config.write_text(config_text, encoding="utf-8")
    # a directory without a result in ablations.json is an interrupted run: resume it
    resume = ["--resume"] if run_dir.exists() else []
    trained = subprocess.run(
        [cli(), "train", "--config", str(config), "--out", str(run_dir), *resume, "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(trained.stdout)
    latent = subprocess.run(
        [
            cli(),
            "eval",
            "latent",
            "--data",
            dataset,
            "--split",
            "val",
            "--limit",
            "1000",
            "--scorer",
            str(run_dir / "last"),
            "--out",
            str(out / f"{name}-latent"),
            "--overwrite",
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    if latent.returncode not in (0, 6):  # 6: the latent gate failed, the numbers are still there
        raise SystemExit(f"eval latent failed for {name}: {latent.stderr[-2000:]}")
    health = json.loads(latent.stdout)["health"]
    last = result["last_eval"]
    return {
        "val_r1": last["r1"],
        "val_r1_null": last["r1_null"],
        "val_r1_shuffled": last["r1_shuffled"],
        "effective_rank_ratio": health["effective_rank_ratio"],
        "examples_per_s": result["examples_per_s"],
        "wall_s": result["wall_s"],
        "steps": result["steps"],
    }


def write_atomic(path: Path, payload: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/train/default.toml"))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("out/ablations"))
    parser.add_argument("--only", default=None, help="comma list of run names")
    args = parser.parse_args(argv)
    base = args.config.read_text(encoding="utf-8")
    parsed = tomllib.loads(base)
    args.out.mkdir(parents=True, exist_ok=True)
    results_path = args.out / "ablations.json"
    command = f"python scripts/ablations.py --config {args.config} --steps {args.steps}"
    payload: dict[str, Any] = {
        "base_config": str(args.config),
        "steps": args.steps,
        "batch_size": parsed["optim"]["batch_size"],
        "seed": parsed.get("seed", 0),
        "val_pools": parsed["data"].get("val_max_pools"),
        "command": command,
        "runs": [],
    }
    if results_path.is_file():
        old = json.loads(results_path.read_text())
        if old.get("base_config") == payload["base_config"] and old.get("steps") == args.steps:
            payload["runs"] = old["runs"]
    done = {r["name"] for r in payload["runs"]}
    wanted = set(args.only.split(",")) if args.only else None
    for name, change, changes in VARIANTS:
        if name in done or (wanted is not None and name not in wanted):
            continue
        print(f"[ablations] {name}: {change}", file=sys.stderr, flush=True)
        text = derived_config(base, args.steps, changes)
        row = run_one(name, text, args.out, parsed["data"]["dataset"])
        payload["runs"].append({"name": name, "change": change, **row})
        order = [v[0] for v in VARIANTS]
        payload["runs"].sort(key=lambda r: order.index(r["name"]))
        write_atomic(results_path, payload)
        print(f"[ablations] {name}: {json.dumps(row)}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
