"""Candidate packs (`codelewm.llm_candidate_pack.v1`): untrusted LLM candidates captured before scoring.

`build_pack` turns a `Generation` into a pack: per candidate the extracted text, sha256s, parse and
apply status (`code.candidates.candidate_from_text`, in memory, nothing executed), finish reason,
token counts, rankability and errors. The pack is assembled from the raw texts, serialized and
secret-scanned (`artifacts.secrets.pattern_findings` plus the run's exact key value); then every
string is scrubbed. The raw pack never leaves `build_pack`: callers only ever hold the redacted one,
whose `secret_findings` say what was removed (kind, hash prefix, length).

`write_pack` writes `pack.json` and `task.json` through `ArtifactWriter` (kind `llm-candidate-pack`).
It refuses a pack with findings unless `force=True` (the text is redacted either way), and refuses
always when the redacted serialization still holds a secret.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from pydantic import Field

from codelewm.artifacts.manifest import ArtifactWriter
from codelewm.artifacts.secrets import pattern_findings
from codelewm.code.candidates import LoadedCandidate, candidate_from_text
from codelewm.errors import CodeLeWMError, SecretFoundError
from codelewm.llm.extract import OffTargetError, extract
from codelewm.llm.prompt import ContextEntry, Prompt, approx_tokens
from codelewm.llm.providers import Completion, Generation, GeneratorInfo, RequestStats
from codelewm.llm.scrub import Scrubber
from codelewm.llm.settings import GenerationConfig
from codelewm.llm.task import LlmTask
from codelewm.records import (
    CandidateKind,
    CandidateRecord,
    ErrorRecord,
    Record,
    SecretFinding,
    Validity,
)

PACK_KIND: Final = "llm-candidate-pack"
PACK_FILE: Final = "pack.json"
TASK_FILE: Final = "task.json"
_MARKER: Final = re.compile(r"\[REDACTED:[a-z0-9_]+:sha256=[0-9a-f]{8}:len=\d+\]")

ParseStatus = Literal["parsed", "empty", "malformed", "does_not_parse"]
ApplyStatus = Literal["applied", "refused", "mismatch", "off_target", "not_attempted"]


class PackCandidate(Record):
    """One candidate as captured (all text redacted)."""

    candidate_id: str
    label: str | None = Field(default=None, description="fixtures: what the candidate shows")
    request_index: int
    choice_index: int
    kind: CandidateKind
    text: str = Field(
        description="the candidate: a diff, or the full after-state (function policy)"
    )
    completion: str = Field(description="the raw completion, redacted")
    completion_sha256: str = Field(description="sha256 of the completion as received")
    text_sha256: str = Field(description="sha256 of `text` as stored")
    after_sha256: str | None = Field(description="sha256 of the after-state, when one was made")
    fenced: bool = Field(description="the answer came from a Markdown fence")
    parse_status: ParseStatus
    apply_status: ApplyStatus
    validity: Validity
    finish_reason: str | None
    completion_tokens: int | None = Field(description="as reported (one-choice requests only)")
    approx_tokens: int = Field(description="ceil(chars / 4) of the completion")
    rankable: bool = Field(description="has an after-state that parses: the reranker can score it")
    errors: list[ErrorRecord] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class PromptInfo(Record):
    template_id: str
    template_sha256: str
    prompt_sha256: str = Field(description="sha256 of the messages sent (system NUL user)")
    approx_tokens: int
    preview: str = Field(description="the start of the user message, redacted")
    context_sha256: str
    context_budget_tokens: int
    context: list[ContextEntry]


class PackSummary(Record):
    candidates: int
    rankable: int
    parse_status: dict[str, int]
    apply_status: dict[str, int]


class CandidatePack(Record):
    """Untrusted candidates for one task, with provenance (`codelewm.llm_candidate_pack.v1`)."""

    schema_version: Literal["codelewm.llm_candidate_pack.v1"] = "codelewm.llm_candidate_pack.v1"
    task_id: str
    task_path: str
    before_sha256: str
    instruction: str
    symbol: str | None
    prompt: PromptInfo
    generator: GeneratorInfo
    generation_config: GenerationConfig
    requests: list[RequestStats]
    candidates: list[PackCandidate]
    summary: PackSummary
    secret_findings: list[SecretFinding] = Field(
        default_factory=list, description="credentials removed before writing (forced writes)"
    )
    warnings: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class _Checked:
    loaded: LoadedCandidate | None
    parse: ParseStatus
    apply: ApplyStatus
    errors: list[ErrorRecord]


def build_pack(
    task: LlmTask,
    prompt: Prompt,
    generation: Generation,
    config: GenerationConfig,
    scrubber: Scrubber,
) -> CandidatePack:
    """The redacted pack of a generation (see the module doc)."""
    ids = _candidate_ids(generation.completions)
    raw = CandidatePack(
        task_id=task.task_id,
        task_path=task.path,
        before_sha256=_sha(task.before),
        instruction=task.instruction,
        symbol=task.symbol,
        prompt=prompt_info(prompt),
        generator=generation.generator,
        generation_config=config,
        requests=generation.requests,
        candidates=[
            _candidate(c, cid, task, config, scrubber)
            for c, cid in zip(generation.completions, ids, strict=True)
        ],
        summary=PackSummary(candidates=0, rankable=0, parse_status={}, apply_status={}),
        warnings=list(generation.warnings),
    )
    raw = raw.model_copy(update={"summary": _summary(raw.candidates)})
    findings = scan_pack(raw, task, scrubber)
    clean = CandidatePack.model_validate(scrubber.scrub_any(raw.model_dump(mode="json")))
    return clean.model_copy(update={"secret_findings": findings})


def scan_pack(pack: CandidatePack, task: LlmTask, scrubber: Scrubber) -> list[SecretFinding]:
    """Credentials in the serialized pack and task: pattern findings plus the exact key value."""
    return scan_texts(
        [
            (PACK_FILE, pack.model_dump_json(indent=2)),
            (TASK_FILE, task.model_dump_json(indent=2)),
        ],
        scrubber,
    )


def scan_texts(named: Sequence[tuple[str, str]], scrubber: Scrubber) -> list[SecretFinding]:
    """Credentials in each (file name, text): pattern findings plus the exact key value."""
    findings: list[SecretFinding] = []
    for name, text in named:
        findings.extend(pattern_findings(text, path=name))
        if scrubber.leaks(text):
            findings.extend(_key_findings(text, name, scrubber))
    return findings


def write_pack(
    pack: CandidatePack,
    task: LlmTask,
    out_dir: Path,
    *,
    scrubber: Scrubber,
    force: bool = False,
    overwrite: bool = False,
    command: Sequence[str] | None = None,
) -> Path:
    """Write the pack artifact (`pack.json`, `task.json`, manifest); see the module doc."""
    if pack.secret_findings and not force:
        kinds = ", ".join(sorted({f"{f.kind} ({f.redaction})" for f in pack.secret_findings}))
        raise SecretFoundError(
            f"the candidate pack held {len(pack.secret_findings)} credential(s): {kinds}; "
            "refusing to write it",
            remediation="Check where the credential came from (a completion, the before file); "
            "pass --force to write the pack with every credential redacted.",
        )
    clean_task = LlmTask.model_validate(scrubber.scrub_any(task.model_dump(mode="json")))
    pack_text = pack.model_dump_json(indent=2) + "\n"
    task_text = clean_task.model_dump_json(indent=2) + "\n"
    for text in (pack_text, task_text):
        if pattern_findings(text) or scrubber.leaks(text):
            raise SecretFoundError("a credential survived redaction; nothing was written")
    config = {"task_id": pack.task_id, "generation": pack.generation_config.model_dump(mode="json")}
    metadata = {
        "schema_version": pack.schema_version,
        "task_id": pack.task_id,
        "candidates": pack.summary.candidates,
        "rankable": pack.summary.rankable,
        "dry_run": pack.generator.dry_run,
        "secret_findings": len(pack.secret_findings),
    }
    with ArtifactWriter(
        out_dir,
        kind=PACK_KIND,
        config=config,
        overwrite=overwrite,
        command=command,
        metadata=metadata,
    ) as art:
        (art.path / PACK_FILE).write_text(pack_text, encoding="utf-8")
        (art.path / TASK_FILE).write_text(task_text, encoding="utf-8")
    return out_dir


def load_pack(pack_dir: Path) -> tuple[CandidatePack, LlmTask]:
    """Read a pack artifact written by `write_pack`."""
    pack = CandidatePack.model_validate_json((pack_dir / PACK_FILE).read_text(encoding="utf-8"))
    task = LlmTask.model_validate_json((pack_dir / TASK_FILE).read_text(encoding="utf-8"))
    return pack, task


def loaded_candidates(pack: CandidatePack, task: LlmTask) -> list[LoadedCandidate]:
    """The pack's candidates as the reranker takes them: rankable ones re-loaded from their
    (redacted) text, the others kept with their first error so they rank last and say why."""
    result = []
    for cand in pack.candidates:
        if cand.rankable:
            result.append(
                candidate_from_text(
                    cand.text,
                    before=task.before,
                    candidate_id=cand.candidate_id,
                    before_path=task.path,
                    kind=cand.kind,
                    origin=_origin(cand),
                )
            )
            continue
        record = CandidateRecord(
            candidate_id=cand.candidate_id,
            kind=cand.kind,
            origin=_origin(cand),
            text=cand.text,
            sha256=cand.text_sha256,
        )
        error = cand.errors[0] if cand.errors else _plain_error("not rankable")
        result.append(LoadedCandidate(record, None, cand.validity, error))
    return result


# --- one candidate --------------------------------------------------------------------------------


def _candidate(
    completion: Completion,
    cid: str,
    task: LlmTask,
    config: GenerationConfig,
    scrubber: Scrubber,
) -> PackCandidate:
    found = extract(completion.text, policy=config.output_policy, before=task.before)
    checked = _check(found.text, found.kind, found.error, cid, task, scrubber)
    loaded = checked.loaded
    after = loaded.after if loaded is not None else None
    validity = loaded.validity if loaded is not None else Validity(parses=False, applies=False)
    return PackCandidate(
        candidate_id=cid,
        label=completion.label,
        request_index=completion.request_index,
        choice_index=completion.choice_index,
        kind=found.kind,
        text=found.text,
        completion=completion.text,
        completion_sha256=_sha(completion.text),
        text_sha256=_sha(scrubber.scrub(found.text)),
        after_sha256=_sha(after) if after is not None else None,
        fenced=found.fenced,
        parse_status=checked.parse,
        apply_status=checked.apply,
        validity=validity,
        finish_reason=completion.finish_reason,
        completion_tokens=completion.completion_tokens,
        approx_tokens=approx_tokens(completion.text),
        rankable=not checked.errors and after is not None,
        errors=checked.errors,
        warnings=list(loaded.warnings) if loaded is not None else [],
    )


def _check(
    text: str,
    kind: CandidateKind,
    extract_error: CodeLeWMError | None,
    cid: str,
    task: LlmTask,
    scrubber: Scrubber,
) -> _Checked:
    """Parse/apply status of the redacted candidate text (what a reranker will see)."""
    if not text.strip():
        return _Checked(None, "empty", "not_attempted", [_empty_error()])
    if extract_error is not None:
        apply: ApplyStatus = (
            "off_target" if isinstance(extract_error, OffTargetError) else "not_attempted"
        )
        parse: ParseStatus = "parsed" if apply == "off_target" else "does_not_parse"
        return _Checked(None, parse, apply, [_error_record(extract_error)])
    loaded = candidate_from_text(
        scrubber.scrub(text), before=task.before, candidate_id=cid, before_path=task.path, kind=kind
    )
    if loaded.error is None:
        return _Checked(loaded, "parsed", "applied", [])
    statuses: dict[str, tuple[ParseStatus, ApplyStatus]] = {
        "MalformedPatchError": ("malformed", "not_attempted"),
        "CandidateRefusedError": ("malformed", "not_attempted"),
        "PatchRefusedError": ("parsed", "refused"),
        "HunkMismatchError": ("parsed", "mismatch"),
        "ParseFailureError": ("parsed" if kind == "patch" else "does_not_parse", "applied"),
    }
    parse, apply = statuses.get(loaded.error.error_type, ("malformed", "not_attempted"))
    if apply == "refused" and "not the before" in loaded.error.message:
        apply = "off_target"  # a diff of another file
    return _Checked(loaded, parse, apply, [loaded.error])


def _candidate_ids(completions: Sequence[Completion]) -> list[str]:
    width = max(2, len(str(len(completions))))
    return [
        f"c{i + 1:0{width}d}" + (f"-{c.label}" if c.label else "")
        for i, c in enumerate(completions)
    ]


def prompt_info(prompt: Prompt) -> PromptInfo:
    """What a pack records of the prompt it was made with."""
    return PromptInfo(
        template_id=prompt.template.template_id,
        template_sha256=prompt.template.sha256,
        prompt_sha256=prompt.sha256,
        approx_tokens=prompt.approx_tokens,
        preview=prompt.preview(),
        context_sha256=prompt.context_sha256,
        context_budget_tokens=prompt.budget_tokens,
        context=list(prompt.context),
    )


def _summary(candidates: Sequence[PackCandidate]) -> PackSummary:
    parse: dict[str, int] = {}
    apply: dict[str, int] = {}
    for cand in candidates:
        parse[cand.parse_status] = parse.get(cand.parse_status, 0) + 1
        apply[cand.apply_status] = apply.get(cand.apply_status, 0) + 1
    return PackSummary(
        candidates=len(candidates),
        rankable=sum(c.rankable for c in candidates),
        parse_status=dict(sorted(parse.items())),
        apply_status=dict(sorted(apply.items())),
    )


def _key_findings(text: str, path: str, scrubber: Scrubber) -> list[SecretFinding]:
    marked = scrubber.scrub(text)
    markers = {m for m in _markers(marked) if m.startswith("[REDACTED:api_key:")}
    return [
        SecretFinding(
            path=path,
            line=1,
            kind="api_key",
            detector="codelewm",
            sha256_prefix=m.split("sha256=")[1][:8],
            length=int(m.split("len=")[1].rstrip("]")),
            redaction=m,
        )
        for m in sorted(markers)
    ]


def _markers(text: str) -> list[str]:
    return _MARKER.findall(text)


def _origin(cand: PackCandidate) -> str:
    return f"llm:request{cand.request_index}:choice{cand.choice_index}"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _empty_error() -> ErrorRecord:
    return ErrorRecord(
        error_type="EmptyCompletionError",
        message="the model returned no candidate text",
        remediation="Raise max_tokens if the finish reason is 'length'; otherwise resample.",
        exit_code=2,
    )


def _plain_error(message: str) -> ErrorRecord:
    return ErrorRecord(
        error_type="InputError", message=message, remediation="Resample.", exit_code=2
    )


def _error_record(exc: CodeLeWMError) -> ErrorRecord:
    return ErrorRecord(
        error_type=exc.error_type,
        message=exc.message,
        remediation=exc.remediation,
        exit_code=int(exc.exit_code),
    )
