"""Real servers on loopback: uvicorn in a thread on a pre-bound free port, one per configuration."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from helper_modules import harness_helpers

from codelewm.scoring.load import load_scorer
from codelewm.scoring.reranker import Reranker


@pytest.fixture(scope="session")
def helpers() -> ModuleType:
    return harness_helpers()


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory: pytest.TempPathFactory, helpers: ModuleType) -> Path:
    path: Path = helpers.build_tiny_checkpoint(tmp_path_factory.mktemp("srv-ckpt") / "tiny")
    return path


@pytest.fixture(scope="session")
def reranker(checkpoint: Path) -> Reranker:
    return load_scorer(checkpoint)


@pytest.fixture(scope="module")
def start_server() -> Iterator[Callable[[FastAPI], str]]:
    """Start `app` on 127.0.0.1:<free port>; returns its base URL. Stopped at module end."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: FastAPI) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", timeout_keep_alive=5)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
        running.append((server, thread))
        return url

    yield start
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)
