"""Request and response bodies of the HTTP API, and the server's limits.

Responses reuse the records (`codelewm.score.v1`, `codelewm.rerank.v1`, `codelewm.index_query.v1`,
`codelewm.error.v1`); only requests, the model facts and the limits are defined here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ServerLimits(BaseModel):
    """What one request may ask for; over a limit the request is refused before any scoring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="413 before the body is parsed"
    )
    max_candidates: int = Field(default=64, ge=1, description="422 above this many candidates")
    max_candidate_bytes: int = Field(
        default=256 * 1024, ge=64, description="413 when one candidate is larger (UTF-8)"
    )
    max_before_bytes: int = Field(default=512 * 1024, ge=64, description="413 for a larger before")
    request_timeout_s: float = Field(
        default=30.0, gt=0, description="504 when scoring takes longer (queueing included)"
    )
    max_concurrency: int = Field(
        default=2, ge=1, description="requests scored at the same time (threads)"
    )
    max_queue: int = Field(
        default=16, ge=0, description="requests waiting for a slot; 503 beyond this"
    )


class CandidateIn(BaseModel):
    """One candidate: a full after-state or a unified diff against the before."""

    model_config = ConfigDict(extra="forbid")

    candidate_id: str | None = Field(default=None, min_length=1, max_length=200)
    code: str = Field(description="full candidate code, or a unified diff against `before`")


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    before: str = Field(description="the code the candidates edit")
    instruction: str | None = Field(description="null = no instruction (the null action)")
    before_path: str | None = Field(
        default=None,
        max_length=4096,
        description="the before's file name; when given, diffs must name this file",
    )


class ScoreRequest(_Query):
    """`POST /v1/score`."""

    candidate: CandidateIn | str


class RerankRequest(_Query):
    """`POST /v1/rerank`: all candidates are scored by the model together."""

    candidates: list[CandidateIn | str] = Field(min_length=1)
    top: int | None = Field(default=None, ge=1, description="return only the best `top`")


class IndexQueryRequest(_Query):
    """`POST /v1/index/query`: past edits like the predicted (or the given candidate's) edit."""

    candidate: str | None = None
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
