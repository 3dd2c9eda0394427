"""Request limits: the body middleware (size and arrival time, before parsing), the character checks
(on the event loop, before queueing) and the token checks (with the served model's tokenizer)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codelewm.checkpoint.tokenizer import CodeTokenizer
from codelewm.records import ErrorRecord
from codelewm.scoring.inputs import lone_surrogate
from codelewm.server.schemas import ServerLimits


class Refused(Exception):
    """A request refused with an HTTP status and a `codelewm.error.v1` body."""

    def __init__(
        self, status: int, error_type: str, message: str, remediation: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.remediation = remediation or "See the limits in GET /v1/model."

    def record(self) -> ErrorRecord:
        return ErrorRecord(
            error_type=self.error_type, message=self.message, remediation=self.remediation
        )


def check_query(
    limits: ServerLimits, before: str, instruction: str | None, candidates: Sequence[str]
) -> int:
    """413 / 422 when a text or the candidate count is over the limits; returns the request's size in
    characters. Only lengths are read: this runs on the event loop, before any queueing."""
    if len(candidates) > limits.max_candidates:
        raise Refused(
            422,
            "TooManyCandidates",
            f"{len(candidates)} candidates, over the limit of {limits.max_candidates}",
            "Split the candidates over several requests.",
        )
    _check_chars("BeforeTooLarge", "before", len(before), limits.max_before_chars)
    _check_chars(
        "InstructionTooLarge", "instruction", len(instruction or ""), limits.max_instruction_chars
    )
    for position, text in enumerate(candidates):
        _check_chars(
            "CandidateTooLarge", f"candidate {position}", len(text), limits.max_candidate_chars
        )
    total = len(before) + len(instruction or "") + sum(map(len, candidates))
    _check_chars("RequestTooLarge", "the request (before + instruction + candidates)", total,
                 limits.max_request_chars)  # fmt: skip
    return total


def _check_chars(error_type: str, what: str, size: int, limit: int) -> None:
    if size > limit:
        raise Refused(
            413,
            error_type,
            f"{what} is {size:,} characters, over the limit of {limit:,}",
            "Send less text per request (limits: GET /v1/model); rerank the function being "
            "edited, not the module.",
        )


class TokenBudget:
    """Counts tokens with the served model's tokenizer and refuses (413) what is over the token limits.

    `measure` returns the request's alignment cost: before tokens x the sum of candidate tokens.
    """

    def __init__(self, limits: ServerLimits, tokenizer: CodeTokenizer | None) -> None:
        self.limits = limits
        self.tokenizer = tokenizer

    def measure(self, before: str, candidates: Sequence[str]) -> int:
        if self.tokenizer is None:  # a scorer without a tokenizer: only the character limits
            return 0
        texts = [_countable(text) for text in (before, *candidates)]
        counts = [len(ids) for ids in self.tokenizer.encode_batch(texts)]
        per_text = self.limits.max_text_tokens
        per_request = self.limits.max_request_tokens
        for position, count in enumerate(counts):
            what = "before" if position == 0 else f"candidate {position - 1}"
            if per_text is not None and count > per_text:
                raise Refused(
                    413,
                    "TooManyTokens",
                    f"{what} is {count:,} tokens, over the limit of {per_text:,}",
                    "Send the function being edited, not the module (the model reads "
                    "a window of each text; limits: GET /v1/model).",
                )
        if per_request is not None and sum(counts) > per_request:
            raise Refused(
                413,
                "TooManyTokens",
                f"before + candidates are {sum(counts):,} tokens, over the limit of {per_request:,}",
                "Split the candidates over several requests (limits: GET /v1/model).",
            )
        return counts[0] * sum(counts[1:])


def _countable(text: str) -> str:
    """`text`, or, when it holds a lone surrogate (a candidate that will be refused as not UTF-8),
    the same text with U+FFFD in its place: the tokenizer takes valid Unicode only."""
    if lone_surrogate(text) is None:
        return text
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


class BodyLimit:
    """Pure ASGI middleware: a POST body over `max_bytes` gets 413 before anything parses it, and one
    that has not fully arrived within `timeout_s` gets 408 and the connection closed.

    A declared Content-Length over the limit is refused without reading the body; a chunked body is
    read up to the limit and refused as soon as it passes it. A Content-Length larger than what the
    client sends would otherwise hold the connection open for as long as the client likes. Bodies
    under the limit are replayed to the app unchanged.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await _send(send, 400, "MalformedRequest", "Content-Length is not a number")
                return
            if length > self.max_bytes:
                await _send(send, 413, "PayloadTooLarge", self._too_large(length))
                return
        body = bytearray()
        try:
            async with asyncio.timeout(self.timeout_s):
                complete = await self._read(receive, body)
        except TimeoutError:
            # a Content-Length larger than what is sent, or a trickle: answer and close
            message = (
                f"the request body did not arrive within {self.timeout_s:g} s "
                f"({len(body):,} bytes received"
                + (f" of {int(declared):,} declared)" if declared is not None else ")")
            )
            await _send(send, 408, "BodyTimeout", message)
            return
        if complete is None:
            return  # the client went away
        if not complete:
            await _send(send, 413, "PayloadTooLarge", self._too_large(len(body), at_least=True))
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _read(self, receive: Receive, body: bytearray) -> bool | None:
        """Read the body into `body`: True when complete, False when over the limit, None when the
        client disconnected."""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                return False
            if not message.get("more_body", False):
                return True

    def _too_large(self, size: int, *, at_least: bool = False) -> str:
        return (
            f"request body is {'over ' if at_least else ''}{size:,} bytes; "
            f"the limit is {self.max_bytes:,}"
        )


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send(send: Send, status: int, error_type: str, message: str) -> None:
    record = ErrorRecord(
        error_type=error_type,
        message=message,
        remediation="Send a smaller body (see the limits in GET /v1/model).",
    )
    payload = json.dumps(record.model_dump(mode="json")).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
