"""Execution over HTTP is opt-in twice: the server must allow it and the request must ask."""

from __future__ import annotations

import hashlib
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


MOVING = (
    "def moving_average(values, window):\n"
    "    return [sum(values[i : i + window]) / window for i in range(len(values) - window)]\n"
)
FIXED = MOVING.replace("len(values) - window)", "len(values) - window + 1)")
SOURCES = ["assert moving_average([2, 4], 2) == [3.0]", "assert moving_average([], 2) == []"]


def _generated() -> dict[str, object]:
    tests = [
        {"test_id": f"t{i}", "source": s, "sha256": hashlib.sha256(s.encode()).hexdigest()}
        for i, s in enumerate(SOURCES)
    ]
    return {
        "task_id": "moving",
        "entry_point": "moving_average",
        "before_sha256": hashlib.sha256(MOVING.encode()).hexdigest(),
        "tests": [{**t, "origin": "llm:request0:choice0"} for t in tests],
        "tests_sha256": hashlib.sha256("\n".join(SOURCES).encode()).hexdigest(),
        "generator": "fixture:test",
    }


GENERATED_BODY = {
    "before": MOVING,
    "instruction": "include the last full window",
    "candidates": [
        {"candidate_id": "noop", "code": MOVING},
        {"candidate_id": "fixed", "code": FIXED},
    ],
    "execute": "generated",
    "generated_tests": _generated(),
}


def test_generated_tests_are_refused_403_without_the_switch(
    reranker: Reranker, start_server: Callable[[FastAPI], str]
) -> None:
    url = start_server(create_app(reranker))
    refused = httpx.post(f"{url}/v1/rerank", json=GENERATED_BODY, timeout=60)
    assert refused.status_code == 403
    assert refused.json()["error_type"] == "ExecutionNotAllowed"


def test_an_allowing_server_ranks_by_dual_agreement(
    reranker: Reranker, start_server: Callable[[FastAPI], str]
) -> None:
    url = start_server(create_app(reranker, allow_execution=True))
    ran = httpx.post(f"{url}/v1/rerank", json=GENERATED_BODY, timeout=60)
    assert ran.status_code == 200, ran.text
    record = ran.json()
    assert record["executed"] is True
    assert [r["candidate_id"] for r in record["results"]] == ["fixed", "noop"]
    fixed, noop = (r["execution"] for r in record["results"])
    assert fixed["passed_checks"] == ["t0", "t1"] and fixed["agreement"] == 2.0
    assert noop["passed_checks"] == ["t1"] and noop["agreement"] == 1.0
    assert fixed["isolation"]
    assert any(w.startswith("CODE WAS EXECUTED") for w in record["warnings"])
    missing = httpx.post(
        f"{url}/v1/rerank", json={**GENERATED_BODY, "generated_tests": None}, timeout=60
    )
    assert missing.status_code == 400 and "needs generated_tests" in missing.json()["message"]
    tampered = _generated()
    tampered["tests"][0]["source"] = "assert moving_average(open('/etc/passwd'), 1) == []"  # type: ignore[index]
    bad = httpx.post(
        f"{url}/v1/rerank", json={**GENERATED_BODY, "generated_tests": tampered}, timeout=60
    )
    assert bad.status_code == 400 and bad.json()["error_type"] == "ArtifactError"
    stray = httpx.post(f"{url}/v1/rerank", json={**GENERATED_BODY, "execute": None}, timeout=60)
    assert stray.status_code == 400  # tests alone never run
