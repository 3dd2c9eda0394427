"""The HTTP API (FastAPI): score, rerank and index queries over a model loaded once at startup.

    POST /v1/score         ScoreRequest        -> codelewm.score.v1
    POST /v1/rerank        RerankRequest       -> codelewm.rerank.v1 (all candidates in one model call)
    POST /v1/index/query   IndexQueryRequest   -> codelewm.index_query.v1 (404 without an index)
    GET  /healthz                              -> {"status": "ok", ...}
    GET  /v1/model                             -> codelewm.model_info.v1 (with the limits in force)
    GET  /openapi.json                         -> the OpenAPI schema (committed as docs/openapi.json)

Every error is a `codelewm.error.v1` body: 400 malformed JSON or a refused input, 404 unknown route or
no index, 405 wrong method (with the `Allow` header), 408 a body that did not arrive within
`body_timeout_s` (the connection is closed), 413 body / before / instruction / a candidate / the
whole request over a character or token limit (the message names the limit; the body limit is
enforced before the body is parsed), 422 a body that does not validate (text that is not valid
Unicode included) or too many candidates, 503 too many requests waiting, 504 scoring took longer
than the request timeout, 500 anything else.
Nothing is executed unless the server was started with `--allow-execution` and a /v1/rerank body asks
(`execute`: "examples", or "generated" with the `generated_tests` set to run); else 403. The server
has no `--tests` path.

Concurrency, the slot kept for light requests and the deadline that stops timed-out work:
`server/pool.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from codelewm import __version__
from codelewm.artifacts.redact import redact
from codelewm.errors import CheckpointError, CodeLeWMError, DeadlineExceeded, ExitCode
from codelewm.records import (
    ErrorRecord,
    GeneratedTestSet,
    IndexQueryRecord,
    RerankRecord,
    ScoreRecord,
)
from codelewm.scoring.index import TransitionIndex, query_index
from codelewm.scoring.reranker import Reranker
from codelewm.scoring.world_model import WorldModelScorer
from codelewm.server.limits import BodyLimit, Refused, TokenBudget, check_query
from codelewm.server.pool import ScoringPool
from codelewm.server.schemas import (
    CandidateIn,
    Health,
    IndexQueryRequest,
    ModelInfo,
    RerankRequest,
    ScoreRequest,
    ServerLimits,
)

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorRecord, "description": text}
    for code, text in {
        400: "malformed JSON or refused input",
        403: "the request asks to execute code and the server was started without "
        "--allow-execution",
        408: "the body did not arrive within body_timeout_s",
        413: "body, before, instruction, a candidate or the request over a character or token "
        "limit (GET /v1/model lists them)",
        422: "body does not validate (text that is not valid Unicode too), or too many candidates",
        503: "too many requests waiting",
        504: "scoring took longer than the request timeout",
        500: "internal error",
    }.items()
}
_NO_INDEX: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorRecord, "description": "the server was started without --index"}
}
_STATUS_OF_EXIT = {ExitCode.BAD_INPUT: 400, ExitCode.PARSE_FAILURE: 422}


def create_app(
    reranker: Reranker,
    *,
    index: TransitionIndex | None = None,
    limits: ServerLimits | None = None,
    allow_execution: bool = False,
) -> FastAPI:
    """The FastAPI app over an already loaded `reranker` (and optional index). Nothing is executed
    unless `allow_execution` and a request asks for it (`execute` of /v1/rerank)."""
    scorer = reranker.scorer
    tokenizer = scorer.tokenizer if isinstance(scorer, WorldModelScorer) else None
    limits = limits or ServerLimits()
    if isinstance(scorer, WorldModelScorer):
        limits = limits.for_model(scorer.model.cfg.max_len)
    if index is not None and index.checkpoint_id != reranker.checkpoint_id:
        raise CheckpointError(
            f"index {index.index_id} was built with checkpoint {index.checkpoint_id}, "
            f"the server runs {reranker.checkpoint_id}: latents are not comparable",
            remediation="Serve the index's checkpoint, or rebuild the index with this one.",
        )
    pool = ScoringPool(limits, TokenBudget(limits, tokenizer))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()

    app = FastAPI(
        title="codelewm",
        version=__version__,
        summary="Score and rerank candidate patches with a world model of Python code edits.",
        lifespan=lifespan,
        responses=_ERRORS,
    )
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes, timeout_s=limits.body_timeout_s)
    _add_error_handlers(app)
    _add_routes(app, reranker, index, limits, pool, allow_execution)
    return app


def _add_routes(
    app: FastAPI,
    reranker: Reranker,
    index: TransitionIndex | None,
    limits: ServerLimits,
    pool: ScoringPool,
    allow_execution: bool,
) -> None:
    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        return Health(checkpoint_id=reranker.checkpoint_id, index_loaded=index is not None)

    @app.get("/v1/model", response_model=ModelInfo)
    async def model_info() -> ModelInfo:
        return ModelInfo(
            codelewm_version=__version__,
            checkpoint_id=reranker.checkpoint_id,
            checkpoint_sha256=reranker.checkpoint_sha256,
            details=reranker.info,
            baselines=list(reranker.baselines),
            index_id=index.index_id if index is not None else None,
            limits=limits,
        )

    @app.post("/v1/score", response_model=ScoreRecord)
    async def score(body: ScoreRequest) -> ScoreRecord:
        texts, ids = _candidates([body.candidate])
        chars = check_query(limits, body.before, body.instruction, texts)
        return await pool.run(
            lambda: reranker.score(
                body.before,
                body.instruction,
                texts[0],
                candidate_id=ids[0],
                before_path=body.before_path,
            ),
            before=body.before,
            candidates=texts,
            chars=chars,
        )

    @app.post("/v1/rerank", response_model=RerankRecord)
    async def rerank(body: RerankRequest) -> RerankRecord:
        if body.execute is not None and not allow_execution:
            raise Refused(
                403,
                "ExecutionNotAllowed",
                "this server does not execute code: the request asked for execute="
                f"{body.execute!r}",
                "Start the server with `codelewm serve --allow-execution` (candidates then run "
                "in the sandbox, only for requests that ask), or drop `execute`.",
            )
        generated = _generated_tests(body)
        texts, ids = _candidates(body.candidates)
        chars = check_query(limits, body.before, body.instruction, texts)

        def work() -> RerankRecord:
            record = reranker.rerank(
                body.before, body.instruction, texts, ids=ids, before_path=body.before_path
            )
            if body.execute == "examples":
                from codelewm.eval.executed import execute_examples

                record = execute_examples(
                    record,
                    before=body.before,
                    instruction=body.instruction,
                    calibrator=reranker.execution_calibrator,
                )
            if generated is not None:
                from codelewm.eval.codet import execute_generated

                record = execute_generated(record, generated)
            return record

        record = await pool.run(work, before=body.before, candidates=texts, chars=chars)
        if body.top is not None:
            record = record.model_copy(update={"results": record.results[: body.top]})
        return record

    @app.post("/v1/index/query", response_model=IndexQueryRecord, responses=_NO_INDEX)
    async def index_query(body: IndexQueryRequest) -> IndexQueryRecord:
        if index is None:
            raise Refused(
                404, "NoIndex", "this server has no index", "Start it with `--index DIR`."
            )
        texts = [body.candidate] if body.candidate else []
        chars = check_query(limits, body.before, body.instruction, texts)
        scorer = reranker.scorer
        if not isinstance(scorer, WorldModelScorer):
            raise Refused(500, "NoIndex", "the loaded scorer cannot embed index queries")
        return await pool.run(
            lambda: query_index(
                index,
                scorer,
                before=body.before,
                instruction=body.instruction,
                candidate=body.candidate,
                k=body.k,
            ),
            before=body.before,
            candidates=texts,
            chars=chars,
        )


def _generated_tests(body: RerankRequest) -> GeneratedTestSet | None:
    """The checked tests of an `execute: "generated"` request (400 without them or when a test
    is not an accepted assert or its checksum is off); None for other requests."""
    if body.execute != "generated":
        if body.generated_tests is not None:
            raise Refused(
                400,
                "InvalidRequest",
                "generated_tests are run only with execute='generated'",
                'Add "execute": "generated", or drop generated_tests.',
            )
        return None
    if body.generated_tests is None:
        raise Refused(
            400,
            "InvalidRequest",
            "execute='generated' needs generated_tests (a codelewm.generated_tests.v1 set)",
            "Send one line of the tests.jsonl that `codelewm llm tests` writes as generated_tests.",
        )
    from codelewm.eval.generated_io import check_test_set

    return check_test_set(body.generated_tests)


def _candidates(items: list[CandidateIn | str]) -> tuple[list[str], list[str | None]]:
    texts = [item if isinstance(item, str) else item.code for item in items]
    ids = [None if isinstance(item, str) else item.candidate_id for item in items]
    return texts, ids


def _error(
    status: int, record: ErrorRecord, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(status_code=status, content=record.model_dump(mode="json"), headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> JSONResponse:
        return _error(exc.status, exc.record())

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error(400, _record("MalformedJSON", "the body is not valid JSON", 400))
        shown = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors[:5]
        )
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        return _error(422, _record("InvalidRequest", f"{shown}{more}", 422))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        record = _record(name, str(exc.detail), exc.status_code)
        return _error(exc.status_code, record, exc.headers)  # a 405 keeps its Allow header

    @app.exception_handler(CodeLeWMError)
    async def library_error(_: Request, exc: CodeLeWMError) -> JSONResponse:
        status = (
            504 if isinstance(exc, DeadlineExceeded) else _STATUS_OF_EXIT.get(exc.exit_code, 500)
        )
        record = ErrorRecord(
            error_type=exc.error_type,
            message=redact(exc.message),
            remediation=redact(exc.remediation),
            exit_code=int(exc.exit_code),
        )
        return _error(status, record)

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        message = redact(f"internal error: {type(exc).__name__}: {exc}")
        return _error(500, _record("InternalError", message, 500))


def _record(error_type: str, message: str, status: int) -> ErrorRecord:
    remediation = {
        400: "Send a JSON body that matches the OpenAPI schema (GET /openapi.json).",
        422: "Fix the fields named in the message (schema: GET /openapi.json).",
        404: "See GET /openapi.json for the routes.",
        405: "See GET /openapi.json for the methods of each route.",
    }.get(status, "This is a bug in codelewm; please report it.")
    return ErrorRecord(error_type=error_type, message=message, remediation=remediation)
