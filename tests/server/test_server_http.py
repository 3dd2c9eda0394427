"""The HTTP API over real HTTP on loopback: every route, every refusal, bounded concurrency."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from codelewm.records import ErrorRecord, RerankRecord, ScoreRecord
from codelewm.scoring.reranker import Reranker
from codelewm.server import ServerLimits, create_app

LIMITS = ServerLimits(
    max_body_bytes=64 * 1024,
    max_candidates=8,
    max_candidate_chars=8 * 1024,
    max_before_chars=8 * 1024,
)


@pytest.fixture(scope="module")
def url(start_server: Callable[[FastAPI], str], reranker: Reranker) -> str:
    return start_server(create_app(reranker, limits=LIMITS))


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as c:
        yield c


def _error(response: httpx.Response, status: int, error_type: str) -> ErrorRecord:
    assert response.status_code == status, response.text
    record = ErrorRecord.model_validate(response.json())
    assert record.error_type == error_type and record.message and record.remediation
    return record


def _body(h: ModuleType, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"before": h.BEFORE, "instruction": h.INSTRUCTION}
    body.update(extra)
    return body


def test_healthz_and_model_info(client: httpx.Client, reranker: Reranker) -> None:
    health = client.get("/healthz").json()
    assert health == {
        "status": "ok",
        "checkpoint_id": reranker.checkpoint_id,
        "index_loaded": False,
    }
    info = client.get("/v1/model").json()
    assert info["schema_version"] == "codelewm.model_info.v1"
    assert info["checkpoint_sha256"] == reranker.checkpoint_sha256
    assert info["details"]["model_config"]["d_latent"] == 32
    assert info["details"]["calibrator"] is False
    assert info["baselines"] == ["lexical", "bm25", "no-action", "consensus", "validity"]
    assert info["limits"]["max_candidates"] == 8 and info["index_id"] is None


def test_score_matches_the_python_api(
    client: httpx.Client, reranker: Reranker, helpers: ModuleType
) -> None:
    response = client.post(
        "/v1/score",
        json=_body(helpers, candidate={"candidate_id": "fix", "code": helpers.GOOD_PATCH}),
    )
    assert response.status_code == 200, response.text
    record = ScoreRecord.model_validate(response.json())
    direct = reranker.score(
        helpers.BEFORE, helpers.INSTRUCTION, helpers.GOOD_PATCH, candidate_id="fix"
    )
    assert record == direct
    assert record.after_code == helpers.GOOD and record.rank == 1


def test_rerank_keeps_invalid_candidates_and_honours_top(
    client: httpx.Client, reranker: Reranker, helpers: ModuleType
) -> None:
    candidates = [
        {"candidate_id": "good", "code": helpers.GOOD},
        {"candidate_id": "wrong", "code": helpers.WRONG},
        helpers.GOOD_PATCH.replace("a/stats.py", "a/../../x.py").replace(
            "b/stats.py", "b/../../x.py"
        ),
        {"candidate_id": "broken", "code": "def f(:\n"},
    ]
    response = client.post("/v1/rerank", json=_body(helpers, candidates=candidates))
    assert response.status_code == 200, response.text
    record = RerankRecord.model_validate(response.json())
    assert [r.rank for r in record.results] == [1, 2, 3, 4]
    assert {r.candidate_id for r in record.results[:2]} == {"good", "wrong"}
    errors = [r.error.error_type for r in record.results[2:] if r.error]
    assert sorted(errors) == ["ParseFailureError", "PatchRefusedError"]
    texts = [c if isinstance(c, str) else c["code"] for c in candidates]
    ids = [None if isinstance(c, str) else c["candidate_id"] for c in candidates]
    assert record == reranker.rerank(helpers.BEFORE, helpers.INSTRUCTION, texts, ids=ids)
    top = client.post("/v1/rerank", json=_body(helpers, candidates=candidates, top=1)).json()
    assert [r["rank"] for r in top["results"]] == [1]


def test_before_path_makes_other_files_refused(client: httpx.Client, helpers: ModuleType) -> None:
    body = _body(helpers, candidate=helpers.GOOD_PATCH, before_path="src/other.py")
    record = ScoreRecord.model_validate(client.post("/v1/score", json=body).json())
    assert record.error is not None and record.error.error_type == "PatchRefusedError"


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/v1/rerank",
        content=b'{"before": "x", "instruction": ',
        headers={"content-type": "application/json"},
    )
    _error(response, 400, "MalformedJSON")


@pytest.mark.parametrize(
    "body",
    [
        {"instruction": "x", "candidates": ["y"]},
        {"before": "x", "instruction": "x", "candidates": []},
        {"before": "x", "instruction": "x", "candidates": ["y"], "surprise": 1},
        {"before": "x", "instruction": "x", "candidates": [{"code": "y", "id": "z"}]},
        {"before": 3, "instruction": "x", "candidates": ["y"]},
    ],
)
def test_invalid_bodies_are_422(client: httpx.Client, body: dict[str, Any]) -> None:
    _error(client.post("/v1/rerank", json=body), 422, "InvalidRequest")


def test_oversized_body_is_413_before_parsing(client: httpx.Client) -> None:
    junk = b"{" + b" " * (70 * 1024)  # not even JSON: refused on its size alone
    response = client.post("/v1/rerank", content=junk, headers={"content-type": "application/json"})
    record = _error(response, 413, "PayloadTooLarge")
    assert "65,536" in record.message


def test_oversized_chunked_body_is_413(url: str) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 8192

    response = httpx.post(f"{url}/v1/rerank", content=chunks(), timeout=30)
    _error(response, 413, "PayloadTooLarge")


def test_candidate_limits(client: httpx.Client, helpers: ModuleType) -> None:
    many = _body(helpers, candidates=[helpers.GOOD] * 9)
    _error(client.post("/v1/rerank", json=many), 422, "TooManyCandidates")
    big = _body(helpers, candidates=["x = 1\n" * 2000])
    _error(client.post("/v1/rerank", json=big), 413, "CandidateTooLarge")
    before = {"before": "x = 1\n" * 2000, "instruction": "x", "candidates": ["y = 2\n"]}
    _error(client.post("/v1/rerank", json=before), 413, "BeforeTooLarge")


def test_unknown_routes_and_methods(client: httpx.Client) -> None:
    _error(client.get("/v1/nothing"), 404, "NotFound")
    _error(client.get("/v1/rerank"), 405, "MethodNotAllowed")


def test_index_query_without_an_index_is_404(client: httpx.Client, helpers: ModuleType) -> None:
    _error(client.post("/v1/index/query", json=_body(helpers)), 404, "NoIndex")


def test_timeout_is_504(
    start_server: Callable[[FastAPI], str], reranker: Reranker, helpers: ModuleType
) -> None:
    url = start_server(create_app(reranker, limits=ServerLimits(request_timeout_s=1e-6)))
    response = httpx.post(
        f"{url}/v1/rerank", json=_body(helpers, candidates=[helpers.GOOD]), timeout=30
    )
    _error(response, 504, "Timeout")


class _Gauge:
    """Counts concurrent calls into the real reranker (a spy; scoring itself is untouched)."""

    def __init__(self, reranker: Reranker) -> None:
        self.original = reranker.rerank  # bound before the spy replaces it
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.calls = 0
        self.gate = threading.Event()

    def rerank(self, *args: Any, **kwargs: Any) -> RerankRecord:
        with self.lock:
            self.now += 1
            self.calls += 1
            self.peak = max(self.peak, self.now)
        try:
            self.gate.wait(timeout=180)
            return self.original(*args, **kwargs)
        finally:
            with self.lock:
                self.now -= 1


def test_concurrent_requests_are_bounded(
    start_server: Callable[[FastAPI], str],
    reranker: Reranker,
    helpers: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gauge = _Gauge(reranker)
    app = create_app(reranker, limits=ServerLimits(max_concurrency=2, max_queue=3))
    url = start_server(app)
    monkeypatch.setattr(reranker, "rerank", gauge.rerank)
    body = _body(helpers, candidates=[helpers.GOOD, helpers.WRONG])

    def post(_: int) -> httpx.Response:
        return httpx.post(f"{url}/v1/rerank", json=body, timeout=30)

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(post, i) for i in range(8)]
        deadline = time.monotonic() + 180  # generous: a loaded CI machine may start threads late
        # the three refused requests come back at once; the other five are running or queued
        while sum(f.done() for f in futures) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sum(f.done() for f in futures) == 3
        assert gauge.now == 2
        gauge.gate.set()
        responses = [f.result() for f in futures]
    codes = sorted(r.status_code for r in responses)
    assert gauge.peak == 2  # never more than max_concurrency in flight
    assert codes.count(200) == 5 and codes.count(503) == 3  # 2 running + 3 queued; 3 refused
    assert gauge.calls == 5
    for response in responses:
        if response.status_code == 503:
            _error(response, 503, "ServerBusy")
        else:
            assert json.loads(response.text)["schema_version"] == "codelewm.rerank.v1"


def test_index_server(
    start_server: Callable[[FastAPI], str],
    reranker: Reranker,
    checkpoint: Path,
    helpers: ModuleType,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from codelewm.scoring.index import build_index, load_index
    from codelewm.scoring.world_model import WorldModelScorer

    root = tmp_path_factory.mktemp("srv-index")
    data = helpers.build_tiny_dataset(root / "data")
    assert isinstance(reranker.scorer, WorldModelScorer)
    build_index(reranker.scorer, checkpoint=checkpoint, dataset=data, out=root / "index")
    url = start_server(create_app(reranker, index=load_index(root / "index")))
    body = _body(helpers, candidate=helpers.GOOD, k=2)
    response = httpx.post(f"{url}/v1/index/query", json=body, timeout=30)
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["schema_version"] == "codelewm.index_query.v1" and record["query"] == "candidate"
    assert record["hits"][0]["transition_id"] == "fix-window"
    assert httpx.get(f"{url}/healthz").json()["index_loaded"] is True


def test_an_index_of_another_checkpoint_is_refused_at_startup(
    reranker: Reranker, helpers: ModuleType, tmp_path: Path
) -> None:
    from codelewm.errors import CheckpointError
    from codelewm.scoring.index import build_index, load_index
    from codelewm.scoring.load import load_scorer

    other = load_scorer(helpers.build_tiny_checkpoint(tmp_path / "other", seed=5))
    data = helpers.build_tiny_dataset(tmp_path / "data")
    scorer = other.scorer
    from codelewm.scoring.world_model import WorldModelScorer

    assert isinstance(scorer, WorldModelScorer)
    build_index(scorer, checkpoint=tmp_path / "other", dataset=data, out=tmp_path / "index")
    with pytest.raises(CheckpointError, match="not comparable"):
        create_app(reranker, index=load_index(tmp_path / "index"))


def test_timeouts_while_queued_do_not_leak_slots(
    start_server: Callable[[FastAPI], str],
    reranker: Reranker,
    helpers: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gauge = _Gauge(reranker)
    limits = ServerLimits(max_concurrency=1, max_queue=4, request_timeout_s=3.0)
    url = start_server(create_app(reranker, limits=limits))
    monkeypatch.setattr(reranker, "rerank", gauge.rerank)
    body = _body(helpers, candidates=[helpers.GOOD])

    def post(_: int) -> httpx.Response:
        return httpx.post(f"{url}/v1/rerank", json=body, timeout=30)

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(post, 0)
        deadline = time.monotonic() + 20
        while gauge.now < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        second = pool.submit(post, 1)
        running, queued = first.result(), second.result()  # both time out: the gate is shut
    assert "(scoring)" in _error(running, 504, "Timeout").message
    assert "(waiting for a free slot)" in _error(queued, 504, "Timeout").message
    assert gauge.calls == 1  # the queued request never reached the model
    gauge.gate.set()  # the first call finishes and gives its slot back
    after = httpx.post(f"{url}/v1/rerank", json=body, timeout=30)
    assert after.status_code == 200, after.text
    assert gauge.peak == 1
