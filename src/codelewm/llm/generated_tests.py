"""Generated tests (CodeT): assert-style tests an LLM writes for a task, captured as an artifact.

`generate_tests` asks the provider for `config.n` answers to the `generate_tests.v1` prompt; each
answer is redacted, then `code.asserts.extract_asserts` keeps only `assert <entry_point>(<literals>)
== <literal>` statements and counts why the rest were dropped. Nothing is run here: the tests are
untrusted text until `--execute generated` runs candidates against them in the sandbox.

The artifact (kind `llm-generated-tests`, written atomically by `ArtifactWriter`; an existing one is
refused unless `overwrite`):

- `tests.jsonl`: one `codelewm.generated_tests.v1` set per task (keyed by task id, a pool id for a
  pool file): what `--execute generated` reads; every test carries its sha256, the set the sha256
  of all its sources;
- `generation.jsonl`: one `codelewm.llm_generated_tests.v1` record per task: prompt, generator,
  settings, requests and, per completion, its sha256, its redacted text, the tests it gave and the
  statements discarded by reason;
- `tasks.jsonl`: the tasks (redacted); `config.json` and `manifest.json` with every file's sha256.

Credentials are handled as in the candidate pack: found ones are redacted and the write is refused
without `force`; a credential that survives redaction is always refused.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from pydantic import Field

from codelewm.artifacts.manifest import ArtifactWriter
from codelewm.artifacts.secrets import pattern_findings
from codelewm.code.asserts import extract_asserts
from codelewm.code.functions import defined_functions
from codelewm.errors import InputError, SecretFoundError
from codelewm.llm.pack import PromptInfo, prompt_info, scan_texts
from codelewm.llm.prompt import TESTS_TEMPLATE, approx_tokens, build_prompt, load_template_id
from codelewm.llm.providers import CandidateProvider, Completion, GeneratorInfo, RequestStats
from codelewm.llm.scrub import Scrubber
from codelewm.llm.settings import GenerationConfig
from codelewm.llm.task import LlmTask
from codelewm.records import (
    GENERATED_TESTS_FILE,
    GENERATED_TESTS_KIND,
    GeneratedTest,
    GeneratedTestSet,
    Record,
    RerankPool,
    SecretFinding,
)

GENERATION_FILE: Final = "generation.jsonl"
TASKS_FILE: Final = "tasks.jsonl"
TESTS_PER_ANSWER: Final = 10  # what the prompt asks for


class TestsCompletion(Record):
    """One answer to the generated-tests prompt and what was kept of it."""

    __test__ = False  # not a pytest test class

    request_index: int
    choice_index: int
    completion: str = Field(description="the raw completion, redacted")
    completion_sha256: str = Field(description="sha256 of the completion as received")
    finish_reason: str | None
    approx_tokens: int
    fenced: bool
    kept: list[str] = Field(description="ids of the tests this answer gave")
    discarded: dict[str, int] = Field(description="statements not kept, by reason")


class TestsGeneration(Record):
    """How one task's tests were made (`codelewm.llm_generated_tests.v1`)."""

    schema_version: Literal["codelewm.llm_generated_tests.v1"] = "codelewm.llm_generated_tests.v1"
    task_id: str
    task_path: str
    before_sha256: str
    instruction: str
    entry_point: str
    prompt: PromptInfo
    generator: GeneratorInfo
    generation_config: GenerationConfig
    requests: list[RequestStats]
    completions: list[TestsCompletion]
    n_tests: int
    tests_sha256: str
    discarded: dict[str, int]
    secret_findings: list[SecretFinding] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class GeneratedTests:
    """One task's tests (what runs) and their provenance (how they were made)."""

    tests: GeneratedTestSet
    generation: TestsGeneration
    task: LlmTask


def entry_point_of(task: LlmTask) -> str:
    """The function the tests call: the task's symbol, else the one function the before defines."""
    if task.symbol:
        return task.symbol
    names = defined_functions(task.before)
    if len(names) == 1:
        return names[0]
    found = ", ".join(names) if names else "none"
    raise InputError(
        f"task {task.task_id!r}: which function do the tests call? the before defines {found}",
        remediation="Give --symbol NAME (or `symbol` in the task file).",
    )


def tasks_from_pools(pools: Sequence[RerankPool]) -> list[LlmTask]:
    """One task per pool (task id = pool id): its before as `before.py`, its instruction, and its
    last function as the entry point (as `eval.examples_exec.append_mbpp_examples` takes it)."""
    tasks = []
    for pool in pools:
        names = defined_functions(pool.before)
        tasks.append(
            LlmTask(
                task_id=pool.pool_id,
                path="before.py",
                before=pool.before,
                instruction=pool.instruction or "Implement the function.",
                symbol=names[-1] if names else None,
            )
        )
    return tasks


def generate_tests(
    task: LlmTask,
    provider: CandidateProvider,
    config: GenerationConfig,
    *,
    entry_point: str | None = None,
) -> GeneratedTests:
    """Ask `provider` for `config.n` answers of assert-style tests for `task`; redacted, not written."""
    entry = entry_point or entry_point_of(task)
    prompt = build_prompt(
        task,
        policy=config.output_policy,
        context_tokens=config.context_tokens,
        scrubber=provider.scrubber,
        template=load_template_id(TESTS_TEMPLATE),
        extra_fields={"entry_point": entry, "n_tests": str(TESTS_PER_ANSWER)},
    )
    generation = provider.generate(task, prompt, config)
    scrubber = provider.scrubber
    seen: set[str] = set()
    tests: list[GeneratedTest] = []
    answers = [_answer(c, entry, scrubber, seen, tests) for c in generation.completions]
    total: Counter[str] = Counter()
    for answer in answers:
        total.update(answer.discarded)
    findings = scan_texts(
        [(f"completion {i}", c.text) for i, c in enumerate(generation.completions)]
        + [(TASKS_FILE, task.model_dump_json())],
        scrubber,
    )
    test_set = GeneratedTestSet(
        task_id=task.task_id,
        entry_point=entry,
        before_sha256=_sha(task.before),
        tests=tests,
        tests_sha256=tests_digest(tests),
        discarded=dict(sorted(total.items())),
        generator=f"{generation.generator.provider}:{generation.generator.model}",
    )
    record = TestsGeneration(
        task_id=task.task_id,
        task_path=task.path,
        before_sha256=test_set.before_sha256,
        instruction=scrubber.scrub(task.instruction),
        entry_point=entry,
        prompt=prompt_info(prompt),
        generator=generation.generator,
        generation_config=config,
        requests=generation.requests,
        completions=answers,
        n_tests=len(tests),
        tests_sha256=test_set.tests_sha256,
        discarded=test_set.discarded,
        secret_findings=findings,
        warnings=list(generation.warnings),
    )
    return GeneratedTests(test_set, record, task)


def tests_digest(tests: Sequence[GeneratedTest]) -> str:
    """sha256 of the tests' sources joined by newlines (`GeneratedTestSet.tests_sha256`)."""
    return _sha("\n".join(t.source for t in tests))


def write_generated_tests(
    items: Sequence[GeneratedTests],
    out_dir: Path,
    *,
    scrubber: Scrubber,
    force: bool = False,
    overwrite: bool = False,
    command: Sequence[str] | None = None,
) -> Path:
    """Write the artifact (see the module doc); one line per task in each JSONL file."""
    if not items:
        raise InputError("no generated tests to write")
    findings = [f for item in items for f in item.generation.secret_findings]
    if findings and not force:
        kinds = ", ".join(sorted({f"{f.kind} ({f.redaction})" for f in findings}))
        raise SecretFoundError(
            f"the generated tests held {len(findings)} credential(s): {kinds}; refusing to write",
            remediation="Check where the credential came from (a completion, the before file); "
            "pass --force to write the tests with every credential redacted.",
        )
    texts = {
        GENERATED_TESTS_FILE: _jsonl(i.tests for i in items),
        GENERATION_FILE: _jsonl(i.generation for i in items),
        TASKS_FILE: _jsonl(
            LlmTask.model_validate(scrubber.scrub_any(i.task.model_dump(mode="json")))
            for i in items
        ),
    }
    for text in texts.values():
        if pattern_findings(text) or scrubber.leaks(text):
            raise SecretFoundError("a credential survived redaction; nothing was written")
    first = items[0].generation
    config = {
        "task_ids": [i.tests.task_id for i in items],
        "generation": first.generation_config.model_dump(mode="json"),
        "template_id": first.prompt.template_id,
    }
    metadata = {
        "schema_version": items[0].tests.schema_version,
        "tasks": len(items),
        "tests": sum(len(i.tests.tests) for i in items),
        "dry_run": first.generator.dry_run,
        "secret_findings": len(findings),
    }
    with ArtifactWriter(
        out_dir,
        kind=GENERATED_TESTS_KIND,
        config=config,
        overwrite=overwrite,
        command=command,
        metadata=metadata,
    ) as art:
        for name, text in texts.items():
            (art.path / name).write_text(text, encoding="utf-8")
    return out_dir


def _answer(
    completion: Completion,
    entry: str,
    scrubber: Scrubber,
    seen: set[str],
    tests: list[GeneratedTest],
) -> TestsCompletion:
    """One completion's tests (appended to `tests`) and its record."""
    text = scrubber.scrub(completion.text)
    found = extract_asserts(text, entry, seen=seen)
    origin = f"llm:request{completion.request_index}:choice{completion.choice_index}"
    ids = []
    for source in found.tests:
        test_id = f"t{len(tests) + 1:03d}"
        tests.append(
            GeneratedTest(test_id=test_id, source=source, sha256=_sha(source), origin=origin)
        )
        ids.append(test_id)
    return TestsCompletion(
        request_index=completion.request_index,
        choice_index=completion.choice_index,
        completion=text,
        completion_sha256=_sha(completion.text),
        finish_reason=completion.finish_reason,
        approx_tokens=approx_tokens(completion.text),
        fenced=found.fenced,
        kept=ids,
        discarded=dict(sorted(found.discarded.items())),
    )


def _jsonl(records: Iterable[Record]) -> str:
    return "".join(r.model_dump_json() + "\n" for r in records)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
