"""The OpenAPI schema is published at /openapi.json and committed as docs/openapi.json (no drift).

After an intended API change: `CODELEWM_UPDATE_OPENAPI=1 pytest tests/server/test_openapi.py`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi import FastAPI

from codelewm.scoring.reranker import Reranker
from codelewm.server import create_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_openapi_is_served_and_matches_the_committed_copy(
    start_server: Callable[[FastAPI], str], reranker: Reranker
) -> None:
    app = create_app(reranker)
    served = httpx.get(f"{start_server(app)}/openapi.json", timeout=30).json()
    text = json.dumps(served, indent=2, sort_keys=True) + "\n"
    if os.environ.get("CODELEWM_UPDATE_OPENAPI") == "1":
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, "docs/openapi.json is stale (see module doc)"
    paths = served["paths"]
    assert set(paths) == {"/healthz", "/v1/model", "/v1/score", "/v1/rerank", "/v1/index/query"}
    rerank = paths["/v1/rerank"]["post"]
    assert set(rerank["responses"]) >= {"200", "400", "413", "422", "503", "504", "500"}
    schemas = served["components"]["schemas"]
    assert {"ErrorRecord", "RerankRecord", "ScoreRecord", "RerankRequest"} <= set(schemas)
