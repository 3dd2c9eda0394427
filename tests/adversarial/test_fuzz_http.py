"""Fuzzing the HTTP API in-process: schemathesis against docs/openapi.json, plus raw bodies, JSON of
any shape, odd content types and every undeclared method.

The app is the one `codelewm serve` builds (default limits, a tiny real checkpoint, no index), driven
through Starlette's TestClient with its lifespan started once. Each response must be no 500, must
conform to the committed schema (status code documented, body valid, content type), a 405 must carry
`Allow`, and every error body must be a `codelewm.error.v1` record. (tests/server/test_server_abuse.py
holds the load and slow-body attacks over real sockets.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from _adversarial import fuzz
from fastapi.testclient import TestClient
from helper_modules import harness_helpers
from hypothesis import given
from schemathesis.generation.modes import GenerationMode

from codelewm.records import ErrorRecord
from codelewm.scoring.load import load_scorer
from codelewm.server import create_app

pytestmark = [
    pytest.mark.adversarial,
    pytest.mark.timeout(300),
    # schemathesis hands the test client per-request cookies and raw `data=`; both are deprecated
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
SPEC = json.loads(DOC.read_text(encoding="utf-8"))
SCHEMA = schemathesis.openapi.from_path(str(DOC))
OPERATIONS = [(path, method.upper()) for path, item in SPEC["paths"].items() for method in item]
CASES = [
    (path, method, mode)
    for path, method in OPERATIONS
    for mode in GenerationMode
    if method == "POST" or mode is GenerationMode.POSITIVE  # a GET takes no input to negate
]
POSTS = [path for path, method in OPERATIONS if method == "POST"]
UNDECLARED = [
    (path, method)
    for path, item in SPEC["paths"].items()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
    if method.lower() not in item
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)
FIELDS = ["before", "instruction", "candidate", "candidates", "before_path", "top", "k", "code"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    checkpoint = harness_helpers().build_tiny_checkpoint(tmp_path_factory.mktemp("fz") / "tiny")
    with TestClient(create_app(load_scorer(checkpoint)), raise_server_exceptions=False) as c:
        yield c


def _is_error_record(response: Any) -> bool:
    ErrorRecord.model_validate(response.json())
    return True


@pytest.mark.parametrize(
    ("path", "method", "mode"), CASES, ids=[f"{m} {p} {g.value}" for p, m, g in CASES]
)
@fuzz(50, deadline_ms=10_000)
@given(data=st.data())
def test_the_api_conforms_to_its_committed_schema(
    client: TestClient, path: str, method: str, mode: GenerationMode, data: st.DataObject
) -> None:
    case = data.draw(SCHEMA[path][method].as_strategy(generation_mode=mode))
    response = client.request(**case.as_transport_kwargs(base_url=str(client.base_url)))
    assert response.status_code < 500, response.text
    case.validate_response(response)  # documented status, body schema, content type, ...


@pytest.mark.parametrize(("path", "method"), UNDECLARED, ids=[f"{m} {p}" for p, m in UNDECLARED])
def test_an_undeclared_method_is_405_with_allow(client: TestClient, path: str, method: str) -> None:
    declared = {m.upper() for m in SPEC["paths"][path]}
    response = client.request(method, path)
    assert response.status_code == 405, response.text
    allowed = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
    assert allowed == declared, f"Allow: {response.headers.get('allow')!r}"
    assert _is_error_record(response)


def test_the_index_query_404_is_documented_and_answered(client: TestClient) -> None:
    for spec in (SPEC, client.get("/openapi.json").json()):
        documented = spec["paths"]["/v1/index/query"]["post"]["responses"]["404"]
        assert documented["content"]["application/json"]["schema"]["$ref"].endswith("ErrorRecord")
    response = client.post("/v1/index/query", json={"before": "x = 1\n", "instruction": None})
    assert response.status_code == 404 and response.json()["error_type"] == "NoIndex"


@fuzz(60)
@given(path=st.sampled_from(POSTS), body=st.binary(max_size=300))
def test_raw_bytes_are_refused_with_an_error_record(
    client: TestClient, path: str, body: bytes
) -> None:
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code in (200, 400, 413, 422), response.text
    if response.status_code != 200:
        assert _is_error_record(response)


@fuzz(120)
@given(
    path=st.sampled_from(POSTS),
    body=st.one_of(
        JSON, st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6), st.lists(JSON)
    ),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/json; charset=latin-1",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "",
        ]
    ),
)
def test_json_of_any_shape_gets_an_answer_not_a_500(
    client: TestClient, path: str, body: object, content_type: str
) -> None:
    payload = json.dumps(body, allow_nan=True).encode()
    response = client.post(path, content=payload, headers={"content-type": content_type})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert _is_error_record(response)
