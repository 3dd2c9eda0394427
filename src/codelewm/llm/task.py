"""`LlmTask`: what an LLM is asked to change (`codelewm.llm_task.v1`), from a JSON file or from files.

A task is one before file (its repository-relative path, as the diff must name it, and its text), one
instruction, optionally the function it is about, and optional nearby files for context. The fixture
task ships in `llm/fixtures/` with candidates for dry-run mode.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Final, Literal

from pydantic import Field, ValidationError

from codelewm.code.safe_read import read_capped
from codelewm.errors import CandidateRefusedError, InputError
from codelewm.records import Record

MAX_TASK_FILE_BYTES: Final = 1_048_576
FIXTURE_TASK: Final = "moving_average.task.json"


class ContextFile(Record):
    """A nearby file shown to the model for reference."""

    path: str
    text: str


class LlmTask(Record):
    """One request for candidates (`codelewm.llm_task.v1`)."""

    schema_version: Literal["codelewm.llm_task.v1"] = "codelewm.llm_task.v1"
    task_id: str = Field(min_length=1, max_length=200)
    path: str = Field(min_length=1, description="the before file's path, as diffs must name it")
    before: str
    instruction: str = Field(min_length=1)
    symbol: str | None = Field(
        default=None, description="the function the task is about (function output policy)"
    )
    context_files: list[ContextFile] = Field(default_factory=list)


def task_id_for(path: str, before: str, instruction: str) -> str:
    """`task-<sha256[:12]>` of the path, the before and the instruction."""
    payload = json.dumps([path, before, instruction], ensure_ascii=False)
    return "task-" + hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def load_task(path: Path) -> LlmTask:
    """A task from a `codelewm.llm_task.v1` JSON file."""
    text = _read_text(path, what="task file")
    try:
        return LlmTask.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise InputError(
            f"task file {str(path)!r} is not a codelewm.llm_task.v1 document "
            f"({exc.error_count()} errors; first: {where}: {first['msg']})",
            remediation="See llm/fixtures/moving_average.task.json for the format.",
        ) from None


def task_from_files(
    before: Path,
    instruction: str,
    *,
    context: list[Path] | None = None,
    symbol: str | None = None,
    display_path: str | None = None,
) -> LlmTask:
    """A task over a before file on disk plus nearby files; the path shown is the file's name."""
    before_text = _read_text(before, what="before file")
    shown = display_path or before.name
    files = [
        ContextFile(path=p.name, text=_read_text(p, what="context file")) for p in context or []
    ]
    return LlmTask(
        task_id=task_id_for(shown, before_text, instruction),
        path=shown,
        before=before_text,
        instruction=instruction,
        symbol=symbol,
        context_files=files,
    )


def fixture_task() -> LlmTask:
    """The task the dry-run fixtures answer."""
    text = resources.files("codelewm.llm").joinpath("fixtures", FIXTURE_TASK).read_text("utf-8")
    return LlmTask.model_validate_json(text)


def _read_text(path: Path, *, what: str) -> str:
    if not path.exists() and not path.is_symlink():
        raise InputError(f"{what} {str(path)!r} does not exist")
    try:
        data = read_capped(path, max_bytes=MAX_TASK_FILE_BYTES)
    except CandidateRefusedError as exc:
        raise InputError(f"{what} {str(path)!r} refused: {exc.message}") from None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise InputError(f"{what} {str(path)!r} is not valid UTF-8") from None
