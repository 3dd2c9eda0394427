"""`codelewm llm-demo`: task -> candidates (fixtures or live) -> pack -> rerank -> walkthrough, HTML, JSON.

Writes two artifacts under `--out`: `pack/` (`llm-candidate-pack`) and `demo/` (`llm-demo`:
`report.json`, `rerank.json`, `view_model.json`, `demo.html`, `walkthrough.txt`). The checkpoint
loads before any LLM call (a missing default model fails at once with exit 5, and no paid request is
made); there is no fallback scorer.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from codelewm.artifacts.manifest import load_manifest
from codelewm.cli._common import JsonOpt, console, err_console, handle_errors, print_json
from codelewm.cli.llm import (
    ForceOpt,
    LlmRequest,
    OverwriteOpt,
    pack_table,
    with_request_options,
)
from codelewm.llm.demo import DemoReport, demo_report, rerank_pack, write_demo
from codelewm.llm.generate import generate_pack
from codelewm.llm.pack import CandidatePack, load_pack, write_pack
from codelewm.llm.providers import CandidateProvider
from codelewm.llm.settings import GenerationConfig
from codelewm.llm.task import LlmTask
from codelewm.records import RerankRecord
from codelewm.scoring.load import load_scorer
from codelewm.views import ViewModel, build_view_model, render_terminal, run_tui, write_html

WALKTHROUGH_WIDTH = 110


def _view(report: DemoReport, rerank: RerankRecord, task: LlmTask) -> ViewModel:
    facts = {
        "task": report.task_id,
        "mode": report.mode,
        "generator": f"{report.generator.provider} / {report.generator.model}",
        "pack": report.pack_artifact_id,
    }
    return build_view_model(
        rerank,
        before=task.before,
        title=f"codelewm llm-demo: {report.task_id}",
        extra_facts=facts,
        baseline_orders={"llm": report.orders["llm"]},
        baseline_higher_is_better=True,
    )


def _renderer(view: ViewModel, *, top: int | None) -> Callable[[Path], None]:
    def render(directory: Path) -> None:
        (directory / "view_model.json").write_text(view.model_dump_json(indent=2) + "\n", "utf-8")
        write_html(view, directory / "demo.html")
        buffer = io.StringIO()
        plain = Console(
            file=buffer, width=WALKTHROUGH_WIDTH, color_system=None, force_terminal=False
        )
        render_terminal(view, plain, top=top)
        (directory / "walkthrough.txt").write_text(buffer.getvalue(), "utf-8")

    return render


def run_demo(
    *,
    task: LlmTask,
    provider: CandidateProvider,
    config: GenerationConfig,
    out: Path,
    checkpoint: Path | None,
    device: str = "cpu",
    force: bool = False,
    overwrite: bool = False,
    top: int | None = None,
    command: Sequence[str] | None = None,
) -> tuple[DemoReport, ViewModel]:
    """The whole demo; returns the report and the view model (for the terminal or the TUI)."""
    reranker = load_scorer(checkpoint, device=device)  # before any LLM call: fail fast, no fallback
    scrubber = provider.scrubber
    pack = generate_pack(task, provider, config)
    write_pack(
        pack,
        task,
        out / "pack",
        scrubber=scrubber,
        force=force,
        overwrite=overwrite,
        command=command,
    )
    pack_id = load_manifest(out / "pack").artifact_id
    rerank = rerank_pack(pack, task, reranker)
    report = demo_report(pack, rerank, pack_artifact_id=pack_id, scrubber=scrubber)
    view = _view(report, rerank, task)
    write_demo(
        out / "demo",
        report=report,
        rerank=rerank,
        scrubber=scrubber,
        render=_renderer(view, top=top),
        overwrite=overwrite,
        command=command,
    )
    return report, view


def _walkthrough(
    report: DemoReport, pack: CandidatePack, out: Path, view: ViewModel, top: int | None
) -> None:
    console.rule("1. task")
    console.print(f"{report.task_id}: {report.instruction}", highlight=False, markup=False)
    console.rule(
        f"2. candidates ({report.mode}: {report.generator.provider} / {report.generator.model})"
    )
    console.print(pack_table(pack))
    console.rule("3. rerank by the world model (LLM order shown as the 'llm' ranker)")
    render_terminal(view, console, top=top)
    console.rule("4. artifacts")
    top_line = f"model's pick: {report.top_candidate_id or '-'}  (pack {report.pack_artifact_id})"
    console.print(top_line, highlight=False, markup=False)
    for name in ("pack/pack.json", "demo/report.json", "demo/rerank.json", "demo/demo.html"):
        console.print(f"  {out / name}", highlight=False, markup=False)
    console.print(report.note, style="dim", highlight=False, markup=False)


@handle_errors
@with_request_options
def llm_demo(
    request: LlmRequest,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="Checkpoint directory (default: the shipped model)."),
    ] = None,
    device: Annotated[str, typer.Option("--device", help="Torch device: cpu or cuda.")] = "cpu",
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path(
        ".artifacts/llm-demo"
    ),
    tui: Annotated[bool, typer.Option("--tui", help="Open the TUI (needs [tui]).")] = False,
    top: Annotated[int | None, typer.Option("--top", help="Show only the first N rows.")] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", help="Write the artifacts; print only errors (stderr).")
    ] = False,
    force: ForceOpt = False,
    overwrite: OverwriteOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """The LLM + world-model demo (dry-run fixtures by default): candidates, pack, rerank, views."""
    the_task, config, provider = request.build()
    report, view = run_demo(
        task=the_task,
        provider=provider,
        config=config,
        out=out,
        checkpoint=checkpoint,
        device=device,
        force=force,
        overwrite=overwrite,
        top=top,
    )
    if json_output:
        print_json(report)
    elif tui:
        run_tui(view)
    elif not quiet:
        pack, _ = load_pack(out / "pack")
        _walkthrough(report, pack, out, view, top)
    if not json_output and not quiet:
        err_console.print(f"wrote {out / 'pack'} and {out / 'demo'}", markup=False)
