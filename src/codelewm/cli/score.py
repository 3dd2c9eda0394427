"""`codelewm score` and `codelewm rerank`: thin commands over `load_scorer(...).rerank_files(...)`.

Nothing is executed unless `--tests FILE` or `--execute examples|tests|generated|all` is given; then
every valid candidate runs against those checks in the execution sandbox and the output says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from codelewm.cli._common import JsonOpt, console, err_console, handle_errors, print_json
from codelewm.code.candidates import candidate_files, common_indent, strip_indent
from codelewm.errors import ExitCode, InputError
from codelewm.records import RerankRecord
from codelewm.scoring.load import load_scorer
from codelewm.scoring.reranker import read_before

BeforeOpt = Annotated[
    Path, typer.Option("--before", help="The file the candidates edit (UTF-8 Python).")
]
InstructionOpt = Annotated[
    str | None, typer.Option("--instruction", help="The instruction the candidates answer.")
]
InstructionFileOpt = Annotated[
    Path | None, typer.Option("--instruction-file", help="Read the instruction from a file.")
]
CheckpointOpt = Annotated[
    Path | None,
    typer.Option("--checkpoint", help="Checkpoint directory (default: the model shipped inside)."),
]
DeviceOpt = Annotated[str, typer.Option("--device", help="Torch device: cpu or cuda.")]
HtmlOpt = Annotated[
    Path | None, typer.Option("--html", help="Also write a self-contained HTML page here.")
]
TuiOpt = Annotated[
    bool, typer.Option("--tui", help="Open the interactive TUI (needs the tui extra).")
]
TestsOpt = Annotated[
    Path | None,
    typer.Option(
        "--tests",
        help="OPT-IN EXECUTION: run every valid candidate against these tests (asserts or unittest) "
        "in the sandbox and rank passing candidates first. Without it nothing is executed.",
    ),
]
ExecuteOpt = Annotated[
    str | None,
    typer.Option(
        "--execute",
        help="OPT-IN EXECUTION: examples (the checks the instruction and the before's docstrings "
        "give: doctests, `f(x) -> y` lines, asserts), tests (the --tests file), generated (the "
        "--generated-tests of `codelewm llm tests`, ranked by CodeT dual agreement) or all; valid "
        "candidates run in the sandbox and rank by the checks they pass, then by score.",
    ),
]
GeneratedTestsOpt = Annotated[
    Path | None,
    typer.Option(
        "--generated-tests",
        help="With --execute generated/all: the artifact directory (or its tests.jsonl) that "
        "`codelewm llm tests` wrote.",
    ),
]
EntryPointOpt = Annotated[
    str | None,
    typer.Option(
        "--entry-point", help="With --tests: the tests define check(fn); call it on this."
    ),
]


def read_instruction(text: str | None, path: Path | None) -> str | None:
    """The instruction from `--instruction` or `--instruction-file` (exactly one)."""
    if text is not None and path is not None:
        raise InputError("give --instruction or --instruction-file, not both")
    if path is None:
        if text is None:
            raise InputError(
                "no instruction given",
                remediation="Pass --instruction TEXT or --instruction-file FILE.",
            )
        return text
    if not path.is_file():
        raise InputError(f"instruction file {str(path)!r} does not exist or is not a file")
    try:
        return path.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError as exc:
        raise InputError(f"instruction file {str(path)!r} is not valid UTF-8") from exc


def _read_tests(path: Path) -> str:
    if not path.is_file():
        raise InputError(f"tests file {str(path)!r} does not exist or is not a file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"tests file {str(path)!r} is not valid UTF-8") from exc


def _run(
    *,
    before: Path,
    instruction: str | None,
    instruction_file: Path | None,
    candidates: list[Path],
    checkpoint: Path | None,
    device: str,
    tests: Path | None,
    entry_point: str | None,
    execute: str | None = None,
    generated_tests: Path | None = None,
) -> tuple[RerankRecord, str]:
    modes = _execute_modes(execute, tests, generated_tests)
    text = read_instruction(instruction, instruction_file)
    before_text = read_before(before)  # exit 2 before the model loads
    test_text = _read_tests(tests) if tests is not None else None
    generated = None
    if "generated" in modes and generated_tests is not None:
        from codelewm.eval.generated_io import load_generated_tests

        generated = load_generated_tests(generated_tests)  # exit 2 before the model loads
    if not candidates:
        raise InputError("no candidates given", remediation="Pass --candidate FILE|DIR.")
    candidate_files(candidates)  # missing paths and empty directories: exit 2 before loading
    reranker = load_scorer(checkpoint, device=device)
    record = reranker.rerank_files(before=before, instruction=text, candidates=candidates)
    if "examples" in modes:
        from codelewm.eval.executed import execute_examples

        record = execute_examples(
            record,
            before=before_text,
            instruction=text,
            calibrator=reranker.execution_calibrator,
            workers=2,
        )
    if generated is not None:
        from codelewm.eval.codet import execute_generated
        from codelewm.eval.generated_io import tests_for_before

        chosen = tests_for_before(generated, record.before_sha256)
        record = execute_generated(record, chosen, workers=2)
    if "tests" in modes and test_text is not None and tests is not None:
        from codelewm.eval.executed import execute_rerank

        record = execute_rerank(record, test_text, tests_name=tests.name, entry_point=entry_point)
    return record, before_text


EXECUTE_MODES = ("examples", "tests", "generated", "all")


def _execute_modes(
    execute: str | None, tests: Path | None, generated_tests: Path | None = None
) -> set[str]:
    """What runs: nothing unless asked (`--execute` or, as before, `--tests FILE`). `all` runs the
    examples, then the generated tests, then the user's tests (the last order decides)."""
    if execute is None:
        if generated_tests is not None:
            raise InputError(
                "--generated-tests runs code only with --execute generated (or all)",
                remediation="Add --execute generated, or drop --generated-tests.",
            )
        return {"tests"} if tests is not None else set()
    if execute not in EXECUTE_MODES:
        raise InputError(
            f"unknown --execute {execute!r}", remediation="Use examples, tests, generated or all."
        )
    if execute in ("tests", "all") and tests is None:
        raise InputError(f"--execute {execute} needs --tests FILE")
    if execute in ("generated", "all") and generated_tests is None:
        raise InputError(
            f"--execute {execute} needs --generated-tests DIR",
            remediation="Write them with `codelewm llm tests --before FILE --instruction TEXT "
            "--out DIR`, then pass --generated-tests DIR.",
        )
    return {"examples", "tests", "generated"} if execute == "all" else {execute}


def _check_html(html: Path | None) -> None:
    if html is not None:  # exit 2 before the model loads, not 70 after scoring
        from codelewm.views.html import check_html_path

        check_html_path(html)


def _show(
    record: RerankRecord,
    before_text: str,
    *,
    top: int | None,
    json_output: bool,
    html: Path | None,
    tui: bool,
    as_rerank: bool,
) -> None:
    from codelewm.views import build_view_model, render_terminal, run_tui, write_html

    if record.dedented_columns:  # the view diffs against the before that was scored
        before_text = strip_indent(before_text, common_indent(before_text)) or before_text
    view = build_view_model(
        record,
        before=before_text,
        baseline_higher_is_better=True,
        command="rerank" if as_rerank else "score",
    )
    if html is not None:
        write_html(view, html)
    if json_output:
        shown = record
        if top is not None:
            shown = record.model_copy(update={"results": record.results[: max(top, 0)]})
        print_json(shown if as_rerank else shown.results[0])
    elif tui:
        run_tui(view)
    else:
        render_terminal(view, console, top=top)
    if html is not None and not json_output:
        err_console.print(f"wrote {html}", markup=False)


@handle_errors
def rerank(
    before: BeforeOpt,
    candidates: Annotated[
        list[Path],
        typer.Option(
            "--candidates",
            "--candidate",
            "-c",
            help="Candidate file (.py full after-state, .patch/.diff unified diff) or directory; "
            "repeatable.",
        ),
    ],
    instruction: InstructionOpt = None,
    instruction_file: InstructionFileOpt = None,
    checkpoint: CheckpointOpt = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="Show the best K.")] = None,
    html: HtmlOpt = None,
    tui: TuiOpt = False,
    device: DeviceOpt = "cpu",
    tests: TestsOpt = None,
    entry_point: EntryPointOpt = None,
    execute: ExecuteOpt = None,
    generated_tests: GeneratedTestsOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Rank candidate patches for one before and one instruction (codelewm.rerank.v1).

    Candidates are never executed (patches are applied in memory), unless --execute or --tests is
    given."""
    _check_html(html)
    record, before_text = _run(
        before=before,
        instruction=instruction,
        instruction_file=instruction_file,
        candidates=candidates,
        checkpoint=checkpoint,
        device=device,
        tests=tests,
        entry_point=entry_point,
        execute=execute,
        generated_tests=generated_tests,
    )
    _show(record, before_text, top=top, json_output=json_output, html=html, tui=tui, as_rerank=True)


@handle_errors
def score(
    before: BeforeOpt,
    candidate: Annotated[
        Path,
        typer.Option(
            "--candidate", "--candidates", "-c", help="One candidate: .py, .patch or .diff."
        ),
    ],
    instruction: InstructionOpt = None,
    instruction_file: InstructionFileOpt = None,
    checkpoint: CheckpointOpt = None,
    html: HtmlOpt = None,
    tui: TuiOpt = False,
    device: DeviceOpt = "cpu",
    tests: TestsOpt = None,
    entry_point: EntryPointOpt = None,
    execute: ExecuteOpt = None,
    generated_tests: GeneratedTestsOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Score one candidate: energy, no-action energy, action gain, baselines (codelewm.score.v1)."""
    if candidate.is_dir():
        raise InputError(
            f"score takes one candidate file; {str(candidate)!r} is a directory",
            remediation="Use `codelewm rerank` for a directory of candidates.",
        )
    _check_html(html)
    record, before_text = _run(
        before=before,
        instruction=instruction,
        instruction_file=instruction_file,
        candidates=[candidate],
        checkpoint=checkpoint,
        device=device,
        tests=tests,
        entry_point=entry_point,
        execute=execute,
        generated_tests=generated_tests,
    )
    if json_output:
        merged = [*record.warnings, *record.results[0].warnings]
        record = record.model_copy(
            update={"results": [record.results[0].model_copy(update={"warnings": merged})]}
        )
    _show(
        record, before_text, top=None, json_output=json_output, html=html, tui=tui, as_rerank=False
    )
    result = record.results[0]
    if result.final_score is None:  # shown (with its error), then the exit code says it failed
        code = result.error.exit_code if result.error is not None else None
        raise typer.Exit(code or int(ExitCode.PARSE_FAILURE))
