"""Issue 13's attacks on the unauthenticated server: bounded work, timed-out work that stops, a slot
kept for light requests, bodies that never arrive, text that is not valid Unicode."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from fastapi import FastAPI

from codelewm.records import ErrorRecord, RerankRecord
from codelewm.scoring import world_model
from codelewm.scoring.reranker import Reranker
from codelewm.server import ServerLimits, create_app


def _error(response: httpx.Response, status: int, error_type: str) -> ErrorRecord:
    assert response.status_code == status, response.text
    record = ErrorRecord.model_validate(response.json())
    assert record.error_type == error_type and record.message and record.remediation
    return record


def _body(h: ModuleType, tag: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"before": h.BEFORE + f"# {tag}\n", "instruction": h.INSTRUCTION}
    body.setdefault("candidates", [h.GOOD + f"# {tag}\n", h.WRONG + f"# {tag}\n"])
    body.update(extra)
    return body


@pytest.fixture(scope="module")
def url(start_server: Callable[[FastAPI], str], reranker: Reranker) -> str:
    return start_server(create_app(reranker))  # the default limits


# --- bounded work -----------------------------------------------------------------------------


def test_the_issue_attack_request_is_refused_at_once(url: str, helpers: ModuleType) -> None:
    block = ("def f(x):\n    return x + 1\n" * 9000)[:250_000]
    body = _body(helpers, "attack", candidates=[f"# {i}\n{block}" for i in range(15)])
    start = time.perf_counter()
    response = httpx.post(f"{url}/v1/rerank", json=body, timeout=60)
    record = _error(response, 413, "CandidateTooLarge")
    assert time.perf_counter() - start < 5  # it waited 26-31 s and got a 504 before the limits
    assert "over the limit of 65,536" in record.message and "GET /v1/model" in record.remediation


def test_limits_are_published_with_the_token_limits_of_the_model(url: str) -> None:
    limits = httpx.get(f"{url}/v1/model", timeout=30).json()["limits"]
    assert limits["max_text_tokens"] == 64 * 64  # the tiny test model reads max_len 64
    assert limits["max_request_tokens"] == 8 * 64 * 64
    assert limits["max_candidate_chars"] == 65_536 and limits["max_request_chars"] == 262_144
    assert limits["max_instruction_chars"] == 4096 and limits["body_timeout_s"] == 10.0


@pytest.mark.parametrize(
    ("edit", "error_type", "limit"),
    [
        ({"instruction": "x" * 4097}, "InstructionTooLarge", "4,096"),
        ({"before": "x = 1\n" * 11_000}, "BeforeTooLarge", "65,536"),
        ({"candidates": ["y = 2\n" * 10_000] * 5}, "RequestTooLarge", "262,144"),
    ],
)
def test_character_limits_say_the_limit(
    url: str, helpers: ModuleType, edit: dict[str, Any], error_type: str, limit: str
) -> None:
    response = httpx.post(f"{url}/v1/rerank", json=_body(helpers, "chars", **edit), timeout=30)
    assert f"over the limit of {limit}" in _error(response, 413, error_type).message


def test_token_limits_say_the_limit(
    start_server: Callable[[FastAPI], str], reranker: Reranker, helpers: ModuleType
) -> None:
    limits = ServerLimits(max_text_tokens=400, max_request_tokens=700, light_request_chars=0)
    url = start_server(create_app(reranker, limits=limits))
    long_text = helpers.GOOD * 8  # ~2,000 tokens of the tiny tokenizer (the before: ~270)
    one = httpx.post(f"{url}/v1/rerank", json=_body(helpers, "t", candidates=[long_text]))
    assert "candidate 0 is" in _error(one, 413, "TooManyTokens").message
    many = _body(helpers, "t", candidates=[helpers.GOOD] * 4)
    record = _error(httpx.post(f"{url}/v1/rerank", json=many, timeout=30), 413, "TooManyTokens")
    assert "over the limit of 700" in record.message
    assert httpx.get(f"{url}/v1/model").json()["limits"]["max_text_tokens"] == 400


# --- timed-out work stops and gives its slot back ---------------------------------------------


def test_a_timed_out_request_stops_its_work_and_frees_its_slot(
    start_server: Callable[[FastAPI], str],
    reranker: Reranker,
    helpers: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = world_model.candidate_input
    aligned: list[float] = []

    def slow(*args: Any, **kwargs: Any) -> Any:  # each alignment takes 0.1 s: 40 take 4 s
        aligned.append(time.monotonic())
        time.sleep(0.1)
        return real(*args, **kwargs)

    monkeypatch.setattr(world_model, "candidate_input", slow)
    limits = ServerLimits(max_concurrency=1, request_timeout_s=1.0, max_queue=4)
    url = start_server(create_app(reranker, limits=limits))
    heavy = _body(helpers, "slow", candidates=[helpers.GOOD + f"# {i}\n" for i in range(40)])
    start = time.monotonic()
    _error(httpx.post(f"{url}/v1/rerank", json=heavy, timeout=30), 504, "Timeout")
    after = httpx.post(f"{url}/v1/rerank", json=_body(helpers, "after"), timeout=30)
    assert after.status_code == 200, after.text  # the slot came back: the work stopped
    answered = time.monotonic() - start
    heavy_alignments = [t for t in aligned if t < start + 1.5]
    assert len(heavy_alignments) <= 15, len(heavy_alignments)  # not all 40 (4 s of work)
    assert answered < 3.5, answered  # without the deadline: >= 4 s (the whole heavy call)


# --- a slot for light requests ----------------------------------------------------------------


class _HeavyGate:
    """Holds every rerank of more than two candidates (the heavy ones) until released."""

    def __init__(self, reranker: Reranker) -> None:
        self.original = reranker.rerank
        self.lock = threading.Lock()
        self.heavy_now = 0
        self.heavy_peak = 0
        self.gate = threading.Event()

    def rerank(self, before: str, instruction: str | None, candidates: Any, **kw: Any) -> Any:
        heavy = len(candidates) > 2
        if heavy:
            with self.lock:
                self.heavy_now += 1
                self.heavy_peak = max(self.heavy_peak, self.heavy_now)
            self.gate.wait(timeout=60)
        try:
            return self.original(before, instruction, candidates, **kw)
        finally:
            if heavy:
                with self.lock:
                    self.heavy_now -= 1


def test_a_light_request_is_answered_while_heavy_ones_hold_the_other_slots(
    start_server: Callable[[FastAPI], str],
    reranker: Reranker,
    helpers: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = _HeavyGate(reranker)
    limits = ServerLimits(max_concurrency=2, light_request_chars=2000, request_timeout_s=60)
    url = start_server(create_app(reranker, limits=limits))
    monkeypatch.setattr(reranker, "rerank", gate.rerank)
    heavy = _body(helpers, "h", candidates=[helpers.GOOD + f"# {i}\n" for i in range(6)])

    with ThreadPoolExecutor(max_workers=3) as pool:
        post = f"{url}/v1/rerank"
        heavies = [pool.submit(httpx.post, post, json=heavy, timeout=90) for _ in range(2)]
        deadline = time.monotonic() + 30
        while gate.heavy_now < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # the second heavy request is queued by now
        start = time.perf_counter()
        light = httpx.post(f"{url}/v1/rerank", json=_body(helpers, "light"), timeout=30)
        light_s = time.perf_counter() - start
        assert light.status_code == 200, light.text
        assert all(not f.done() for f in heavies)  # both heavy ones still held
        gate.gate.set()
        assert [f.result().status_code for f in heavies] == [200, 200]
    assert light_s < 5, light_s
    assert gate.heavy_peak == 1  # heavy requests get max_concurrency - 1 slots


# --- bodies that never arrive ---------------------------------------------------------------


def _connect(url: str) -> socket.socket:
    parts = urlparse(url)
    return socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=30)


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(lines[0].split()[1]), headers, rest[:length]


def _post(path: str, body: bytes, *, length: int | None = None) -> bytes:
    size = len(body) if length is None else length
    head = (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {size}\r\n\r\n"
    )
    return head.encode() + body


def test_a_body_shorter_than_its_content_length_is_dropped_within_the_timeout(
    start_server: Callable[[FastAPI], str], reranker: Reranker
) -> None:
    url = start_server(create_app(reranker, limits=ServerLimits(body_timeout_s=1.0)))
    with _connect(url) as sock:
        start = time.monotonic()
        sock.sendall(_post("/v1/rerank", b'{"before": "x"', length=1000))
        status, headers, body = _read_response(sock)
        waited = time.monotonic() - start
        assert status == 408 and headers.get("connection") == "close"
        record = ErrorRecord.model_validate(json.loads(body))
        assert record.error_type == "BodyTimeout" and "14 bytes received of 1,000" in record.message
        assert sock.recv(1024) == b""  # and the connection is closed, not held
    assert 0.9 < waited < 5, waited  # was held >= 20 s (until the client gave up)


# --- text that is not valid Unicode -----------------------------------------------------------

LONE = "\\ud800"  # as JSON text: json.loads makes it a str holding a lone surrogate


@pytest.mark.parametrize("field", ["before", "instruction", "before_path", "candidate_id"])
def test_a_lone_surrogate_is_422_and_the_connection_survives(
    url: str, helpers: ModuleType, field: str
) -> None:
    body = _body(helpers, f"lone-{field}", before_path="stats.py")
    if field == "candidate_id":
        body["candidates"] = [{"candidate_id": "PLACEHOLDER", "code": helpers.GOOD}]
        text = json.dumps(body).replace('"PLACEHOLDER"', f'"a{LONE}"')
    else:
        body[field] = body[field] + "PLACEHOLDER"
        text = json.dumps(body).replace("PLACEHOLDER", LONE)
    with _connect(url) as sock:
        sock.sendall(_post("/v1/rerank", text.encode()))
        status, _, raw = _read_response(sock)
        assert status == 422, raw
        record = ErrorRecord.model_validate(json.loads(raw))
        assert record.error_type == "InvalidRequest" and "lone surrogate" in record.message
        assert field in record.message
        good = json.dumps(_body(helpers, f"after-{field}")).encode()
        sock.sendall(_post("/v1/rerank", good))  # same keep-alive connection: still open
        status, _, raw = _read_response(sock)
        assert status == 200, raw
    # it was a 500 with a traceback and a reset connection


def test_a_lone_surrogate_in_candidate_code_keeps_the_candidate_refused(
    url: str, helpers: ModuleType
) -> None:
    body = _body(helpers, "lone-code", candidates=[helpers.GOOD, "PLACEHOLDER"])
    text = json.dumps(body).replace('"PLACEHOLDER"', f'"x = 1{LONE}\\n"')
    response = httpx.post(
        f"{url}/v1/rerank",
        content=text.encode(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    record = RerankRecord.model_validate(response.json())
    errors = [r.error.error_type for r in record.results if r.error is not None]
    assert errors == ["CandidateRefusedError"]
