"""The bodies of `scripts/llm-world-model-demo` and `scripts/paper-demo`, one process each.

    python -m codelewm.cli.llm_scripts world-model-demo [llm-demo options...]
    python -m codelewm.cli.llm_scripts paper-demo --out DIR [--checkpoint DIR] [--device cpu]

`world-model-demo` runs `codelewm llm-demo --out .artifacts/llm-demo --overwrite ...` and then checks
the two manifests and secret-scans the output. `paper-demo` writes the deterministic artifact set:
the dry-run fixture demo in both output policies (`DIR/diff`, `DIR/function`) with fixed settings and
a fixed manifest command, verified and secret-scanned. Same checkpoint and code give byte-identical
files apart from each manifest's `created_at`, wherever `--out` points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

import typer

from codelewm.artifacts.secrets import scan_paths
from codelewm.artifacts.verify import verify_artifact
from codelewm.cli._common import err_console, handle_errors
from codelewm.cli.llm_demo import run_demo
from codelewm.errors import ArtifactError, SecretFoundError
from codelewm.llm.providers import FixtureProvider
from codelewm.llm.settings import GenerationConfig, OutputPolicy
from codelewm.llm.task import fixture_task

DEMO_OUT: Final = Path(".artifacts/llm-demo")
PAPER_POLICIES: Final[tuple[OutputPolicy, ...]] = ("diff", "function")
PAPER_SEED: Final = 17

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)


def check_outputs(root: Path, artifacts: list[Path]) -> None:
    """Every artifact's manifest verifies and nothing under `root` holds a credential."""
    for path in artifacts:
        report = verify_artifact(path)
        if not report.ok:
            problems = "; ".join(f"{p.path}: {p.kind}" for p in report.problems)
            raise ArtifactError(f"{path} does not verify: {problems}")
    scan = scan_paths([root])
    if not scan.ok:
        raise SecretFoundError(f"secret scan of {root} found {len(scan.findings)} finding(s)")


@app.command(
    "world-model-demo",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def world_model_demo(ctx: typer.Context) -> None:
    """`codelewm llm-demo` into .artifacts/llm-demo (or --out), then verify and secret-scan."""
    from codelewm.cli.app import app as cli

    args = list(ctx.args)
    out = Path(args[args.index("--out") + 1]) if "--out" in args else DEMO_OUT
    if "--out" not in args:
        args = ["--out", str(out), *args]
    code = cli(["llm-demo", "--overwrite", *args], standalone_mode=False)
    if code:
        raise typer.Exit(int(code))
    if "--help" not in args:
        _checked(out, [out / "pack", out / "demo"])


@app.command("paper-demo")
def paper_demo(
    out: Annotated[Path, typer.Option("--out", help="Directory of the artifact set.")],
    checkpoint: Annotated[Path | None, typer.Option("--checkpoint")] = None,
    device: Annotated[str, typer.Option("--device")] = "cpu",
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Accepted; always rebuilt.")
    ] = True,
) -> None:
    """The deterministic paper-demo artifact set (see the module doc)."""
    _paper_demo(out=out, checkpoint=checkpoint, device=device)


@handle_errors
def _paper_demo(*, out: Path, checkpoint: Path | None, device: str) -> None:
    task = fixture_task()
    for policy in PAPER_POLICIES:
        config = GenerationConfig(n=5, seed=PAPER_SEED, output_policy=policy)
        report, _ = run_demo(
            task=task,
            provider=FixtureProvider(),
            config=config,
            out=out / policy,
            checkpoint=checkpoint,
            device=device,
            overwrite=True,
            command=["scripts/paper-demo", policy],
        )
        err_console.print(
            f"{policy}: model's pick {report.top_candidate_id} ({report.checkpoint_id})",
            highlight=False,
        )
    _checked(out, [out / p / name for p in PAPER_POLICIES for name in ("pack", "demo")])


@handle_errors
def _checked(root: Path, artifacts: list[Path]) -> None:
    check_outputs(root, artifacts)
    err_console.print(
        f"manifests verified, secret scan clean: {root}", highlight=False, markup=False
    )


if __name__ == "__main__":
    app()
