"""`codelewm schemas export DIR`: write the JSON Schema of every record, report and view model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel

from codelewm.artifacts.schemas import export_schemas
from codelewm.cli._common import JsonOpt, console, handle_errors, print_json
from codelewm.records import EXPORTED_SCHEMAS

app = typer.Typer(
    help="JSON Schemas of the records codelewm reads and writes.", no_args_is_help=True
)


def all_schemas() -> dict[str, type[BaseModel]]:
    """The records, plus what the CLI writes from higher layers: evaluation reports, the view model,
    LLM packs and demo reports, sandbox results, data-build reports, checkpoint inspection, /v1/model."""
    from codelewm.data.reports import BuildStats, FilterReport, LeakageReport
    from codelewm.eval.downstream import DownstreamReport
    from codelewm.eval.latent import LatentReport
    from codelewm.eval.ranking_report import RankingReport
    from codelewm.eval.surprise import SurpriseReport
    from codelewm.execution.result import ExecutionResult
    from codelewm.llm.demo import DemoReport
    from codelewm.llm.generated_tests import TestsGeneration
    from codelewm.llm.pack import CandidatePack
    from codelewm.llm.task import LlmTask
    from codelewm.server.schemas import ModelInfo
    from codelewm.train.inspect import CheckpointReport
    from codelewm.views.model import ViewModel

    return {
        **EXPORTED_SCHEMAS,
        "codelewm.view_model.v1": ViewModel,
        # one report model, three protocols: P1, P2 and scorer quality
        "codelewm.eval.action_use.v1": RankingReport,
        "codelewm.eval.action_use_history.v1": RankingReport,
        "codelewm.eval.retrieval.v1": RankingReport,
        "codelewm.eval.scorer_quality.v1": RankingReport,
        "codelewm.eval.surprise.v1": SurpriseReport,
        "codelewm.eval.downstream_rerank.v1": DownstreamReport,
        "codelewm.eval.latent.v1": LatentReport,
        "codelewm.execution_result.v1": ExecutionResult,
        "codelewm.llm_task.v1": LlmTask,
        "codelewm.llm_candidate_pack.v1": CandidatePack,
        "codelewm.llm_demo_report.v1": DemoReport,
        "codelewm.llm_generated_tests.v1": TestsGeneration,
        "codelewm.data.filter_report.v1": FilterReport,
        "codelewm.data.leakage_report.v1": LeakageReport,
        "codelewm.data.stats.v1": BuildStats,
        "codelewm.checkpoint_inspect.v1": CheckpointReport,
        "codelewm.model_info.v1": ModelInfo,
    }


@app.command("export")
@handle_errors
def export(
    out_dir: Annotated[
        Path, typer.Argument(help="Directory to write <schema>.schema.json files into.")
    ],
    json_output: JsonOpt = False,
) -> None:
    """Write one `<schema_version>.schema.json` per record, report and view-model type."""
    written = export_schemas(out_dir, all_schemas())
    if json_output:
        print_json({"written": [str(p) for p in written]})
        return
    for path in written:
        console.print(f"wrote {path}", markup=False)
