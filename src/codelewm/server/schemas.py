"""Request and response bodies of the HTTP API, and the server's limits.

Responses reuse the records (`codelewm.score.v1`, `codelewm.rerank.v1`, `codelewm.index_query.v1`,
`codelewm.error.v1`); only requests, the model facts and the limits are defined here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from codelewm.records import GeneratedTestSet
from codelewm.scoring.inputs import lone_surrogate


def _valid_unicode(value: str) -> str:
    position = lone_surrogate(value)
    if position is not None:
        raise ValueError(f"not valid Unicode: a lone surrogate at character {position}")
    return value


# A JSON string may escape a lone surrogate ("\ud800"): it parses, but it is not text (the tokenizer
# and the response encoder refuse it), so every field that is not candidate code refuses it with 422.
# Candidate code keeps it: the candidate is kept and refused (not valid UTF-8), as a file would be.
Text = Annotated[str, AfterValidator(_valid_unicode)]


class ServerLimits(BaseModel):
    """What one request may ask for; over a limit the request is refused before any scoring.

    Sizes are characters of the JSON strings as sent (a diff is counted as sent; its after-state
    differs from the before by at most the diff). Token limits are counted with the served model's
    tokenizer; None = derived from the checkpoint when the app is created (GET /v1/model shows the
    values in force). The model itself reads only `max_len` tokens of the before and a `max_len`
    window of each candidate, but aligning a candidate against the before and the static checks read
    the whole text, and the alignment's cost grows with before tokens x candidate tokens.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="413 before the body is parsed"
    )
    max_candidates: int = Field(default=64, ge=1, description="422 above this many candidates")
    max_candidate_chars: int = Field(
        default=65_536, ge=64, description="413 when one candidate (code or diff) is longer"
    )
    max_before_chars: int = Field(default=65_536, ge=64, description="413 for a longer before")
    max_instruction_chars: int = Field(
        default=4096, ge=16, description="413 for a longer instruction (the model reads 48 tokens)"
    )
    max_request_chars: int = Field(
        default=262_144, ge=64, description="413 when before + instruction + candidates are longer"
    )
    max_text_tokens: int | None = Field(
        default=None,
        ge=16,
        description="413 when the before or one candidate is more tokens; "
        "None = min(8192, 64 x the model's max_len)",
    )
    max_request_tokens: int | None = Field(
        default=None,
        ge=16,
        description="413 when before + candidates are more tokens; None = 8 x max_text_tokens",
    )
    light_request_chars: int = Field(
        default=65_536,
        ge=0,
        description="a request this short whose before tokens x candidate tokens is at most "
        "light_request_cost is light: one scoring slot is kept for light requests",
    )
    light_request_cost: int = Field(default=1 << 25, ge=0, description="see light_request_chars")
    request_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="504 when scoring takes longer (queueing included); the work stops too",
    )
    body_timeout_s: float = Field(
        default=10.0, gt=0, description="408 and the connection closed when the body is slower"
    )
    max_concurrency: int = Field(
        default=2,
        ge=1,
        description="requests scored at the same time (threads); heavy requests get at most "
        "max_concurrency - 1 of them when it is 2 or more",
    )
    max_queue: int = Field(
        default=16, ge=0, description="requests waiting for a slot; 503 beyond this"
    )

    def for_model(self, max_len: int) -> ServerLimits:
        """These limits with the token limits left at None derived from the model's `max_len`."""
        text = self.max_text_tokens or min(8192, 64 * max_len)
        request = self.max_request_tokens or 8 * text
        return self.model_copy(update={"max_text_tokens": text, "max_request_tokens": request})


class CandidateIn(BaseModel):
    """One candidate: a full after-state or a unified diff against the before."""

    model_config = ConfigDict(extra="forbid")

    candidate_id: Text | None = Field(default=None, min_length=1, max_length=200)
    code: str = Field(description="full candidate code, or a unified diff against `before`")


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    before: Text = Field(description="the code the candidates edit")
    instruction: Text | None = Field(description="null = no instruction (the null action)")
    before_path: Text | None = Field(
        default=None,
        max_length=4096,
        description="the before's file name; when given, diffs must name this file",
    )


class ScoreRequest(_Query):
    """`POST /v1/score`."""

    candidate: CandidateIn | str


class RerankRequest(_Query):
    """`POST /v1/rerank`: all candidates are scored by the model together."""

    # generated_tests only with execute='generated': said in the schema itself, so a client (and a
    # schema fuzzer) can see that the combination is invalid before the server answers 400
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {
                "required": ["generated_tests"],
                "properties": {"generated_tests": {"not": {"type": "null"}}},
            },
            "then": {"required": ["execute"], "properties": {"execute": {"const": "generated"}}},
        },
    )

    candidates: list[CandidateIn | str] = Field(min_length=1)
    top: int | None = Field(default=None, ge=1, description="return only the best `top`")
    execute: Literal["examples", "generated"] | None = Field(
        default=None,
        description="OPT-IN EXECUTION: run the valid candidates in the sandbox against the examples "
        "the instruction and the before's docstrings give ('examples', ranked by the fraction "
        "passed) or against `generated_tests` ('generated', ranked by CodeT dual agreement); only "
        "on a server started with --allow-execution (else 403)",
    )
    generated_tests: GeneratedTestSet | None = Field(
        default=None,
        description="with execute='generated': one codelewm.generated_tests.v1 set (a line of the "
        "tests.jsonl that `codelewm llm tests` writes); its checksums and asserts are checked",
    )


class IndexQueryRequest(_Query):
    """`POST /v1/index/query`: past edits like the predicted (or the given candidate's) edit."""

    candidate: Text | None = None
    k: int = Field(default=5, ge=1, le=100)


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    checkpoint_id: str
    index_loaded: bool


class ModelInfo(BaseModel):
    """`GET /v1/model` (`codelewm.model_info.v1`)."""

    schema_version: Literal["codelewm.model_info.v1"] = "codelewm.model_info.v1"
    codelewm_version: str
    checkpoint_id: str
    checkpoint_sha256: str
    details: dict[str, Any] = Field(description="checkpoint path, device, model config, ...")
    baselines: list[str]
    index_id: str | None
    limits: ServerLimits
