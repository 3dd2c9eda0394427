"""The LLM + world-model demo: a pack's candidates reranked by a checkpoint, and the report of it.

`rerank_pack` sends every candidate of a pack through `Reranker.rerank_loaded` (rankable ones scored
in one model call; the others kept, ranked last, with the error that says why). `demo_report` puts
the LLM's order beside the model's and the baselines', per candidate. `write_demo` writes the
`llm-demo` artifact: `report.json`, `rerank.json` and whatever the caller renders into it (the CLI
adds `view_model.json`, `demo.html` and `walkthrough.txt`; views are not imported here).

Determinism: nothing in these files carries a timestamp, a path or a random number, so the same pack
and checkpoint give byte-identical files; only `manifest.json`'s `created_at` differs between runs.
The pack is linked by its artifact id (`report.json`, manifest metadata), not as a manifest parent,
because a parent reference hashes the parent's manifest, timestamp included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final, Literal

from pydantic import Field

from codelewm.artifacts.manifest import ArtifactWriter
from codelewm.llm.pack import CandidatePack, loaded_candidates
from codelewm.llm.providers import GeneratorInfo
from codelewm.llm.scrub import Scrubber
from codelewm.llm.task import LlmTask
from codelewm.records import Record, RerankRecord
from codelewm.scoring.reranker import Reranker

DEMO_KIND: Final = "llm-demo"
REPORT_FILE: Final = "report.json"
RERANK_FILE: Final = "rerank.json"
CLAIM_NOTE: Final = (
    "A demonstration of the capture-and-rerank loop, not evidence of model quality: the candidates "
    "are few and (in dry-run) hand-written fixtures. Model-quality claims come from the eval reports."
)


class DemoRow(Record):
    candidate_id: str
    label: str | None
    llm_position: int = Field(description="1-based order in which the LLM returned it")
    model_rank: int | None
    final_score: float | None
    energy: float | None
    action_gain: float | None
    parse_status: str
    apply_status: str
    rankable: bool
    status: str = Field(description="'valid' or the error type")


class DemoReport(Record):
    """One demo run (`codelewm.llm_demo_report.v1`)."""

    schema_version: Literal["codelewm.llm_demo_report.v1"] = "codelewm.llm_demo_report.v1"
    task_id: str
    instruction: str
    mode: Literal["dry-run", "live"]
    generator: GeneratorInfo
    pack_artifact_id: str
    checkpoint_id: str
    checkpoint_sha256: str
    top_candidate_id: str | None = Field(description="the model's first rankable candidate")
    top_candidate_label: str | None
    orders: dict[str, list[str]] = Field(description="'llm', 'model', then each baseline")
    rows: list[DemoRow]
    warnings: list[str]
    note: str = CLAIM_NOTE


def rerank_pack(pack: CandidatePack, task: LlmTask, reranker: Reranker) -> RerankRecord:
    """All of the pack's candidates, ranked by the checkpoint behind `reranker`."""
    return reranker.rerank_loaded(task.before, task.instruction, loaded_candidates(pack, task))


def demo_report(
    pack: CandidatePack, rerank: RerankRecord, *, pack_artifact_id: str, scrubber: Scrubber
) -> DemoReport:
    """The report of one demo run; every string scrubbed."""
    by_id = {r.candidate_id: r for r in rerank.results}
    rows = []
    for position, cand in enumerate(pack.candidates, start=1):
        result = by_id[cand.candidate_id]
        rows.append(
            DemoRow(
                candidate_id=cand.candidate_id,
                label=cand.label,
                llm_position=position,
                model_rank=result.rank,
                final_score=result.final_score,
                energy=result.energy,
                action_gain=result.action_gain,
                parse_status=cand.parse_status,
                apply_status=cand.apply_status,
                rankable=cand.rankable,
                status="valid" if result.error is None else result.error.error_type,
            )
        )
    model_order = [r.candidate_id for r in sorted(rerank.results, key=lambda r: r.rank or 0)]
    top = next(
        (r for r in sorted(rerank.results, key=lambda r: r.rank or 0) if r.final_score is not None),
        None,
    )
    labels = {c.candidate_id: c.label for c in pack.candidates}
    report = DemoReport(
        task_id=pack.task_id,
        instruction=pack.instruction,
        mode="dry-run" if pack.generator.dry_run else "live",
        generator=pack.generator,
        pack_artifact_id=pack_artifact_id,
        checkpoint_id=rerank.checkpoint_id,
        checkpoint_sha256=rerank.checkpoint_sha256,
        top_candidate_id=top.candidate_id if top else None,
        top_candidate_label=labels.get(top.candidate_id) if top else None,
        orders={"llm": [c.candidate_id for c in pack.candidates], "model": model_order}
        | _baseline_orders(rerank),
        rows=rows,
        warnings=[*pack.warnings, *rerank.warnings],
    )
    return DemoReport.model_validate(scrubber.scrub_any(report.model_dump(mode="json")))


def write_demo(
    out_dir: Path,
    *,
    report: DemoReport,
    rerank: RerankRecord,
    scrubber: Scrubber,
    render: Callable[[Path], None] | None = None,
    overwrite: bool = False,
    command: Sequence[str] | None = None,
) -> Path:
    """Write the `llm-demo` artifact; `render(dir)` adds the caller's view files before sealing."""
    clean_rerank = RerankRecord.model_validate(scrubber.scrub_any(rerank.model_dump(mode="json")))
    config = {"task_id": report.task_id, "checkpoint_id": report.checkpoint_id, "mode": report.mode}
    metadata = {
        "schema_version": report.schema_version,
        "pack_artifact_id": report.pack_artifact_id,
        "top_candidate_id": report.top_candidate_id,
    }
    with ArtifactWriter(
        out_dir,
        kind=DEMO_KIND,
        config=config,
        overwrite=overwrite,
        command=command,
        metadata=metadata,
    ) as art:
        (art.path / REPORT_FILE).write_text(report.model_dump_json(indent=2) + "\n", "utf-8")
        (art.path / RERANK_FILE).write_text(clean_rerank.model_dump_json(indent=2) + "\n", "utf-8")
        if render is not None:
            render(art.path)
    return out_dir


def _baseline_orders(rerank: RerankRecord) -> dict[str, list[str]]:
    names: dict[str, None] = {}
    for result in rerank.results:
        names.update(dict.fromkeys(result.baseline_scores))
    orders = {}
    for name in names:
        scored = [(i, r) for i, r in enumerate(rerank.results) if name in r.baseline_scores]
        scored.sort(key=lambda item: (-item[1].baseline_scores[name], item[0]))
        orders[name] = [r.candidate_id for _, r in scored]
    return orders
