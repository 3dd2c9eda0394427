"""Execution over HTTP is opt-in twice: the server must allow it and the request must ask."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI

from codelewm.scoring.reranker import Reranker
from codelewm.server import create_app

DOUBLE = 'def double(x):\n    """Twice x.\n\n    >>> double(3)\n    6\n    """\n    return x\n'
BODY = {
    "before": DOUBLE,
    "instruction": "double it",
    "candidates": [
        {"candidate_id": "wrong", "code": DOUBLE.replace("return x", "return x + 2")},
        {"candidate_id": "right", "code": DOUBLE.replace("return x", "return 2 * x")},
    ],
}


def test_a_server_without_the_switch_answers_403(
    reranker: Reranker, start_server: Callable[[FastAPI], str]
) -> None:
    url = start_server(create_app(reranker))
    refused = httpx.post(f"{url}/v1/rerank", json={**BODY, "execute": "examples"}, timeout=60)
    assert refused.status_code == 403
    body = refused.json()
    assert (
        body["error_type"] == "ExecutionNotAllowed" and "--allow-execution" in body["remediation"]
    )
    static = httpx.post(f"{url}/v1/rerank", json=BODY, timeout=60).json()
    assert static["executed"] is False and all(r["execution"] is None for r in static["results"])


def test_an_allowing_server_runs_only_requests_that_ask(
    reranker: Reranker, start_server: Callable[[FastAPI], str]
) -> None:
    url = start_server(create_app(reranker, allow_execution=True))
    static = httpx.post(f"{url}/v1/rerank", json=BODY, timeout=60).json()
    assert static["executed"] is False
    ran = httpx.post(f"{url}/v1/rerank", json={**BODY, "execute": "examples"}, timeout=60)
    assert ran.status_code == 200, ran.text
    record = ran.json()
    assert record["executed"] is True
    assert [r["candidate_id"] for r in record["results"]] == ["right", "wrong"]
    assert record["results"][0]["execution"]["checks"] == "examples"
    assert record["results"][0]["execution"]["isolation"]  # the layers that applied
    assert any(w.startswith("CODE WAS EXECUTED") for w in record["warnings"])
