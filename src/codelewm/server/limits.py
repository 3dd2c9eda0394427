"""Request limits: the body-size middleware (before parsing) and the per-field checks (before scoring)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codelewm.records import ErrorRecord
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


def check_query(limits: ServerLimits, before: str, candidates: Sequence[str]) -> None:
    """413 / 422 when the before, a candidate or the candidate count is over the limits."""
    if len(candidates) > limits.max_candidates:
        raise Refused(
            422,
            "TooManyCandidates",
            f"{len(candidates)} candidates, over the limit of {limits.max_candidates}",
            "Split the candidates over several requests.",
        )
    size = len(before.encode("utf-8", "surrogatepass"))
    if size > limits.max_before_bytes:
        raise Refused(
            413, "BeforeTooLarge", f"before is {size:,} bytes, over {limits.max_before_bytes:,}"
        )
    for position, text in enumerate(candidates):
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > limits.max_candidate_bytes:
            raise Refused(
                413,
                "CandidateTooLarge",
                f"candidate {position} is {size:,} bytes, over {limits.max_candidate_bytes:,}",
            )


class BodyLimit:
    """Pure ASGI middleware: a POST body over `max_bytes` gets 413 before anything parses it.

    A declared Content-Length over the limit is refused without reading the body; a chunked body is
    read up to the limit and refused as soon as it passes it. Bodies under the limit are replayed to
    the app unchanged.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

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
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await _send(send, 413, "PayloadTooLarge", self._too_large(len(body), at_least=True))
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

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
